package stream_test

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	"github.com/brookmq/brook/internal/cputime"
	"github.com/brookmq/brook/stream"
)

// notesFields returns the entries measured in shared/notes/stream-memory.md:
// user_id 1000..9999, product prod<4 digits>, amount 1000..9999.
func notesFields(r *rand.Rand) []stream.Field {
	return []stream.Field{
		{"user_id", strconv.Itoa(1000 + r.IntN(9000))},
		{"product", "prod" + strconv.Itoa(1000+r.IntN(9000))},
		{"amount", strconv.Itoa(1000 + r.IntN(9000))},
	}
}

// BenchmarkAppend appends entries of three small fields with IDs from
// "*" and a clock that ticks every 10 appends (fields built outside the loop).
func BenchmarkAppend(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	fields := make([][]stream.Field, 1024)
	for i := range fields {
		fields[i] = notesFields(r)
	}
	s := stream.New()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id, err := s.NextID(stream.AutoID(), 1700000000000+uint64(i/10))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Append(id, fields[i%len(fields)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkMemory measures the heap bytes per entry of a stream of
// 1,000,000 entries with the data of stream-memory.md (ID
// <1700000000000+i>-0), as a HeapAlloc delta after GC. Target: <= 25.
func BenchmarkMemory(b *testing.B) {
	const n = 1_000_000
	var perEntry float64
	for b.Loop() {
		r := rand.New(rand.NewPCG(1, 2))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := stream.New()
		for i := range n {
			if err := s.Append(stream.ID{Ms: 1700000000000 + uint64(i)}, notesFields(r)); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perEntry = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(s)
	}
	b.ReportMetric(perEntry, "B/entry")
}

// BenchmarkGet looks up random entries of a 100,000-entry stream.
func BenchmarkGet(b *testing.B) {
	const n = 100_000
	r := rand.New(rand.NewPCG(1, 2))
	s := stream.New()
	for i := range n {
		if err := s.Append(stream.ID{Ms: 1700000000000 + uint64(i)}, notesFields(r)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.Get(stream.ID{Ms: 1700000000000 + r.Uint64N(n)}); !ok {
			b.Fatal("missing entry")
		}
	}
}

// BenchmarkRange reads 10 entries from a random point of a 100,000-entry
// stream, forwards and backwards.
func BenchmarkRange(b *testing.B) {
	const n = 100_000
	r := rand.New(rand.NewPCG(1, 2))
	s := stream.New()
	for i := range n {
		if err := s.Append(stream.ID{Ms: 1700000000000 + uint64(i)}, notesFields(r)); err != nil {
			b.Fatal(err)
		}
	}
	for _, dir := range []string{"forward", "backward"} {
		b.Run(dir, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				at := stream.ID{Ms: 1700000000000 + r.Uint64N(n)}
				var got []stream.Entry
				if dir == "forward" {
					got = s.Range(at, stream.MaxID, 10)
				} else {
					got = s.RevRange(at, stream.MinID, 10)
				}
				if len(got) == 0 {
					b.Fatal("empty range")
				}
			}
		})
	}
}

// BenchmarkSnapshot encodes and decodes a 100,000-entry stream.
func BenchmarkSnapshot(b *testing.B) {
	const n = 100_000
	r := rand.New(rand.NewPCG(1, 2))
	s := stream.New()
	for i := range n {
		if err := s.Append(stream.ID{Ms: 1700000000000 + uint64(i)}, notesFields(r)); err != nil {
			b.Fatal(err)
		}
	}
	enc, _ := s.AppendBinary(nil)
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		buf := make([]byte, 0, len(enc))
		for b.Loop() {
			buf, _ = s.AppendBinary(buf[:0])
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			if _, err := stream.Decode(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReadGroupAck delivers 100 entries per XREADGROUP > COUNT 100 and
// acknowledges them with one XACK, with consumers taking turns (the stream
// holds 100,000 entries; the group is rewound when it reaches the end). It
// reports entries/s and the process CPU time per entry.
func BenchmarkReadGroupAck(b *testing.B) {
	const n, count = 100_000, 100
	r := rand.New(rand.NewPCG(1, 2))
	s := stream.New()
	for i := range n {
		if err := s.Append(stream.ID{Ms: 1700000000000 + uint64(i)}, notesFields(r)); err != nil {
			b.Fatal(err)
		}
	}
	for _, consumers := range []int{1, 4} {
		b.Run("consumers="+strconv.Itoa(consumers), func(b *testing.B) {
			if err := s.CreateGroup("g", stream.MinID, 0); err != nil {
				b.Fatal(err)
			}
			defer s.DestroyGroup("g")
			names := []string{"c0", "c1", "c2", "c3"}[:consumers]
			ids := make([]stream.ID, 0, count)
			b.ReportAllocs()
			i, read := 0, 0
			cpu := cputime.Process()
			for b.Loop() {
				if read == n {
					if err := s.SetGroupID("g", stream.MinID, 0); err != nil {
						b.Fatal(err)
					}
					read = 0
				}
				es, err := s.ReadGroupNew("g", names[i%consumers], uint64(i), count, false)
				if err != nil || len(es) != count {
					b.Fatalf("read %d entries, %v", len(es), err)
				}
				ids = ids[:0]
				for _, e := range es {
					ids = append(ids, e.ID)
				}
				if got := s.Ack("g", ids...); got != count {
					b.Fatalf("acked %d", got)
				}
				i, read = i+1, read+count
			}
			b.ReportMetric(float64(b.N*count)/b.Elapsed().Seconds(), "entries/s")
			b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N*count), "cpu-ns/entry")
		})
	}
}
