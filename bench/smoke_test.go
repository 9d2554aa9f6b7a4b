package bench_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/wal"
)

// TestPubSubRigs runs every Pub/Sub benchmark body once at a tiny size, on
// both systems, and checks what the readers counted and timed.
func TestPubSubRigs(t *testing.T) {
	const readers, msgs = 3, 3 * sampleEvery
	tests := []struct {
		name     string
		mode     mode
		patterns int
		wantLat  int // latency samples expected
	}{
		{"flood", flood, 0, readers * 3},
		{"probe", probe, 0, readers * msgs},
		{"parallel", parallel, 0, 0},
		{"flood with patterns", flood, 30, readers * 3},
	}
	for _, tt := range tests {
		for _, sys := range systems {
			if tt.patterns > 0 && sys.name != "brook" {
				continue
			}
			t.Run(tt.name+"/"+sys.name, func(t *testing.T) {
				t.Parallel()
				r, err := sys.new(readers, 64, tt.mode)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = r.stop() })
				if tt.patterns > 0 {
					if err := subscribePatterns(r, tt.patterns); err != nil {
						t.Fatal(err)
					}
				}
				if err := drive(r, msgs); err != nil {
					t.Fatal(err)
				}
				lat, err := r.finish(msgs)
				if err != nil {
					t.Fatal(err)
				}
				if len(lat) != tt.wantLat {
					t.Errorf("%d latency samples, want %d", len(lat), tt.wantLat)
				}
			})
		}
	}
}

// drive publishes msgs messages the way the benchmarks do in r's mode.
func drive(r *rig, msgs int) error {
	if r.mode != parallel {
		for range msgs {
			if err := r.publish(); err != nil {
				return err
			}
		}
		return nil
	}
	const publishers = 4
	errs := make(chan error, publishers)
	var wg sync.WaitGroup
	for range publishers {
		wg.Go(func() {
			for range msgs / publishers {
				if err := r.send(r.payload); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// TestStreamWorkloads runs every stream benchmark body once at a tiny size.
func TestStreamWorkloads(t *testing.T) {
	ctx := context.Background()
	t.Run("scan wraps", func(t *testing.T) {
		t.Parallel()
		br, _ := broker.New(broker.Options{})
		defer br.Close()
		if err := fill(ctx, br, "s", 2*pageSize+1); err != nil {
			t.Fatal(err)
		}
		sc := &scanner{br: br, key: "s"}
		for range 4 { // 100, 100, 1 (wrap), 100
			if err := sc.next(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if sc.entries != 3*pageSize+1 {
			t.Errorf("scanned %d entries, want %d", sc.entries, 3*pageSize+1)
		}
	})
	t.Run("group pages", func(t *testing.T) {
		t.Parallel()
		br, _ := broker.New(broker.Options{})
		defer br.Close()
		g, err := newGroupRig(ctx, br, 4)
		if err != nil {
			t.Fatal(err)
		}
		defer g.close()
		if err := fill(ctx, br, "s", 8*pageSize); err != nil {
			t.Fatal(err)
		}
		for range 8 {
			if err := g.issue(); err != nil {
				t.Fatal(err)
			}
		}
		if err := g.drain(); err != nil {
			t.Fatal(err)
		}
		if err := g.issue(); err != nil {
			t.Fatal(err)
		}
		if err := g.drain(); err == nil {
			t.Error("a page of an exhausted stream was read")
		}
		if p, err := br.XPending(ctx, "s", "g"); err != nil || p.Count != 0 {
			t.Errorf("XPENDING = %+v, %v; want nothing pending", p, err)
		}
	})
	t.Run("memory", func(t *testing.T) {
		if _, err := streamMemory(1000); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("small streams", func(t *testing.T) {
		if per, err := smallStreamsMemory(1000, 1); err != nil || per <= 0 {
			t.Fatalf("smallStreamsMemory = %v, %v", per, err)
		}
		if keys := scatteredKeys(1000); len(keys) != 1000 || keys[0] == keys[1] {
			t.Fatalf("scatteredKeys = %v...", keys[:2])
		}
	})
}

// TestWakeRigs wakes each kind of blocked reader a few times.
func TestWakeRigs(t *testing.T) {
	for name, start := range map[string]func() *wakeRig{"brook": newBrookWake, "chan": newChanWake} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := start()
			defer w.stop()
			for range 3 {
				d, err := w.wake(time.Microsecond)
				if err != nil {
					t.Fatal(err)
				}
				if d <= 0 {
					t.Errorf("wake-up latency %v", d)
				}
			}
		})
	}
}

// TestDurableWorkload runs the disk loop and a durable XADD once.
func TestDurableWorkload(t *testing.T) {
	rate, err := diskSyncsPerSecond(t.TempDir(), 0)
	if err != nil || rate <= 0 {
		t.Fatalf("disk loop: %v syncs/s, %v", rate, err)
	}
	br, err := broker.Open(t.TempDir(), broker.Options{Durability: broker.DurabilityOptions{Fsync: wal.FsyncAlways}})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	p := startProducers(br, 4)
	for range 10 {
		p.tokens <- struct{}{}
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	if n, err := br.XLen(context.Background(), "s"); err != nil || n != 10 {
		t.Errorf("XLEN = %d, %v; want 10", n, err)
	}
}
