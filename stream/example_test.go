package stream_test

import (
	"fmt"

	"github.com/brookmq/brook/stream"
)

// ExampleStream adds entries the way XADD does, reads them back, deletes
// one and trims the stream.
func ExampleStream() {
	s := stream.New()
	for now := uint64(1000); now < 1003; now++ {
		id, err := s.NextID(stream.AutoID(), now) // "*" with the clock at now
		if err != nil {
			panic(err)
		}
		if err := s.Append(id, []stream.Field{{Name: "temp", Value: fmt.Sprint(now - 980)}}); err != nil {
			panic(err)
		}
	}
	id, _ := s.NextID(stream.PartialID(1002), 0) // "1002-*"
	_ = s.Append(id, []stream.Field{{Name: "temp", Value: "23"}})

	for _, e := range s.Range(stream.MinID, stream.MaxID, 0) {
		fmt.Println(e.ID, e.Fields)
	}
	fmt.Println("deleted:", s.Delete(stream.ID{Ms: 1001}))
	fmt.Println("trimmed:", s.Trim(stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 2}))
	in := s.Info()
	fmt.Println("length", in.Length, "last", in.LastGeneratedID, "max-deleted", in.MaxDeletedEntryID, "added", in.EntriesAdded)
	// Output:
	// 1000-0 [{temp 20}]
	// 1001-0 [{temp 21}]
	// 1002-0 [{temp 22}]
	// 1002-1 [{temp 23}]
	// deleted: 1
	// trimmed: 1
	// length 2 last 1002-1 max-deleted 1001-0 added 4
}

// ExampleDecode writes a stream's snapshot encoding and reads it back.
func ExampleDecode() {
	s := stream.New()
	_ = s.Append(stream.ID{Ms: 1, Seq: 1}, []stream.Field{{Name: "k", Value: "v"}})
	data, _ := s.AppendBinary(nil)
	d, err := stream.Decode(data)
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Len(), d.LastID(), d.Range(stream.MinID, stream.MaxID, 0))
	// Output: 1 1-1 [{1-1 [{k v}]}]
}
