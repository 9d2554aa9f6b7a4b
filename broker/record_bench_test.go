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

// BenchmarkAppendRecord encodes the log record of an XADD of 3 small fields
// into a buffer of 256 KiB reused from its start when full, as the log's
// pending buffer is: enc=any with the general encoder, enc=add with the
// plain XADD's (the one appendRecord picks for it).
func BenchmarkAppendRecord(b *testing.B) {
	m := mutation{kind: opAdd, key: "s", nowMs: 1700000000000, id: stream.ID{Ms: 1700000000000, Seq: 7}, fields: []stream.Field{
		{Name: "user_id", Value: "1234"}, {Name: "product", Value: "prod1234"}, {Name: "amount", Value: "5678"},
	}}
	for _, enc := range []struct {
		name string
		fn   func([]byte, *mutation) []byte
	}{{"any", appendAnyRecord}, {"add", appendAddRecord}} {
		b.Run("enc="+enc.name, func(b *testing.B) {
			buf := make([]byte, 0, 256<<10)
			for b.Loop() {
				if len(buf) > cap(buf)-256 {
					buf = buf[:0]
				}
				buf = enc.fn(buf, &m)
			}
		})
	}
}
