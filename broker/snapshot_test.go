package broker

// White-box: the snapshot file format is unexported.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"reflect"
	"testing"

	"github.com/brookmq/brook/stream"
)

// buildSnapshot writes a snapshot of the given entries with snapWriter.
func buildSnapshot(t testing.TB, pos uint64, entries []snapEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	sw := newSnapWriter(&buf, pos, len(entries))
	for _, e := range entries {
		sw.add(e.name, e.data)
	}
	if err := sw.finish(); err != nil {
		t.Fatalf("finish: %v", err)
	}
	return buf.Bytes()
}

// resum recomputes the trailer of a hand-modified snapshot.
func resum(file []byte) []byte {
	body := file[:len(file)-4]
	return binary.LittleEndian.AppendUint32(body[:len(body):len(body)], crc32.Checksum(body, castagnoli))
}

func TestSnapshotRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		pos     uint64
		entries []snapEntry
	}{
		{"empty", 0, []snapEntry{}},
		{"one", 42, []snapEntry{{name: "orders", data: []byte{1, 2, 3}}}},
		{"odd names", 1 << 60, []snapEntry{
			{name: "", data: []byte{}},
			{name: "../../etc/passwd", data: []byte("x")},
			{name: "\x00\xff", data: bytes.Repeat([]byte{7}, 1000)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := buildSnapshot(t, tt.pos, tt.entries)
			pos, entries, err := parseSnapshot(file)
			if err != nil {
				t.Fatalf("parseSnapshot: %v", err)
			}
			if pos != tt.pos || !reflect.DeepEqual(entries, tt.entries) {
				t.Fatalf("got %d %q, want %d %q", pos, entries, tt.pos, tt.entries)
			}
		})
	}
}

func TestSnapWriterCountMismatch(t *testing.T) {
	var buf bytes.Buffer
	sw := newSnapWriter(&buf, 1, 1)
	if err := sw.finish(); err == nil {
		t.Fatal("finish with a missing stream: want an error")
	}
	sw = newSnapWriter(&buf, 1, 0)
	sw.add("a", nil)
	if err := sw.finish(); err == nil {
		t.Fatal("finish with an extra stream: want an error")
	}
}

func TestParseSnapshotRejects(t *testing.T) {
	good := buildSnapshot(t, 7, []snapEntry{{name: "a", data: []byte("data")}, {name: "b", data: nil}})
	mod := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	tests := []struct {
		name string
		file []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"magic", mod(func(b []byte) []byte { b[0] = 'X'; return resum(b) }), ErrCorrupt},
		{"checksum", mod(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), ErrCorrupt},
		{"version", mod(func(b []byte) []byte { b[8] = 2; return resum(b) }), ErrFormatVersion},
		{"flags", mod(func(b []byte) []byte { b[10] = 1; return resum(b) }), ErrCorrupt},
		{"count too high", mod(func(b []byte) []byte { b[20] = 3; return resum(b) }), ErrCorrupt},
		{"count too low", mod(func(b []byte) []byte { b[20] = 1; return resum(b) }), ErrCorrupt},
		{"duplicate name", mod(func(b []byte) []byte {
			return buildSnapshot(t, 7, []snapEntry{{name: "a"}, {name: "a"}})
		}), ErrCorrupt},
		{"length past end", mod(func(b []byte) []byte { b[23] = 0x7f; return resum(b) }), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := parseSnapshot(tt.file); !errors.Is(err, tt.want) {
				t.Fatalf("parseSnapshot error = %v, want %v", err, tt.want)
			}
		})
	}
	// Every truncation and every single bit flip is detected.
	for i := range len(good) {
		if _, _, err := parseSnapshot(good[:i]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: err = %v", i, err)
		}
		for bit := range 8 {
			b := append([]byte(nil), good...)
			b[i] ^= 1 << bit
			if _, _, err := parseSnapshot(b); err == nil {
				t.Fatalf("bit %d of byte %d flipped: accepted", bit, i)
			}
		}
	}
}

// sampleStream is a small stream with entries, a group, a consumer and
// pending entries, and an acked retention policy, encoded for a snapshot.
func sampleStream(t testing.TB) []byte {
	s := stream.New()
	for ms := range uint64(5) {
		if err := s.Append(stream.ID{Ms: ms + 1}, []stream.Field{{Name: "f", Value: "v"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateGroup("g", stream.ID{}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadGroupNew("g", "c", 100, 3, false); err != nil {
		t.Fatal(err)
	}
	s.SetRetention(stream.Retention{MaxLen: 10, Acked: true})
	data, err := s.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// FuzzDecodeSnapshot feeds snapshot files to the decoder recovery uses:
// the file format, then each stream's own decoder.
func FuzzDecodeSnapshot(f *testing.F) {
	f.Add(buildSnapshot(f, 0, nil))
	f.Add(buildSnapshot(f, 9, []snapEntry{{name: "a", data: []byte("xyz")}, {name: "b"}}))
	f.Add(buildSnapshot(f, 12, []snapEntry{{name: "orders", data: sampleStream(f)}}))
	f.Fuzz(func(t *testing.T, file []byte) {
		fuzzSnapshot(t, file)
		if len(file) >= 4 { // again with a valid checksum, to reach the structure
			fuzzSnapshot(t, resum(append([]byte(nil), file...)))
		}
	})
}

// fuzzSnapshot checks one input: an error of the right kind, or streams
// that decode without panicking and a file that rewrites to the same parts.
func fuzzSnapshot(t *testing.T, file []byte) {
	pos, entries, err := parseSnapshot(file)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrFormatVersion) {
			t.Fatalf("error %v is neither ErrCorrupt nor ErrFormatVersion", err)
		}
		return
	}
	for _, e := range entries {
		stream.Decode(e.data) // must not panic; errors are recovery's to report
	}
	again, err := parseSnapshotAgain(t, pos, entries)
	if err != nil || !reflect.DeepEqual(again, entries) {
		t.Fatalf("rewrite: %v %q, want %q", err, again, entries)
	}
}

func parseSnapshotAgain(t *testing.T, pos uint64, entries []snapEntry) ([]snapEntry, error) {
	_, again, err := parseSnapshot(buildSnapshot(t, pos, entries))
	return again, err
}

// TestSnapWriterAddStream checks that addStream, which the broker's
// snapshots use, writes the file add writes with the streams' AppendBinary.
func TestSnapWriterAddStream(t *testing.T) {
	big := stream.New()
	for i := range 5000 {
		if err := big.Append(stream.ID{Ms: uint64(1 + i)}, []stream.Field{{Name: "n", Value: "v"}}); err != nil {
			t.Fatal(err)
		}
	}
	streams := map[string]*stream.Stream{"a": stream.New(), "big": big.Clone()}
	var entries []snapEntry
	var got bytes.Buffer
	sw := newSnapWriter(&got, 42, len(streams))
	for _, name := range []string{"a", "big"} {
		data, _ := streams[name].AppendBinary(nil)
		entries = append(entries, snapEntry{name: name, data: data})
		sw.addStream(name, streams[name])
	}
	if err := sw.finish(); err != nil {
		t.Fatalf("finish: %v", err)
	}
	if want := buildSnapshot(t, 42, entries); !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("addStream wrote %d bytes, add %d, or other bytes", got.Len(), len(want))
	}
}
