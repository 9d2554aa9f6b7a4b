package broker_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal/faultfs"
)

// TestXAddLimits checks that an entry over the configured limits is refused
// with ErrEntryTooLarge before anything changes, by XAdd and XAddBatch, and
// that the key stays usable.
func TestXAddLimits(t *testing.T) {
	lim := broker.Limits{MaxEntryBytes: 10, MaxFields: 2}
	tests := []struct {
		name    string
		fields  []stream.Field
		wantErr error
	}{
		{"at both limits", fields("ab", "cdefgh", "i", "j"), nil},
		{"one byte over", fields("ab", "cdefgh", "i", "jk"), broker.ErrEntryTooLarge},
		{"one field over", fields("a", "1", "b", "2", "c", "3"), broker.ErrEntryTooLarge},
	}
	ctx := context.Background()
	eachKind(t, func(t *testing.T, k kind) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				b := k.openLimits(t, lim)
				mustAdd(t, b, "k", id(1, 0), "a", "b")
				_, err := b.XAdd(ctx, "k", tc.fields, broker.AddOptions{})
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("XAdd = %v, want %v", err, tc.wantErr)
				}
				_, berr := b.XAddBatch(ctx, "k", [][]stream.Field{fields("x", "y"), tc.fields}, broker.AddOptions{})
				if !errors.Is(berr, tc.wantErr) {
					t.Fatalf("XAddBatch = %v, want %v", berr, tc.wantErr)
				}
				_, nerr := b.XAdd(ctx, "new", tc.fields, broker.AddOptions{})
				if n, _ := b.Exists(ctx, "new"); (n == 1) != (nerr == nil) {
					t.Fatalf("XAdd on a missing key = %v, key exists: %d", nerr, n)
				}
				want := int64(1)
				if tc.wantErr == nil {
					want = 4 // 1, XAdd, XAddBatch's two
				}
				if n, err := b.XLen(ctx, "k"); err != nil || n != want {
					t.Fatalf("XLen = %d, %v; want %d", n, err, want)
				}
				if _, err := b.XAdd(ctx, "k", fields("ok", "1"), broker.AddOptions{}); err != nil {
					t.Fatalf("XAdd after a refusal: %v", err)
				}
			})
		}
	})
}

// openLimits opens a broker of kind k with limits lim.
func (k kind) openLimits(t *testing.T, lim broker.Limits) *broker.Broker {
	t.Helper()
	o := broker.Options{Limits: lim}
	if !k.durable {
		return newBroker(t, o)
	}
	o.Durability = broker.DurabilityOptions{FS: faultfs.New(1), Logf: t.Logf}
	b, err := broker.Open("/data", o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TestRefusedEntryNotDurable checks that an entry too large for one log
// record is refused before it is applied: the caller gets ErrEntryTooLarge,
// the key keeps working, and after Close and reopening the entry is not
// there (it used to be applied in memory, refused by the log, and then
// copied into the final snapshot).
func TestRefusedEntryNotDurable(t *testing.T) {
	ctx := context.Background()
	fsys := faultfs.New(1)
	o := broker.Options{
		Limits:     broker.Limits{MaxEntryBytes: -1}, // only the log's record limit
		Durability: broker.DurabilityOptions{FS: fsys, Logf: t.Logf},
	}
	b, err := broker.Open("/data", o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	mustAdd(t, b, "k", id(1, 0), "a", "1")
	big := fields("big", strings.Repeat("x", 64<<20)) // over the log's record limit
	if _, err := b.XAdd(ctx, "k", big, broker.AddOptions{ID: stream.ExplicitID(id(2, 0))}); !errors.Is(err, broker.ErrEntryTooLarge) {
		t.Fatalf("XAdd of a huge entry = %v, want ErrEntryTooLarge", err)
	}
	mustAdd(t, b, "k", id(3, 0), "c", "3")
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	b, err = broker.Open("/data", o)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer b.Close()
	got, err := b.XRange(ctx, "k", stream.MinID, stream.MaxID, 0)
	if err != nil {
		t.Fatalf("XRange: %v", err)
	}
	if want := []stream.ID{id(1, 0), id(3, 0)}; !sameIDs(ids(got), want) {
		t.Fatalf("after reopening: %v, want %v", ids(got), want)
	}
}
