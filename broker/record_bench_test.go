package broker

import (
	"testing"

	"github.com/brookmq/brook/stream"
)

// BenchmarkDecodeRecord decodes the log record of an XADD of 3 small fields
// (the entry of bench's recovery benchmarks): mode=fresh as decodeRecord
// does, mode=replay with the reusing decoder recovery uses; and, with
// apply=1, applies it to a stream as replay does. Allocations per record
// are the figure to watch.
func BenchmarkDecodeRecord(b *testing.B) {
	m := mutation{kind: opAdd, key: "s", id: stream.ID{Ms: 1700000000000}, fields: []stream.Field{
		{Name: "user_id", Value: "1234"}, {Name: "product", Value: "prod1234"}, {Name: "amount", Value: "5678"},
	}}
	rec := appendRecord(nil, &m)
	b.Run("mode=fresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeRecord(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mode=replay", func(b *testing.B) {
		b.ReportAllocs()
		rd := newReplayDecoder()
		for b.Loop() {
			var m mutation
			if err := rd.decode(&m, rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mode=replay/apply=1", func(b *testing.B) {
		b.ReportAllocs()
		rd := newReplayDecoder()
		st := &streamState{exists: true}
		for b.Loop() {
			var m mutation
			if err := rd.decode(&m, rec); err != nil {
				b.Fatal(err)
			}
			m.id = stream.ID{Ms: m.id.Ms, Seq: uint64(st.stream().Len())}
			if err := apply(st, &m, &effect{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
