package stream_test

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/brookmq/brook/stream"
)

// nackedStream has entries 1..4, group g with 1..3 read by "a" at 10, and
// 3-0 then 1-0 NACKed.
func nackedStream(t *testing.T) *stream.Stream {
	t.Helper()
	s := newStream(t, 1, 2, 3, 4)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "a", 10, 3)
	if n, err := s.Nack("g", []stream.ID{id(3, 0), id(1, 0)}, stream.NackOptions{Mode: stream.NackFail}); n != 2 || err != nil {
		t.Fatalf("Nack = %d, %v", n, err)
	}
	return s
}

func TestNack(t *testing.T) {
	s := nackedStream(t)
	want := []stream.Pending{
		{ID: id(1, 0), DeliveryCount: 1, Nacked: true},
		{ID: id(2, 0), Consumer: "a", DeliveryMs: 10, DeliveryCount: 1},
		{ID: id(3, 0), DeliveryCount: 1, Nacked: true},
	}
	if got := allPending(t, s, "g", 20); !slices.Equal(got, want) {
		t.Errorf("pending %+v\nwant %+v", got, want)
	}
	if got := summary(t, s, "g"); got.Count != 3 || len(got.Consumers) != 1 || got.Consumers[0].Count != 1 {
		t.Errorf("summary %+v", got)
	}
	if _, err := s.Nack("nog", nil, stream.NackOptions{}); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("Nack on a missing group: %v", err)
	}
	// History reads and DELCONSUMER leave NACKed entries alone.
	if h, _ := s.ReadGroupHistory("g", "a", 30, id(0, 0), 0); !slices.Equal(ids(h), []stream.ID{id(2, 0)}) {
		t.Errorf("history %v", ids(h))
	}
	if n, _ := s.DeleteConsumer("g", "a"); n != 1 || summary(t, s, "g").Count != 2 {
		t.Errorf("DeleteConsumer = %d, summary %+v", n, summary(t, s, "g"))
	}
	full := s.GroupsFull(0)
	if full[0].NackedCount != 2 || full[0].PELCount != 2 {
		t.Errorf("GroupsFull %+v", full[0])
	}
}

func TestReadGroupClaimOrderAndCount(t *testing.T) {
	s := nackedStream(t)
	// NACK zone first (3-0, 1-0), then owned by delivery time, then new;
	// COUNT 3 leaves the new entry 4-0 out.
	got, err := s.ReadGroupClaim("g", "b", 100, 50, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []stream.ClaimedEntry{
		{Entry: stream.Entry{ID: id(3, 0)}, IdleMs: 100, DeliveryCount: 1},
		{Entry: stream.Entry{ID: id(1, 0)}, IdleMs: 100, DeliveryCount: 1},
		{Entry: stream.Entry{ID: id(2, 0)}, IdleMs: 90, DeliveryCount: 1},
	}
	same := slices.EqualFunc(got, want, func(a, b stream.ClaimedEntry) bool {
		return a.ID == b.ID && a.IdleMs == b.IdleMs && a.DeliveryCount == b.DeliveryCount && a.Fields != nil
	})
	if !same {
		t.Fatalf("ReadGroupClaim = %+v\nwant %+v", got, want)
	}
	// Nothing idle enough: new entries only, NOACK leaving them unpending.
	got, _ = s.ReadGroupClaim("g", "b", 101, 50, 0, true)
	if len(got) != 1 || got[0].ID != id(4, 0) || got[0].IdleMs != 0 || summary(t, s, "g").Count != 3 {
		t.Fatalf("second ReadGroupClaim = %+v", got)
	}
	if got, _ := s.ReadGroupClaim("g", "b", 102, 50, 0, false); got != nil {
		t.Fatalf("third ReadGroupClaim = %+v, want nil", got)
	}
}

func TestReadGroupClaimSkipsDeleted(t *testing.T) {
	s := newStream(t, 1, 2)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "a", 10, 0)
	s.Delete(id(1, 0))
	got, _ := s.ReadGroupClaim("g", "b", 100, 0, 0, false)
	if len(got) != 1 || got[0].ID != id(2, 0) {
		t.Fatalf("ReadGroupClaim = %+v", got)
	}
	if p := allPending(t, s, "g", 100); len(p) != 2 || p[0].Consumer != "a" {
		t.Fatalf("pending %+v: the deleted entry stays with its owner", p)
	}
}

