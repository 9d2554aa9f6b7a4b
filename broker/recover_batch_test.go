package broker

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/brookmq/brook/stream"
)

// TestReplayBatcher feeds records to the replay's batcher directly: every
// record is applied, in order, across batch boundaries; an undecodable
// record stops the replay with its own position, also when the read stopped
// later, after it was taken.
func TestReplayBatcher(t *testing.T) {
	ctx := context.Background()
	rec := func(i int) []byte {
		m := mutation{kind: opAdd, key: "k", id: stream.ID{Ms: uint64(1 + i)},
			fields: []stream.Field{{Name: "i", Value: string(rune('a' + i%26))}}}
		if i%3 == 0 {
			m.key = "other"
		}
		return appendRecord(nil, &m)
	}
	t.Run("all applied", func(t *testing.T) {
		b := New(Options{})
		defer b.Close()
		r := replayBatcher{rd: newReplayDecoder(), rp: replayer{r: b.reg}}
		n := 2*replayBatch + 5
		for i := range n {
			if err := r.add(uint64(i+1), rec(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.flush(); err != nil {
			t.Fatal(err)
		}
		r.rp.done()
		got, err := b.XRange(ctx, "k", stream.MinID, stream.MaxID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := n - (n+2)/3; len(got) != want || got[0].ID.Ms != 2 || got[len(got)-1].ID.Ms != uint64(n) {
			t.Fatalf("replayed %d entries of k (%v ... %v), want %d", len(got), got[0].ID, got[len(got)-1].ID, want)
		}
	})
	t.Run("bad record", func(t *testing.T) {
		b := New(Options{})
		defer b.Close()
		r := replayBatcher{rd: newReplayDecoder(), rp: replayer{r: b.reg}}
		defer r.rp.done()
		var err error
		for i := 0; i < replayBatch && err == nil; i++ {
			data := rec(i)
			if i == 7 {
				data = append(data, 0) // a trailing byte
			}
			err = r.add(uint64(100+i), data)
		}
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "log position 107:") {
			t.Fatalf("err = %v, want ErrCorrupt at log position 107", err)
		}
		if err := r.flush(); err != nil {
			t.Fatalf("flush after the error: %v (the rest of the batch is dropped)", err)
		}
	})
	t.Run("bad record held when the read stops", func(t *testing.T) {
		b := New(Options{})
		defer b.Close()
		r := replayBatcher{rd: newReplayDecoder(), rp: replayer{r: b.reg}}
		defer r.rp.done()
		for i := range 5 {
			data := rec(i)
			if i == 2 {
				data = data[:1]
			}
			if err := r.add(uint64(1+i), data); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.flush(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "log position 3:") {
			t.Fatalf("flush: err = %v, want ErrCorrupt at log position 3", err)
		}
	})
}
