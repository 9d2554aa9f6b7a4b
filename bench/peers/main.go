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
	os.Mkdir(dir+"/r1", 0o700)
	os.Mkdir(dir+"/r2", 0o700)
	rs, err := startRedis(ctx, dir+"/r1")
	if err != nil {
		panic(err)
	}
	defer rs.stop()
	rd, err := startRedis(ctx, dir+"/r2", "--appendonly", "yes", "--appendfsync", "always")
	if err != nil {
		panic(err)
	}
	defer rd.stop()
	fmt.Println(diskFsyncRate(dir, time.Second))
	k := 0
	for _, p := range []streamPeer{brookStreams{}, jsStreams{}, redisStreams{rs, rd}} {
		for _, pr := range []int{1, 16} {
			k++
			d := fmt.Sprintf("%s/s%d", dir, k)
			os.Mkdir(d, 0o700)
			fmt.Println("mem", p.name(), pr)
			fmt.Println(appendRate(ctx, p, memStore, d, pr, time.Second))
		}
		for _, pr := range []int{1, 16, 64} {
			k++
			d := fmt.Sprintf("%s/s%d", dir, k)
			os.Mkdir(d, 0o700)
			fmt.Println("dur", p.name(), pr)
			fmt.Println(appendRate(ctx, p, durableStore, d, pr, time.Second))
		}
		k++
		d := fmt.Sprintf("%s/s%d", dir, k)
		os.Mkdir(d, 0o700)
		t0 := time.Now()
		fmt.Println("consume", p.name())
		fmt.Println(consumeRate(ctx, p, d, 100000, 100))
		fmt.Println(time.Since(t0))
	}
	t0 := time.Now()
	fmt.Println(brookMemory(ctx, 1000000))
	fmt.Println(time.Since(t0))
	t0 = time.Now()
	fmt.Println(redisMemory(ctx, rs, 1000000))
	fmt.Println(time.Since(t0))
	t0 = time.Now()
	os.Mkdir(dir+"/m", 0o700)
	fmt.Println(jsMemory(ctx, dir+"/m", 1000000))
	fmt.Println(time.Since(t0))
}