func TestClaimDueMs(t *testing.T) {
	s := newStream(t, 1, 2, 3)
	mustCreateGroup(t, s, "g", id(0, 0))
	if _, ok := s.ClaimDueMs("g", 0, 10); ok {
		t.Error("due with nothing pending")
	}
	mustReadNew(t, s, "g", "a", 10, 1)
	mustReadNew(t, s, "g", "a", 20, 1)
	mustReadNew(t, s, "g", "a", 30, 1)
	s.Delete(id(1, 0)) // gone from the stream: never claimable
	if due, ok := s.ClaimDueMs("g", 25, 10); !ok || due != 30 {
		t.Errorf("ClaimDueMs = %d, %v; want 30 (2-0, delivered at 20)", due, ok)
	}
	if _, ok := s.ClaimDueMs("g", 25, math.MaxUint64); ok {
		t.Error("due past the end of time")
	}
	if _, ok := s.ClaimDueMs("nog", 25, 10); ok {
		t.Error("due in a missing group")
	}
}

func TestTrimRefApproxLimit(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4, 5)
	// ~ with DELREF goes entry by entry; LIMIT caps it.
	if n := s.Trim(stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 0, Approx: true, Limit: 2, Ref: stream.DelRef}); n != 2 {
		t.Errorf("Trim = %d, want 2", n)
	}
	if n := s.Trim(stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 2, Approx: true, Ref: stream.Acked}); n != 1 {
		t.Errorf("Trim = %d, want 1", n)
	}
	if in := s.Info(); in.MaxDeletedEntryID != (stream.ID{}) || in.Length != 2 {
		t.Errorf("after trims: %+v", in)
	}
}

// TestNackZoneSnapshot checks that the NACK zone survives the snapshot
// encoding in order, and that a broken zone section is refused.
func TestNackZoneSnapshot(t *testing.T) {
	s := nackedStream(t)
	d := roundTripNack(t, s)
	got, _ := d.ReadGroupClaim("g", "b", 100, math.MaxInt64, 0, false)
	if !slices.Equal(claimedIDs(got), []stream.ID{id(3, 0), id(1, 0), id(4, 0)}) {
		t.Fatalf("after decoding, CLAIM read %v", claimedIDs(got))
	}

	enc, _ := nackedStream(t).AppendBinary(nil)
	// The groups end with the zone (count 2, 3-0, 1-0); the policies of
	// format version 3 follow.
	tail := []byte{2, 3, 0, 1, 0}
	pos := bytes.LastIndex(enc, tail)
	if pos < 0 {
		t.Fatalf("no NACK zone %v in the encoding", tail)
	}
	body, policies := enc[:pos], enc[pos+len(tail):]
	with := func(zone ...byte) []byte {
		return append(append(slices.Clone(body), zone...), policies...)
	}
	bad := map[string][]byte{
		"count short":  with(1, 3, 0),
		"count long":   with(3, 3, 0, 1, 0, 2, 0),
		"twice":        with(2, 3, 0, 3, 0),
		"owned":        with(2, 3, 0, 2, 0),
		"not pending":  with(2, 3, 0, 4, 0),
		"truncated":    with(2, 3, 0),
		"version 1":    append([]byte("BRS\x01"), enc[4:]...),
		"old sections": append(append([]byte("BRS\x01"), body[4:]...), tail...),
	}
	if _, err := stream.Decode(append([]byte("BRS\x04"), enc[4:]...)); !errors.Is(err, stream.ErrFormatVersion) {
		t.Errorf("version 4: Decode error %v, want ErrFormatVersion", err)
	}
	for name, b := range bad {
		if s, err := stream.Decode(b); !errors.Is(err, stream.ErrCorrupt) {
			t.Errorf("%s: Decode = %v, %v; want ErrCorrupt", name, s, err)
		}
	}
}

func roundTripNack(t *testing.T, s *stream.Stream) *stream.Stream {
	t.Helper()
	return roundTrip(t, s)
}

func claimedIDs(cs []stream.ClaimedEntry) []stream.ID {
	out := make([]stream.ID, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}
