package stream_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/brookmq/brook/stream"
)

func TestRetainMaxAge(t *testing.T) {
	s := newStream(t, 100, 200, 300, 400)
	s.SetRetention(stream.Retention{MaxAgeMs: 150})
	if d, ok := s.AgeDeadline(); !ok || d != 251 {
		t.Fatalf("AgeDeadline = %d %v, want 251 (100 is older than 150 ms from 251 on)", d, ok)
	}
	if n := s.Retain(250); n != 0 {
		t.Fatalf("Retain(250) removed %d; 100 is exactly 150 ms old", n)
	}
	if n := s.Retain(351); n != 2 || s.Len() != 2 {
		t.Fatalf("Retain(351) removed %d, len %d; want 100 and 200 gone", n, s.Len())
	}
	if first, _ := s.FirstID(); first != id(300, 0) {
		t.Fatalf("first %s", first)
	}
	if s.Info().MaxDeletedEntryID != (stream.ID{}) {
		t.Fatal("age trimming set max-deleted-entry-id")
	}
}

func TestRetainMaxLen(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4, 5)
	s.SetRetention(stream.Retention{MaxLen: 2})
	if n := s.Retain(0); n != 3 || s.Len() != 2 {
		t.Fatalf("removed %d, len %d", n, s.Len())
	}
}

func TestRetainMaxBytesAcrossBlocks(t *testing.T) {
	s := stream.New()
	// 250 entries of 10 bytes (name "k", value 9 bytes): three blocks.
	for i := range 250 {
		if err := s.Append(id(uint64(i+1), 0), []stream.Field{{Name: "k", Value: strings.Repeat("v", 9)}}); err != nil {
			t.Fatal(err)
		}
	}
	if s.DataBytes() != 2500 {
		t.Fatalf("DataBytes = %d", s.DataBytes())
	}
	s.SetRetention(stream.Retention{MaxBytes: 1234})
	if n := s.Retain(0); n != 127 || s.DataBytes() != 1230 || s.Len() != 123 {
		t.Fatalf("removed %d, bytes %d, len %d; want 127, 1230, 123", n, s.DataBytes(), s.Len())
	}
	// An integer value counts its digits; a tombstone counts nothing.
	s.Delete(id(250, 0))
	if err := s.Append(id(300, 0), []stream.Field{{Name: "n", Value: "-12345"}}); err != nil {
		t.Fatal(err)
	}
	if s.DataBytes() != 1220+7 {
		t.Fatalf("DataBytes = %d, want 1227", s.DataBytes())
	}
	enc, _ := s.AppendBinary(nil)
	d, err := stream.Decode(enc)
	if err != nil || d.DataBytes() != s.DataBytes() {
		t.Fatalf("decoded DataBytes %d, %v; want %d", d.DataBytes(), err, s.DataBytes())
	}
	// A bound below the newest entry empties the stream.
	s.SetRetention(stream.Retention{MaxBytes: 1})
	s.Retain(0)
	if s.Len() != 0 || s.DataBytes() != 0 {
		t.Fatalf("len %d bytes %d", s.Len(), s.DataBytes())
	}
}

func TestSetRetentionReportsChange(t *testing.T) {
	s := stream.New()
	r := stream.Retention{MaxLen: 3}
	if !s.SetRetention(r) || s.SetRetention(r) || s.Retention() != r {
		t.Fatal("SetRetention change reports wrong")
	}
}

// liveIDs returns the IDs of s's entries, oldest first.
func liveIDs(t *testing.T, s *stream.Stream) []stream.ID {
	t.Helper()
	var out []stream.ID
	for _, e := range s.Range(stream.MinID, stream.MaxID, 0) {
		out = append(out, e.ID)
	}
	return out
}

func wantIDs(t *testing.T, s *stream.Stream, what string, ms ...uint64) {
	t.Helper()
	got := liveIDs(t, s)
	ok := len(got) == len(ms)
	for i := 0; ok && i < len(ms); i++ {
		ok = got[i] == id(ms[i], 0)
	}
	if !ok {
		t.Fatalf("%s: entries %v, want ms %v", what, got, ms)
	}
}

func mustRead(t *testing.T, s *stream.Stream, group, consumer string, count int, noAck bool) {
	t.Helper()
	if _, err := s.ReadGroupNew(group, consumer, 1, count, noAck); err != nil {
		t.Fatal(err)
	}
}

