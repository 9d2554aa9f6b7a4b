package brookredis

import (
	"fmt"
	"strconv"

	"github.com/brookmq/brook/broker"
)

// Replies come as go-redis decodes them for a generic command: RESP2 arrays
// as []any, RESP3 maps as map[any]any, integers as int64, bulk strings as
// string, nil as nil. Both protocols are read.

// toInt reads an integer reply, or a bulk string holding one (XPENDING's
// per-consumer counts).
func toInt(v any) (int64, error) {
	switch v := v.(type) {
	case int64:
		return v, nil
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("brookredis: unexpected reply %q, want an integer", v)
		}
		return n, nil
	}
	return 0, fmt.Errorf("brookredis: unexpected reply %T, want an integer", v)
}

// toID reads an ID.
func toID(v any) (broker.ID, error) {
	s, ok := v.(string)
	if !ok {
		return broker.ID{}, fmt.Errorf("brookredis: unexpected reply %T, want an ID", v)
	}
	return broker.ParseID(s)
}

// toIDOrZero reads an ID that may be nil (XPENDING's min and max).
func toIDOrZero(v any) (broker.ID, error) {
	if v == nil {
		return broker.ID{}, nil
	}
	return toID(v)
}

// toArray reads an array; nil is an empty one.
func toArray(v any) ([]any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return v, nil
	}
	return nil, fmt.Errorf("brookredis: unexpected reply %T, want an array", v)
}

// toEntry reads [id, [name, value, ...]]; nil fields (a pending entry deleted
// from the stream) stay nil.
func toEntry(v any) (broker.Entry, error) {
	a, err := toArray(v)
	if err != nil || len(a) != 2 {
		return broker.Entry{}, fmt.Errorf("brookredis: unexpected entry %v", v)
	}
	id, err := toID(a[0])
	if err != nil {
		return broker.Entry{}, err
	}
	if a[1] == nil {
		return broker.Entry{ID: id}, nil
	}
	kv, err := toArray(a[1])
	if err != nil || len(kv)%2 != 0 {
		return broker.Entry{}, fmt.Errorf("brookredis: unexpected fields %v", a[1])
	}
	fields := make([]broker.Field, len(kv)/2)
	for i := range fields {
		name, ok1 := kv[2*i].(string)
		value, ok2 := kv[2*i+1].(string)
		if !ok1 || !ok2 {
			return broker.Entry{}, fmt.Errorf("brookredis: unexpected fields %v", a[1])
		}
		fields[i] = broker.Field{Name: name, Value: value}
	}
	return broker.Entry{ID: id, Fields: fields}, nil
}

// toEntries reads an array of entries.
func toEntries(v any) ([]broker.Entry, error) {
	a, err := toArray(v)
	if err != nil {
		return nil, err
	}
	out := make([]broker.Entry, 0, len(a))
	for _, e := range a {
		entry, err := toEntry(e)
		if err != nil {
			return nil, err
		}
		out = append(out, entry)
	}
	return out, nil
}

// toIDEntries reads an array of IDs as entries without fields (JUSTID).
func toIDEntries(v any) ([]broker.Entry, error) {
	a, err := toArray(v)
	if err != nil {
		return nil, err
	}
	out := make([]broker.Entry, 0, len(a))
	for _, e := range a {
		id, err := toID(e)
		if err != nil {
			return nil, err
		}
		out = append(out, broker.Entry{ID: id})
	}
	return out, nil
}

// toStreams reads XREAD's reply: [[key, entries], ...] in RESP2, in Redis's
// order (the order of the call, a key listed twice answered twice), or
// {key: entries} in RESP3, put back in the order of keys. nil stays nil.
func toStreams(v any, keys []string) ([]broker.StreamEntries, error) {
	var out []broker.StreamEntries
	add := func(k, e any) error {
		s, ok := k.(string)
		if !ok {
			return fmt.Errorf("brookredis: unexpected key %v", k)
		}
		entries, err := toEntries(e)
		if err != nil {
			return err
		}
		out = append(out, broker.StreamEntries{Key: s, Entries: entries})
		return nil
	}
	switch v := v.(type) {
	case nil:
		return nil, nil
	case map[any]any:
		for _, k := range keys {
			if e, ok := v[k]; ok {
				if err := add(k, e); err != nil {
					return nil, err
				}
				delete(v, k)
			}
		}
	case []any:
		for _, ke := range v {
			pair, err := toArray(ke)
			if err != nil || len(pair) != 2 {
				return nil, fmt.Errorf("brookredis: unexpected reply %v", ke)
			}
			if err := add(pair[0], pair[1]); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("brookredis: unexpected reply %T", v)
	}
	return out, nil
}

// errReply reports a reply of an unexpected shape.
func errReply(v any) error {
	return fmt.Errorf("brookredis: unexpected reply %v", v)
}
