package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

func main() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "peers")
	defer os.RemoveAll(dir)
	rs, err := startRedis(ctx, dir)
	if err != nil {
		panic(err)
	}
	defer rs.stop()
	for _, n := range []int{1, 10, 100, 1000} {
		for _, p := range []pubsubPeer{rawPeer{}, brookPeer{}, natsPeer{}, watermillPeer{}, redisPeer{rs}} {
			t0 := time.Now()
			r := pubsubRun{cfg: pubsubConfig{subscribers: n, publishers: 1}, payload: 64, messages: max(1000000/n, 200), maxTime: 2 * time.Second, probes: max(20000/n, 30)}
			res, err := runPubSub(ctx, p, r)
			fmt.Printf("%d %s %.3gM/s p50=%v p99=%v err=%v took %v\n", n, p.name(), res.deliveriesPerSec/1e6, res.p50, res.p99, err, time.Since(t0))
		}
	}
}
