package broker

// White-box: the record codec is unexported; the broker's observable
// behaviour across restarts is tested black-box in durable_test.go.

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/brookmq/brook/internal/wire"
	"github.com/brookmq/brook/stream"
)

func u64(v uint64) *uint64 { return &v }

// recordCases are mutations covering every kind and every optional field.
func recordCases() map[string]mutation {
	last := stream.ID{Ms: 9, Seq: 9}
	return map[string]mutation{
		"add": {kind: opAdd, key: "orders", nowMs: 1700000000000,
			id:     stream.ID{Ms: 1700000000000, Seq: 3},
			fields: []stream.Field{{Name: "item", Value: "book"}, {Name: "", Value: ""}}},
		"add with trim": {kind: opAdd, key: "k", id: stream.ID{Ms: 1},
			fields: []stream.Field{{Name: "a", Value: "b"}},
			trim:   stream.Trim{Strategy: stream.TrimMinID, MinID: stream.ID{Ms: 1, Seq: 0}}},
		"empty key": {kind: opCreateStream},
		"trim maxlen": {kind: opTrim, key: "k",
			trim: stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 5, Approx: true, Limit: 100}},
		"trim maxlen 0":   {kind: opTrim, key: "k", trim: stream.Trim{Strategy: stream.TrimMaxLen}},
		"delete":          {kind: opDelete, key: "k", opArgs: &opArgs{ids: []stream.ID{{Ms: 5, Seq: 1}, {Ms: 1}, stream.MaxID}}},
		"delete none":     {kind: opDelete, key: "k", opArgs: &opArgs{ids: []stream.ID{}}},
		"delete key":      {kind: opDeleteKey, key: "k"},
		"group create":    {kind: opGroupCreate, key: "k", id: stream.ID{Ms: 3}, opArgs: &opArgs{group: "g", entriesRead: stream.EntriesReadUnknown}},
		"group setid":     {kind: opGroupSetID, key: "k", id: stream.MaxID, opArgs: &opArgs{group: "g", entriesRead: 1 << 40}},
		"group destroy":   {kind: opGroupDestroy, key: "k", opArgs: &opArgs{group: "g"}},
		"consumer create": {kind: opConsumerCreate, key: "k", nowMs: 7, opArgs: &opArgs{group: "g", consumer: "c"}},
		"consumer delete": {kind: opConsumerDelete, key: "k", opArgs: &opArgs{group: "g", consumer: "c"}},
		"read new":        {kind: opReadNew, key: "k", nowMs: 7, opArgs: &opArgs{group: "g", consumer: "c", count: 10, noAck: true}},
		"read history":    {kind: opReadHistory, key: "k", nowMs: 7, id: stream.ID{Ms: 1}, opArgs: &opArgs{group: "g", consumer: "c", count: -1}},
		"ack":             {kind: opAck, key: "k", opArgs: &opArgs{group: "g", ids: []stream.ID{{Ms: 1}, {Ms: 2}}}},
		"claim all options": {kind: opClaim, key: "k", nowMs: 8, opArgs: &opArgs{group: "g", consumer: "c", minIdleMs: 1000, ids: []stream.ID{{Ms: 1}}, claim: stream.ClaimOptions{IdleMs: u64(0), TimeMs: u64(5), RetryCount: u64(3),
			Force: true, JustID: true, LastID: &last}}},
		"claim force only": {kind: opClaim, key: "k", opArgs: &opArgs{group: "g", consumer: "c", ids: []stream.ID{{Ms: 1}}, claim: stream.ClaimOptions{Force: true}}},
		"autoclaim":        {kind: opAutoClaim, key: "k", nowMs: 9, id: stream.ID{Ms: 0, Seq: 1}, opArgs: &opArgs{group: "g", consumer: "c", minIdleMs: 10, count: 100, justID: true}},
		"add batch": {kind: opAddBatch, key: "k", nowMs: 5, trim: stream.Trim{Strategy: stream.TrimMinID, MinID: stream.ID{Ms: 5, Seq: 1}}, opArgs: &opArgs{batch: []stream.Entry{
			{ID: stream.ID{Ms: 5}, Fields: []stream.Field{{Name: "a", Value: "1"}}},
			{ID: stream.ID{Ms: 5, Seq: 1}, Fields: []stream.Field{{Name: "a", Value: "2"}, {Name: "b", Value: ""}}},
		}}},
		"add batch empty entry": {kind: opAddBatch, key: "k", opArgs: &opArgs{batch: []stream.Entry{{ID: stream.ID{Seq: 1}, Fields: []stream.Field{}}}}},
		"nack":                  {kind: opNack, key: "k", opArgs: &opArgs{group: "g", ids: []stream.ID{{Ms: 1}}, nack: stream.NackOptions{Mode: stream.NackFatal, RetryCount: u64(0), Force: true}}},
		"nack silent":           {kind: opNack, key: "k", opArgs: &opArgs{group: "g", ids: []stream.ID{{Ms: 1}}}},
		"read claim":            {kind: opReadClaim, key: "k", nowMs: 7, opArgs: &opArgs{group: "g", consumer: "c", minIdleMs: 50, count: 3, noAck: true}},
		"read claim 0":          {kind: opReadClaim, key: "k", nowMs: 7, opArgs: &opArgs{group: "g", consumer: "c", count: maxCount}},
		"ackdel":                {kind: opAckDel, key: "k", opArgs: &opArgs{group: "g", ids: []stream.ID{{Ms: 1}}, ref: stream.Acked}},
		"delex":                 {kind: opDeleteEx, key: "k", opArgs: &opArgs{ids: []stream.ID{{Ms: 1}, {Ms: 1}}, ref: stream.DelRef}},
		"trim ref": {kind: opTrim, key: "k",
			trim: stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 5, Approx: true, Ref: stream.Acked}},
		"add trim ref": {kind: opAdd, key: "k", id: stream.ID{Ms: 1}, fields: []stream.Field{{Name: "a", Value: "b"}},
			trim: stream.Trim{Strategy: stream.TrimMinID, MinID: stream.ID{Ms: 1}, Ref: stream.DelRef}},
		"add idmp":        {kind: opAdd, key: "k", nowMs: 5, id: stream.ID{Ms: 5}, fields: []stream.Field{{Name: "a", Value: "1"}}, trim: stream.Trim{Strategy: stream.TrimMaxLen}, idmpArgs: &idmpArgs{pid: "p1", iid: "ord-7"}},
		"add idmpauto":    {kind: opAdd, key: "k", nowMs: 5, id: stream.ID{Ms: 5}, fields: []stream.Field{{Name: "a", Value: "1"}}, idmpArgs: &idmpArgs{pid: "p", iid: stream.AutoIID([]stream.Field{{Name: "a", Value: "1"}})}},
		"idmp duplicate":  {kind: opIdmpDuplicate, key: "k", idmpArgs: &idmpArgs{pid: "p", iid: "i"}},
		"idmp config":     {kind: opIdmpConfig, key: "k", idmpArgs: &idmpArgs{idmpCfg: stream.IdmpConfig{Duration: 86400, MaxSize: 1}}},
		"idmp expire":     {kind: opIdmpExpire, key: "k", nowMs: 1700000000000},
		"retention":       {kind: opRetention, key: "k", nowMs: 9, idmpArgs: &idmpArgs{retention: stream.Retention{MaxLen: 10, MaxAgeMs: 60000, MaxBytes: 1 << 40}}},
		"retention none":  {kind: opRetention, key: "k", nowMs: 9, idmpArgs: &idmpArgs{}},
		"retention acked": {kind: opRetention, key: "k", nowMs: 9, idmpArgs: &idmpArgs{retention: stream.Retention{MaxLen: 3, Acked: true}}},
		"dead letter":     deadLetterCase(), // deadletter_internal_test.go
		"binary key": {kind: opAdd, key: "\x00\xff/../x", id: stream.ID{Seq: 1},
			fields: []stream.Field{{Name: "\x00", Value: string(make([]byte, 300))}}},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	rd := newReplayDecoder() // shared by the cases, as by the records of a replay
	for name, m := range recordCases() {
		t.Run(name, func(t *testing.T) {
			data := appendRecord(nil, &m)
			got, err := decodeRecord(data)
			if err != nil {
				t.Fatalf("decodeRecord: %v", err)
			}
			if !reflect.DeepEqual(normalized(got), normalized(m)) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
			}
			if got, err = replayDecode(rd, data); err != nil || !reflect.DeepEqual(got, normalized(m)) {
				t.Fatalf("replay decoder: %v\n got %+v\nwant %+v", err, got, m)
			}
			// Replay decodes from the log's read buffer (wal.Log.ReplayView),
			// which the next read overwrites: nothing decoded may alias it
			// but the field lists (copied to fields by replayDecode).
			scribbled := bytes.Repeat([]byte{0xa5}, len(data))
			copy(data, scribbled)
			if !reflect.DeepEqual(got, normalized(m)) {
				t.Fatalf("replay decoder: the mutation changed with the record's bytes:\n got %+v\nwant %+v", got, m)
			}
			data = appendRecord(nil, &m)
			// Every strict prefix is rejected, never accepted as a shorter record.
			for i := range len(data) {
				if _, err := decodeRecord(data[:i]); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("prefix of %d/%d bytes: err = %v, want ErrCorrupt", i, len(data), err)
				}
				if _, err := replayDecode(rd, data[:i]); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("replay decoder, prefix of %d/%d bytes: err = %v, want ErrCorrupt", i, len(data), err)
				}
			}
		})
	}
}

