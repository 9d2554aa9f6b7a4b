package broker

import (
	"testing"
	"unsafe"
)

// TestSubscriptionLayout pins the cache-line layout of Subscription that the
// fan-out performance depends on (see the struct's comment).
func TestSubscriptionLayout(t *testing.T) {
	var s Subscription
	lines := []struct {
		field  string
		offset uintptr
		line   uintptr
	}{
		{"mu", unsafe.Offsetof(s.mu), 0},
		{"rseen", unsafe.Offsetof(s.rseen), 0},
		{"lim", unsafe.Offsetof(s.lim), 1},
		{"notify", unsafe.Offsetof(s.notify), 1},
		{"dead", unsafe.Offsetof(s.dead), 2},
		{"err", unsafe.Offsetof(s.err), 2},
		{"sleeping", unsafe.Offsetof(s.sleeping), 3},
		{"patPos", unsafe.Offsetof(s.patPos), 3},
		{"spare", unsafe.Offsetof(s.spare), 4},
		{"r", unsafe.Offsetof(s.r), 5},
		{"rbytes", unsafe.Offsetof(s.rbytes), 5},
	}
	for _, l := range lines {
		if got := l.offset / 64; got != l.line {
			t.Errorf("%s at offset %d: line %d, want line %d", l.field, l.offset, got, l.line)
		}
	}
	if size := unsafe.Sizeof(s); size != 6*64 {
		t.Errorf("size = %d, want %d", size, 6*64)
	}
}