// TestRetainAckedTwoGroups: an entry goes once both groups acknowledged it,
// oldest first; entries a group has not read, or holds pending (NACKed
// too), stay, and so does everything after them.
func TestRetainAckedTwoGroups(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4, 5, 6)
	s.SetRetention(stream.Retention{Acked: true})
	if n := s.RetainAcked(); n != 0 || s.Len() != 6 {
		t.Fatalf("without groups: removed %d, len %d", n, s.Len())
	}
	for _, g := range []string{"g1", "g2"} {
		if err := s.CreateGroup(g, stream.ID{}, 0); err != nil {
			t.Fatal(err)
		}
	}
	mustRead(t, s, "g1", "c", 0, false) // g1: 1..6 pending
	mustRead(t, s, "g2", "c", 4, false) // g2: 1..4 pending, 5 and 6 unread
	s.Ack("g1", id(1, 0), id(2, 0), id(3, 0), id(4, 0), id(5, 0), id(6, 0))
	if n := s.RetainAcked(); n != 0 {
		t.Fatalf("removed %d while g2 holds 1..4", n)
	}
	s.Ack("g2", id(1, 0), id(2, 0), id(4, 0))
	if n := s.RetainAcked(); n != 2 {
		t.Fatalf("removed %d, want 1 and 2", n)
	}
	wantIDs(t, s, "3 still pending in g2 (4 acked by both stays behind it)", 3, 4, 5, 6)
	if n, err := s.Nack("g2", []stream.ID{id(3, 0)}, stream.NackOptions{Mode: stream.NackFail}); err != nil || n != 1 {
		t.Fatalf("Nack: %d, %v", n, err)
	}
	if n := s.RetainAcked(); n != 0 {
		t.Fatalf("removed %d while 3 is NACKed", n)
	}
	s.Ack("g2", id(3, 0))
	if n := s.RetainAcked(); n != 2 {
		t.Fatalf("removed %d, want 3 and 4", n)
	}
	wantIDs(t, s, "5 and 6 not delivered to g2", 5, 6)
	mustRead(t, s, "g2", "c", 0, true) // NOACK: delivered and acknowledged at once
	if n := s.RetainAcked(); n != 2 || s.Len() != 0 {
		t.Fatalf("after g2's NOACK read: removed %d, len %d", n, s.Len())
	}
	if s.Info().MaxDeletedEntryID != (stream.ID{}) {
		t.Fatal("acked retention set max-deleted-entry-id")
	}
}

// TestRetainAckedGroupChanges: destroying the group that held entries, or
// moving its ID past them, frees them; a pending ID deleted from the
// stream references nothing; Retain applies the bound after the others;
// without the bound nothing happens.
func TestRetainAckedGroupChanges(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4, 5)
	for _, g := range []string{"g1", "g2"} {
		if err := s.CreateGroup(g, id(5, 0), 5); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetGroupID("g2", stream.ID{}, 0); err != nil {
		t.Fatal(err)
	}
	if n := s.RetainAcked(); n != 0 {
		t.Fatalf("removed %d without the Acked bound", n)
	}
	s.SetRetention(stream.Retention{Acked: true})
	if n := s.RetainAcked(); n != 0 {
		t.Fatalf("removed %d while g2 has read nothing", n)
	}
	if err := s.SetGroupID("g2", id(2, 0), 2); err != nil {
		t.Fatal(err)
	}
	if n := s.RetainAcked(); n != 2 {
		t.Fatalf("after SETID 2: removed %d", n)
	}
	mustRead(t, s, "g2", "c", 2, false) // 3 and 4 pending in g2
	s.Delete(id(3, 0))                  // 3 stays pending, gone from the stream
	if n := s.RetainAcked(); n != 0 {
		t.Fatalf("removed %d while 4 is pending", n)
	}
	s.Ack("g2", id(4, 0))
	if n := s.RetainAcked(); n != 1 {
		t.Fatalf("the dangling pending 3 held back 4: removed %d", n)
	}
	wantIDs(t, s, "5 not read by g2", 5)
	appendEntry(t, s, id(6, 0))
	s.SetRetention(stream.Retention{Acked: true, MaxLen: 1})
	if n := s.Retain(0); n != 1 {
		t.Fatalf("Retain removed %d, want 5 (MaxLen)", n)
	}
	if !s.DestroyGroup("g2") {
		t.Fatal("DestroyGroup")
	}
	if n := s.Retain(0); n != 0 {
		t.Fatalf("removed %d: 6 is after g1's last-delivered-id", n)
	}
	if err := s.SetGroupID("g1", id(6, 0), 6); err != nil {
		t.Fatal(err)
	}
	if n := s.Retain(0); n != 1 || s.Len() != 0 {
		t.Fatalf("removed %d, len %d", n, s.Len())
	}
	if !s.DestroyGroup("g1") {
		t.Fatal("DestroyGroup")
	}
	appendEntry(t, s, id(7, 0))
	if n := s.Retain(0); n != 0 || s.Len() != 1 {
		t.Fatalf("without groups: removed %d, len %d", n, s.Len())
	}
}

// TestRetainAckedAcrossBlocks removes whole blocks and then part of one.
func TestRetainAckedAcrossBlocks(t *testing.T) {
	s := stream.New()
	for i := range 300 {
		appendEntry(t, s, id(uint64(i+1), 0))
	}
	if err := s.CreateGroup("g", id(250, 0), 250); err != nil {
		t.Fatal(err)
	}
	s.SetRetention(stream.Retention{Acked: true})
	if n := s.RetainAcked(); n != 250 || s.Len() != 50 {
		t.Fatalf("removed %d, len %d", n, s.Len())
	}
	if first, _ := s.FirstID(); first != id(251, 0) {
		t.Fatalf("first %s", first)
	}
}

func TestAckedRetentionSurvivesSnapshot(t *testing.T) {
	s := newStream(t, 1, 2)
	r := stream.Retention{MaxLen: 7, Acked: true}
	s.SetRetention(r)
	enc, err := s.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := stream.Decode(enc)
	if err != nil || d.Retention() != r {
		t.Fatalf("decoded %+v, %v; want %+v", d.Retention(), err, r)
	}
	if enc[len(enc)-1] != 1 {
		t.Fatalf("the acked flag is not the last byte: %x", enc)
	}
	for _, bad := range []byte{2, 0xff} {
		enc[len(enc)-1] = bad
		if _, err := stream.Decode(enc); !errors.Is(err, stream.ErrCorrupt) {
			t.Fatalf("acked byte %d: %v", bad, err)
		}
	}
	if _, err := stream.Decode(enc[:len(enc)-1]); !errors.Is(err, stream.ErrCorrupt) {
		t.Fatalf("without the acked byte: %v", err)
	}
}
