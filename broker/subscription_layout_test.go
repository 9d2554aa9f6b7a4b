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
		{"sleeping", unsafe.Offsetof(s.sleeping), 0},
		{"written", unsafe.Offsetof(s.written), 0},
		{"rseen", unsafe.Offsetof(s.rseen), 0},
		{"lim", unsafe.Offsetof(s.lim), 1},
		{"notify", unsafe.Offsetof(s.notify), 1},
		{"dead", unsafe.Offsetof(s.dead), 2},
		{"err", unsafe.Offsetof(s.err), 2},
		{"head", unsafe.Offsetof(s.head), 3},
		{"patPos", unsafe.Offsetof(s.patPos), 3},
		{"spare", unsafe.Offsetof(s.spare), 4},
		{"r", unsafe.Offsetof(s.r), 5},
		{"rbytes", unsafe.Offsetof(s.rbytes), 5},
		{"rread", unsafe.Offsetof(s.rread), 5},
		{"dropped", unsafe.Offsetof(s.dropped), 3},
		{"skipped", unsafe.Offsetof(s.skipped), 3},
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

// TestMessageLayout pins Message's size, which is MessageOverhead, the
// per-message cost counted against the queue limits: one cache line.
func TestMessageLayout(t *testing.T) {
	if size := unsafe.Sizeof(Message{}); size != 64 || MessageOverhead != 64 {
		t.Errorf("size = %d, MessageOverhead = %d, want 64", size, MessageOverhead)
	}
}

// TestHubLayout pins the hub's size: its first cache line must be its own.
func TestHubLayout(t *testing.T) {
	var h hub
	if size := unsafe.Sizeof(h); size != 128 {
		t.Errorf("size = %d, want 128", size)
	}
	if off := unsafe.Offsetof(h.defaults); off != 64 {
		t.Errorf("defaults at %d, want 64", off)
	}
}
