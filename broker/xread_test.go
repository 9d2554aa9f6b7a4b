package broker_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

// summary renders a read reply compactly: "key:id,id key:...".
func summary(res []broker.StreamEntries) string {
	if res == nil {
		return "nil"
	}
	out := ""
	for i, se := range res {
		if i > 0 {
			out += " "
		}
		out += se.Key + ":"
		for j, e := range se.Entries {
			if j > 0 {
				out += ","
			}
			out += e.ID.String()
			if e.Fields == nil {
				out += "(nil)"
			}
		}
	}
	return out
}

func TestXRead(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, _ := k.open(t, 1)
		for i := uint64(1); i <= 3; i++ {
			mustAdd(t, b, "a", id(i, 0), "n", fmt.Sprint(i))
		}
		mustAdd(t, b, "b", id(10, 0), "n", "10")
		tests := []struct {
			name    string
			streams []broker.ReadStream
			count   int
			want    string
		}{
			{name: "from start", streams: []broker.ReadStream{{Key: "a"}}, want: "a:1-0,2-0,3-0"},
			{name: "after", streams: []broker.ReadStream{{Key: "a", From: broker.After(id(1, 0))}}, want: "a:2-0,3-0"},
			{name: "count", streams: []broker.ReadStream{{Key: "a"}}, count: 2, want: "a:1-0,2-0"},
			{name: "two streams", streams: []broker.ReadStream{{Key: "a", From: broker.After(id(2, 0))}, {Key: "b"}}, want: "a:3-0 b:10-0"},
			{name: "empty streams left out", streams: []broker.ReadStream{{Key: "a", From: broker.After(id(3, 0))}, {Key: "b"}}, want: "b:10-0"},
			{name: "nothing is nil", streams: []broker.ReadStream{{Key: "a", From: broker.After(id(3, 0))}, {Key: "nope"}}, want: "nil"},
			{name: "latest never returns without block", streams: []broker.ReadStream{{Key: "a", From: broker.Latest()}}, want: "nil"},
			{name: "last entry", streams: []broker.ReadStream{{Key: "a", From: broker.LastEntry()}, {Key: "nope", From: broker.LastEntry()}}, want: "a:3-0"},
			{name: "same key twice", streams: []broker.ReadStream{{Key: "a", From: broker.After(id(2, 0))}, {Key: "a", From: broker.After(id(2, 0))}}, want: "a:3-0 a:3-0"},
			{name: "after max", streams: []broker.ReadStream{{Key: "a", From: broker.After(stream.MaxID)}}, want: "nil"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := b.XRead(ctx, tt.streams, broker.ReadOptions{Count: tt.count})
				if err != nil {
					t.Fatal(err)
				}
				if got := summary(res); got != tt.want {
					t.Errorf("got %s, want %s", got, tt.want)
				}
			})
		}
	})
}
