package bench_test

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

// wakeRig is a reader goroutine that announces it is about to wait, waits
// for one event (an entry for XREAD BLOCK, a value on a raw channel) and
// reports when its wait returned.
type wakeRig struct {
	ready   chan struct{}  // the reader is about to wait
	got     chan time.Time // when the reader's wait returned
	errs    chan error
	trigger func() error // the event the reader waits for
	stop    func()       // ends the reader and waits for it
}

func newWakeRig() *wakeRig {
	return &wakeRig{ready: make(chan struct{}), got: make(chan time.Time), errs: make(chan error, 1)}
}

// wake waits until the reader is about to wait, gives it grace to block,
// triggers the event and returns the time from the trigger to the reader's
// return.
func (w *wakeRig) wake(grace time.Duration) (time.Duration, error) {
	select {
	case <-w.ready:
	case err := <-w.errs:
		return 0, err
	}
	time.Sleep(grace)
	start := time.Now()
	if err := w.trigger(); err != nil {
		return 0, err
	}
	select {
	case t := <-w.got:
		return t.Sub(start), nil
	case err := <-w.errs:
		return 0, err
	}
}

// run is the reader loop: wait for one event with wait, report, repeat until
// ctx ends.
func (w *wakeRig) run(ctx context.Context, wait func() error) {
	for {
		select {
		case w.ready <- struct{}{}:
		case <-ctx.Done():
			return
		}
		err := wait()
		t := time.Now()
		if err != nil {
			if ctx.Err() == nil {
				w.errs <- err
			}
			return
		}
		select {
		case w.got <- t:
		case <-ctx.Done():
			return
		}
	}
}

// newBrookWake is a reader blocked in XREAD BLOCK COUNT 1 on stream "w",
// woken by XADD.
func newBrookWake() *wakeRig {
	w := newWakeRig()
	br, _ := broker.New(broker.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	w.trigger = func() error {
		_, err := br.XAdd(context.Background(), "w", entryFields, broker.AddOptions{})
		return err
	}
	var after stream.ID
	read := func() error {
		res, err := br.XRead(ctx, []broker.ReadStream{{Key: "w", From: broker.After(after)}},
			broker.ReadOptions{Count: 1, Block: broker.BlockForever})
		if err != nil {
			return err
		}
		if len(res) != 1 || len(res[0].Entries) != 1 {
			return errors.New("bench: XREAD BLOCK returned no entry")
		}
		after = res[0].Entries[0].ID
		return nil
	}
	var wg sync.WaitGroup
	wg.Go(func() { w.run(ctx, read) })
	w.stop = func() {
		cancel()
		wg.Wait()
		_ = br.Close()
	}
	return w
}

// newChanWake is a reader blocked receiving from a raw channel.
func newChanWake() *wakeRig {
	w := newWakeRig()
	ch := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	w.trigger = func() error {
		ch <- struct{}{}
		return nil
	}
	recv := func() error {
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { w.run(ctx, recv) })
	w.stop = func() {
		cancel()
		wg.Wait()
	}
	return w
}