// replayDecode decodes data with the replay decoder rd and decodes the
// field lists it leaves encoded, so that the result compares with
// decodeRecord's.
func replayDecode(rd *recordDecoder, data []byte) (mutation, error) {
	var m mutation
	if err := rd.decode(&m, data); err != nil {
		return mutation{}, err
	}
	fields := func(list stream.FieldList) []stream.Field {
		d := decoder{wire.NewReader(list.Bytes(), nil)}
		return readFields(&d)
	}
	a := m.opArgs
	if a == nil {
		return normalized(m), nil
	}
	if a.fieldList.Bytes() != nil {
		m.fields, a.fieldList = fields(a.fieldList), stream.FieldList{}
	}
	if a.batchLists != nil {
		a.batch = make([]stream.Entry, len(a.batchLists))
		for i, e := range a.batchLists {
			a.batch[i] = stream.Entry{ID: e.id, Fields: fields(e.fields)}
		}
		a.batchLists = nil
	}
	own := *a // rd's own, reused by the next record
	m.opArgs = &own
	return normalized(m), nil
}

// normalized returns m with argument structs that hold only zero values
// removed: decoders add them as the record's bits name fields (a field bit
// with a zero value, which the encoder never writes but a decoder accepts,
// or the replay decoder's fieldList), and the encoder writes nothing for
// them, so two mutations that encode alike compare alike.
func normalized(m mutation) mutation {
	if m.opArgs != nil && reflect.DeepEqual(*m.opArgs, opArgs{}) {
		m.opArgs = nil
	}
	if m.idmpArgs != nil && *m.idmpArgs == (idmpArgs{}) {
		m.idmpArgs = nil
	}
	return m
}

