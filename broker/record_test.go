package broker

// White-box: the record codec is unexported; the broker's observable
// behaviour across restarts is tested black-box in durable_test.go.

import (
	"errors"
	"reflect"
	"testing"

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
		"trim maxlen 0": {kind: opTrim, key: "k", trim: stream.Trim{Strategy: stream.TrimMaxLen}},
		"delete":        {kind: opDelete, key: "k", ids: []stream.ID{{Ms: 5, Seq: 1}, {Ms: 1}, stream.MaxID}},
		"delete none":   {kind: opDelete, key: "k", ids: []stream.ID{}},
		"delete key":    {kind: opDeleteKey, key: "k"},
		"group create": {kind: opGroupCreate, key: "k", group: "g", id: stream.ID{Ms: 3},
			entriesRead: stream.EntriesReadUnknown},
		"group setid":     {kind: opGroupSetID, key: "k", group: "g", id: stream.MaxID, entriesRead: 1 << 40},
		"group destroy":   {kind: opGroupDestroy, key: "k", group: "g"},
		"consumer create": {kind: opConsumerCreate, key: "k", group: "g", consumer: "c", nowMs: 7},
		"consumer delete": {kind: opConsumerDelete, key: "k", group: "g", consumer: "c"},
		"read new": {kind: opReadNew, key: "k", group: "g", consumer: "c", nowMs: 7,
			count: 10, noAck: true},
		"read history": {kind: opReadHistory, key: "k", group: "g", consumer: "c", nowMs: 7,
			id: stream.ID{Ms: 1}, count: -1},
		"ack": {kind: opAck, key: "k", group: "g", ids: []stream.ID{{Ms: 1}, {Ms: 2}}},
		"claim all options": {kind: opClaim, key: "k", group: "g", consumer: "c", nowMs: 8,
			minIdleMs: 1000, ids: []stream.ID{{Ms: 1}},
			claim: stream.ClaimOptions{IdleMs: u64(0), TimeMs: u64(5), RetryCount: u64(3),
				Force: true, JustID: true, LastID: &last}},
		"claim force only": {kind: opClaim, key: "k", group: "g", consumer: "c",
			ids: []stream.ID{{Ms: 1}}, claim: stream.ClaimOptions{Force: true}},
		"autoclaim": {kind: opAutoClaim, key: "k", group: "g", consumer: "c", nowMs: 9,
			minIdleMs: 10, id: stream.ID{Ms: 0, Seq: 1}, count: 100, justID: true},
		"add batch": {kind: opAddBatch, key: "k", nowMs: 5,
			batch: []stream.Entry{
				{ID: stream.ID{Ms: 5}, Fields: []stream.Field{{Name: "a", Value: "1"}}},
				{ID: stream.ID{Ms: 5, Seq: 1}, Fields: []stream.Field{{Name: "a", Value: "2"}, {Name: "b", Value: ""}}},
			},
			trim: stream.Trim{Strategy: stream.TrimMinID, MinID: stream.ID{Ms: 5, Seq: 1}}},
		"add batch empty entry": {kind: opAddBatch, key: "k",
			batch: []stream.Entry{{ID: stream.ID{Seq: 1}, Fields: []stream.Field{}}}},
		"binary key": {kind: opAdd, key: "\x00\xff/../x", id: stream.ID{Seq: 1},
			fields: []stream.Field{{Name: "\x00", Value: string(make([]byte, 300))}}},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for name, m := range recordCases() {
		t.Run(name, func(t *testing.T) {
			data := appendRecord(nil, &m)
			got, err := decodeRecord(data)
			if err != nil {
				t.Fatalf("decodeRecord: %v", err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
			}
			// Every strict prefix is rejected, never accepted as a shorter record.
			for i := range len(data) {
				if _, err := decodeRecord(data[:i]); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("prefix of %d/%d bytes: err = %v, want ErrCorrupt", i, len(data), err)
				}
			}
		})
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	valid := appendRecord(nil, &mutation{kind: opAck, key: "k", group: "g", ids: []stream.ID{{Ms: 1}}})
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
		{"unknown field bit", []byte{recordVersion, byte(opAdd), 0x80, 0x80, 0x01, 0}, ErrCorrupt},
		{"huge batch count", []byte{recordVersion, byte(opAddBatch), 0x80, 0x40, 0, 0xff, 0xff, 0x03}, ErrCorrupt},
		{"trailing byte", append(append([]byte(nil), valid...), 0), ErrCorrupt},
		{"huge string length", []byte{recordVersion, byte(opAdd), 0, 0xff, 0xff, 0xff, 0xff, 0x0f}, ErrCorrupt},
		{"huge id count", []byte{recordVersion, byte(opDelete), recIDs, 0, 0xff, 0xff, 0xff, 0x7f}, ErrCorrupt},
		{"huge field count", []byte{recordVersion, byte(opAdd), recFields, 0, 0xff, 0xff, 0x03}, ErrCorrupt},
		{"bad trim strategy", []byte{recordVersion, byte(opTrim), recTrim, 0, 9, 0, 0, 0, 0, 0}, ErrCorrupt},
		{"bad boolean", []byte{recordVersion, byte(opTrim), recTrim, 0, 1, 0, 0, 0, 2, 0}, ErrCorrupt},
		{"bad claim flags", []byte{recordVersion, byte(opClaim), 0x80, 0x20, 0, 0x80}, ErrCorrupt}, // present = recClaim
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
			return
		}
		// What decodes re-encodes to something that decodes to the same value.
		again, err := decodeRecord(appendRecord(nil, &m))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("re-decode:\n got %+v\nwant %+v", again, m)
		}
	})
}
