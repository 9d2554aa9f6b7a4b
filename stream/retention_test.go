package stream_test

import (
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