// TestReplayDecoderApplies checks that a stream replayed from field lists
// left encoded is the stream replayed from decoded fields, byte for byte.
func TestReplayDecoderApplies(t *testing.T) {
	var fresh, lists streamState
	rd := newReplayDecoder()
	for i := range 500 {
		id := stream.ID{Ms: uint64(1 + i), Seq: 0}
		f := []stream.Field{{Name: "n", Value: strconv.Itoa(i)}, {Name: "s", Value: strings.Repeat("x", i%50)}}
		m := mutation{kind: opAdd, key: "k", id: id, fields: f}
		if i%7 == 0 {
			m = mutation{kind: opAddBatch, key: "k", opArgs: &opArgs{batch: []stream.Entry{{ID: id, Fields: f}, {ID: stream.ID{Ms: id.Ms, Seq: 1}}}}}
		}
		data := appendRecord(nil, &m)
		a, err := decodeRecord(data)
		if err != nil {
			t.Fatal(err)
		}
		var b mutation
		if err := rd.decode(&b, data); err != nil {
			t.Fatal(err)
		}
		if err := apply(&fresh, &a, &effect{}); err != nil {
			t.Fatal(err)
		}
		if err := apply(&lists, &b, &effect{}); err != nil {
			t.Fatal(err)
		}
		clear(data) // the log's read buffer, reused: the stream keeps a copy
	}
	ea, _ := fresh.stream().AppendBinary(nil)
	eb, _ := lists.stream().AppendBinary(nil)
	if !bytes.Equal(ea, eb) {
		t.Fatal("replay from field lists differs from replay from fields")
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	valid := appendRecord(nil, &mutation{kind: opAck, key: "k", opArgs: &opArgs{group: "g", ids: []stream.ID{{Ms: 1}}}})
	with := func(i int, c byte) []byte {
		b := append([]byte(nil), valid...)
		b[i] = c
		return b
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"version 0", with(0, 0), ErrFormatVersion},
		{"version 2", with(0, 2), ErrFormatVersion},
		{"kind 0", with(1, 0), ErrCorrupt},
		{"kind too high", with(1, byte(opMax)+1), ErrCorrupt},
		{"unknown field bit", []byte{recordVersion, byte(opAdd), 0x80, 0x80, 0x80, 0x80, 0x04, 0}, ErrCorrupt}, // 1<<30
		{"bad nack mode", []byte{recordVersion, byte(opNack), 0x80, 0x80, 0x01, 0, 3, 0}, ErrCorrupt},          // recNack
		{"bad nack flags", []byte{recordVersion, byte(opNack), 0x80, 0x80, 0x01, 0, 0, 4}, ErrCorrupt},
		{"bad ref mode", []byte{recordVersion, byte(opDeleteEx), 0x80, 0x80, 0x02, 0, 3}, ErrCorrupt}, // recRef
		{"bad trim ref", []byte{recordVersion, byte(opTrim), 0x80, 0x80, 0x04, 0, 3}, ErrCorrupt},     // recTrimRef
		{"huge batch count", []byte{recordVersion, byte(opAddBatch), 0x80, 0x40, 0, 0xff, 0xff, 0x03}, ErrCorrupt},
		{"trailing byte", append(append([]byte(nil), valid...), 0), ErrCorrupt},
		{"huge string length", []byte{recordVersion, byte(opAdd), 0, 0xff, 0xff, 0xff, 0xff, 0x0f}, ErrCorrupt},
		{"huge id count", []byte{recordVersion, byte(opDelete), recIDs, 0, 0xff, 0xff, 0xff, 0x7f}, ErrCorrupt},
		{"huge field count", []byte{recordVersion, byte(opAdd), recFields, 0, 0xff, 0xff, 0x03}, ErrCorrupt},
		{"bad trim strategy", []byte{recordVersion, byte(opTrim), recTrim, 0, 9, 0, 0, 0, 0, 0}, ErrCorrupt},
		{"bad boolean", []byte{recordVersion, byte(opTrim), recTrim, 0, 1, 0, 0, 0, 2, 0}, ErrCorrupt},
		{"bad claim flags", []byte{recordVersion, byte(opClaim), 0x80, 0x20, 0, 0x80}, ErrCorrupt}, // present = recClaim
		{"idmp without iid", []byte{recordVersion, byte(opIdmpDuplicate), 0x80, 0x80, 0x40, 1, 'k', 1, 'p', 0}, ErrCorrupt},
		{"idmp config bit on another kind", []byte{recordVersion, byte(opAdd), 0x80, 0x80, 0x80, 0x01, 1, 'k', 1, 1}, ErrCorrupt},
		{"idmp config without its bit", []byte{recordVersion, byte(opIdmpConfig), 0, 1, 'k'}, ErrCorrupt},
		{"idmp duration 0", []byte{recordVersion, byte(opIdmpConfig), 0x80, 0x80, 0x80, 0x01, 1, 'k', 0, 1}, ErrCorrupt},
		{"idmp max size 10001", []byte{recordVersion, byte(opIdmpConfig), 0x80, 0x80, 0x80, 0x01, 1, 'k', 1, 0x91, 0x4e}, ErrCorrupt},
		{"negative retention", []byte{recordVersion, byte(opRetention), 0x80, 0x80, 0x80, 0x02, 1, 'k', 1, 0, 0, 0}, ErrCorrupt},
		{"retention acked 2", []byte{recordVersion, byte(opRetention), 0x80, 0x80, 0x80, 0x02, 1, 'k', 0, 0, 0, 2}, ErrCorrupt},
		{"retention without acked", []byte{recordVersion, byte(opRetention), 0x80, 0x80, 0x80, 0x02, 1, 'k', 0, 0, 0}, ErrCorrupt},
		{"unknown policy bit", []byte{recordVersion, byte(opAdd), 0x80, 0x80, 0x80, 0x08, 1, 'k'}, ErrCorrupt},
		{"kind 22", with(1, 22), ErrCorrupt},
		{"kind 27 without its dead letter", with(1, 27), ErrCorrupt},
		{"kind 28", with(1, 28), ErrCorrupt},
		{"overlong varint", []byte{recordVersion, byte(opAdd), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeRecord(tt.data); !errors.Is(err, tt.want) {
				t.Fatalf("decodeRecord(%x) error = %v, want %v", tt.data, err, tt.want)
			}
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for _, m := range recordCases() {
		f.Add(appendRecord(nil, &m))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeRecord(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrFormatVersion) {
				t.Fatalf("error %v is neither ErrCorrupt nor ErrFormatVersion", err)
			}
			if _, rerr := replayDecode(newReplayDecoder(), data); rerr == nil {
				t.Fatalf("replay decoder accepts what decodeRecord refuses (%v)", err)
			}
			return
		}
		// The replay decoder agrees.
		if got, err := replayDecode(newReplayDecoder(), data); err != nil || !reflect.DeepEqual(got, normalized(m)) {
			t.Fatalf("replay decoder: %v\n got %+v\nwant %+v", err, got, m)
		}
		// What decodes re-encodes to something that decodes to the same value.
		again, err := decodeRecord(appendRecord(nil, &m))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(normalized(again), normalized(m)) {
			t.Fatalf("re-decode:\n got %+v\nwant %+v", again, m)
		}
	})
}

// TestAppendAddRecord checks that the plain XADD's encoder writes the bytes
// of the general one, for short and long keys, names and values, empty
// ones, and IDs and clock readings of every varint length.
func TestAppendAddRecord(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	str := func() string {
		return strings.Repeat("x", []int{0, 1, 5, 127, 128, 300, 20000}[rng.IntN(7)])
	}
	for i := range 2000 {
		m := mutation{kind: opAdd, key: str(), nowMs: 1 + rng.Uint64N(1<<uint(1+rng.IntN(63))),
			id: stream.ID{Ms: rng.Uint64N(1 << uint(1+rng.IntN(63))), Seq: 1 + rng.Uint64N(1<<uint(rng.IntN(64)))}}
		m.fields = make([]stream.Field, rng.IntN(4))
		for j := range m.fields {
			m.fields[j] = stream.Field{Name: str(), Value: str()}
		}
		prefix := []byte(strconv.Itoa(i))
		want := appendAnyRecord(bytes.Clone(prefix), &m)
		got := appendRecord(bytes.Clone(prefix), &m)
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d: appendRecord wrote\n%x\nthe general encoder\n%x", i, got, want)
		}
		if add := appendAddRecord(bytes.Clone(prefix), &m); !bytes.Equal(add, want) {
			t.Fatalf("case %d: appendAddRecord wrote\n%x\nthe general encoder\n%x", i, add, want)
		}
	}
}
