package stream_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/brookmq/brook/stream"
)

// mutate changes s in every way that writes into blocks: appends into the
// open tail, tombstones in sealed and open blocks, exact and approximate
// trims, whole-block deletion. base shifts the appended IDs.
func mutate(t *testing.T, s *stream.Stream, base uint64) {
	for i := range uint64(120) {
		if err := s.Append(stream.ID{Ms: base + i, Seq: 1}, small(int(i))); err != nil {
			t.Errorf("Append: %v", err)
			return
		}
	}
	s.Delete(sid(500, 0), sid(1500, 0), sid(2490, 0))
	s.Delete(spaced(200)[100:]...)
	s.Trim(stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: s.Len() - 5})
	s.Trim(stream.Trim{Strategy: stream.TrimMinID, MinID: sid(200, 0), Approx: true, Limit: -1})
	s.Trim(stream.Trim{Strategy: stream.TrimMinID, MinID: sid(300, 0)})
}

// TestCloneIsolation runs under -race: a clone is read by one goroutine
// while the original keeps appending, deleting and trimming, and a second
// clone is changed concurrently with the original. Each must end exactly as
// the same operations on a private stream would leave it.
func TestCloneIsolation(t *testing.T) {
	fresh := func() *stream.Stream { return build(t, spaced(250)...) } // open tail of 50 entries
	want := fresh().Range(stream.MinID, stream.MaxID, 0)
	wantInfo := fresh().Info()
	mutated := fresh()
	mutate(t, mutated, 5000)
	wantMutated := mutated.Range(stream.MinID, stream.MaxID, 0)
	wantBoth := fresh()
	mutate(t, wantBoth, 9000)
	wantOther := wantBoth.Range(stream.MinID, stream.MaxID, 0)

	s := fresh()
	reader, writer := s.Clone(), s.Clone()
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 20 {
			if got := reader.Range(stream.MinID, stream.MaxID, 0); !entriesEqual(got, want) {
				t.Error("the read-only clone changed")
				return
			}
			if got := reader.RevRange(stream.MaxID, stream.MinID, 0); !entriesEqual(got, reversedEntries(want)) {
				t.Error("the read-only clone changed (RevRange)")
				return
			}
			if in := reader.Info(); in.Length != wantInfo.Length || in.RadixTreeKeys != wantInfo.RadixTreeKeys {
				t.Errorf("clone Info = %+v", in)
				return
			}
		}
	})
	wg.Go(func() { mutate(t, writer, 9000) })
	mutate(t, s, 5000)
	wg.Wait()

	if got := s.Range(stream.MinID, stream.MaxID, 0); !entriesEqual(got, wantMutated) {
		t.Error("the original differs from a private run of the same operations")
	}
	if got := writer.Range(stream.MinID, stream.MaxID, 0); !entriesEqual(got, wantOther) {
		t.Error("the written clone differs from a private run of the same operations")
	}
	if got := reader.Range(stream.MinID, stream.MaxID, 0); !entriesEqual(got, want) {
		t.Error("the read-only clone changed")
	}
}

func reversedEntries(es []stream.Entry) []stream.Entry {
	out := slices.Clone(es)
	slices.Reverse(out)
	return out
}

// TestConcurrentReaders runs under -race: the read-only methods change
// nothing, so several goroutines may call them at once on one stream.
func TestConcurrentReaders(t *testing.T) {
	s := snapshotFixture(t)
	want := s.Range(stream.MinID, stream.MaxID, 0)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for range 5 {
				if got := s.Range(stream.MinID, stream.MaxID, 0); !entriesEqual(got, want) {
					t.Error("Range changed")
				}
				s.RevRange(stream.MaxID, stream.MinID, 7)
				s.Get(sid(500, 0))
				s.FirstID()
				s.Info()
				for range s.All(sid(100, 0), sid(2000, 0)) {
				}
				if _, err := s.AppendBinary(nil); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}
