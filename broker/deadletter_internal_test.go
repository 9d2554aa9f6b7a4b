package broker

import (
	"errors"
	"reflect"
	"testing"

	"github.com/brookmq/brook/stream"
)

func deadLetterCase() mutation {
	return mutation{kind: opDeadLetter, key: "jobs", nowMs: 1700000000000, id: stream.ID{Ms: 5, Seq: 1}, fields: DeadLetter{Stream: "jobs", Original: stream.ID{Ms: 5, Seq: 1}, Group: "g", Consumer: "c",
		Deliveries: 3, Error: "boom", Fields: []stream.Field{{Name: "a", Value: "1"}}}.fields(), opArgs: &opArgs{group: "g", consumer: "c", dead: &deadLetter{key: "jobs:dead", id: stream.ID{Ms: 1700000000000}}}}
}

func TestDeadLetterRecordRoundTrip(t *testing.T) {
	m := deadLetterCase()
	data := appendRecord(nil, &m)
	for name, decode := range map[string]func([]byte) (mutation, error){
		"fresh":  decodeRecord,
		"replay": func(b []byte) (mutation, error) { return replayDecode(newReplayDecoder(), b) },
	} {
		got, err := decode(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("%s round trip:\n got %+v\nwant %+v", name, got, m)
		}
	}
	// A kind between the known ranges is still refused.
	bad := append([]byte(nil), data...)
	bad[1] = byte(opMax) + 1
	if _, err := decodeRecord(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("kind %d: %v", bad[1], err)
	}
}

// TestApplyDeadLetter: the move needs the entry pending for the consumer,
// and then both appends and acks; otherwise it changes nothing (not even
// creating the dead-letter key).
func TestApplyDeadLetter(t *testing.T) {
	src := &streamState{key: "jobs", exists: true}
	id := stream.ID{Ms: 5, Seq: 1}
	if err := src.stream().Append(id, []stream.Field{{Name: "a", Value: "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := src.stream().CreateGroup("g", stream.ID{}, 0); err != nil {
		t.Fatal(err)
	}
	dst := &streamState{key: "jobs:dead"}
	m := deadLetterCase()
	m.dead.st = dst
	var e effect
	if err := apply(src, &m, &e); err != nil || e.changed || dst.stream() != nil {
		t.Fatalf("not pending: err %v, changed %v, dead key created %v", err, e.changed, dst.stream() != nil)
	}
	if _, err := src.stream().ReadGroupNew("g", "other", 1, 0, false); err != nil {
		t.Fatal(err)
	}
	if err := apply(src, &m, &e); err != nil || e.changed || dst.stream() != nil {
		t.Fatalf("pending for another consumer: err %v, changed %v", err, e.changed)
	}
	if _, err := src.stream().Claim("g", "c", 2, 0, []stream.ID{id}, stream.ClaimOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := apply(src, &m, &e); err != nil || !e.changed || e.n != 1 {
		t.Fatalf("pending: err %v, effect %+v", err, e)
	}
	if sum, _ := src.stream().PendingSummary("g"); sum.Count != 0 {
		t.Fatalf("still pending: %+v", sum)
	}
	if got, ok := dst.stream().Get(m.dead.id); !ok || !reflect.DeepEqual(got.Fields, m.fields) {
		t.Fatalf("dead-letter entry %v %+v", ok, got)
	}
}

// TestApplyDeadLetterAckedRetention: the move acknowledges, so a source
// stream with the Acked retention bound drops the entry in the same
// mutation; the next entry, not delivered, stays.
func TestApplyDeadLetterAckedRetention(t *testing.T) {
	src := &streamState{key: "jobs", exists: true}
	id := stream.ID{Ms: 5, Seq: 1}
	for _, at := range []stream.ID{id, {Ms: 6}} {
		if err := src.stream().Append(at, []stream.Field{{Name: "a", Value: "1"}}); err != nil {
			t.Fatal(err)
		}
	}
	src.stream().SetRetention(stream.Retention{Acked: true})
	if err := src.stream().CreateGroup("g", stream.ID{}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := src.stream().ReadGroupNew("g", "c", 1, 1, false); err != nil {
		t.Fatal(err)
	}
	m := deadLetterCase()
	m.dead.st = &streamState{key: "jobs:dead"}
	var e effect
	if err := apply(src, &m, &e); err != nil || !e.changed || e.n != 1 {
		t.Fatalf("err %v, effect %+v", err, e)
	}
	if first, _ := src.stream().FirstID(); src.stream().Len() != 1 || first != (stream.ID{Ms: 6}) {
		t.Fatalf("source length %d, first %s; want only 6-0", src.stream().Len(), first)
	}
}
