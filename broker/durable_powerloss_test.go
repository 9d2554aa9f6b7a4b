package broker_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
)

// logLines collects Logf output, safe for concurrent use.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

// cut reports whether recovery said it cut records from the log.
func (l *logLines) cut() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, "wal: torn tail") || strings.Contains(s, "wal: repair") {
			return true
		}
	}
	return false
}

// Fault modes of a power-loss trial.
const (
	modeCrash        = iota // power loss: unsynced bytes torn at random
	modeDropUnsynced        // power loss: no unsynced byte kept
	modeFlip                // power loss, then one synced bit flipped
	modeIOError             // a failed fsync, directory fsync or write, or ENOSPC, then power loss
	modeCount
)

// TestPowerLoss runs random workloads on durable brokers over an in-memory
// file system, cuts the power at a random instant (snapshots and segment
// rolls may be in flight), optionally flips a bit or fails an I/O call
// first, and reopens. Under FsyncAlways every acknowledged operation must be
// there; a damaged synced record must make Open refuse with a corruption
// error or be reported as cut; nothing may panic. Each recovered broker must
// accept writes and survive a second power loss. BROOK_POWERLOSS_TRIALS
// sets the number of trials (default 1000, 250 under the race detector).
func TestPowerLoss(t *testing.T) {
	t.Parallel() // with TestKill, which mostly waits for its children
	def := 1000
	if raceEnabled {
		def = 250
	}
	trials := envCount(t, "BROOK_POWERLOSS_TRIALS", def)
	if testing.Short() {
		trials = min(trials, 100)
	}
	var out outcomes
	for seed := range uint64(trials) {
		if !powerLossTrial(t, seed, &out) {
			return
		}
	}
	t.Logf("%d trials: %+v", trials, out)
}

// outcomes counts how power-loss trials ended.
type outcomes struct {
	Exact    int // every operation there
	Refused  int // the last (failed) operation absent
	Partial  int // the failed operation's first records there
	Cut      int // damaged records at the end cut, with a report
	Corrupt  int // Open refused the damaged files
	IOFailed int // trials whose injected I/O error failed an operation
}

// powerLossTrial runs one trial; false when it failed.
func powerLossTrial(t *testing.T, seed uint64, out *outcomes) bool {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	mode := int(seed % modeCount)
	fsys := faultfs.New(seed)
	clock := newMsClock(1_700_000_000_000)
	var logs logLines
	opts := broker.Options{Clock: clock.Now, Durability: broker.DurabilityOptions{
		FS:            fsys,
		SnapshotEvery: int64(256 << rng.IntN(5)),
		SegmentSize:   int64(512 << rng.IntN(5)),
		Logf:          logs.logf,
	}}
	b, err := broker.Open("/data", opts)
	if err != nil {
		t.Errorf("seed %d: Open: %v", seed, err)
		return false
	}
	defer b.Close()
	twin, err := broker.New(broker.Options{Clock: clock.Now})
	if err != nil {
		t.Errorf("seed %d: New: %v", seed, err)
		return false
	}
	defer twin.Close()
	w := newWorkload(seed, clock)
	nops := 10 + rng.IntN(60)
	faultAt := rng.IntN(nops)
	history := []state{observe(t, twin)} // history[i]: after i operations
	failed := false
	for i := range nops {
		if mode == modeIOError && i == faultAt {
			injectIOError(fsys, rng)
		}
		err := w.step(ctx, b, twin)
		history = append(history, observe(t, twin))
		if err != nil {
			if mode != modeIOError {
				t.Errorf("seed %d op %d: %v", seed, i, err)
				return false
			}
			failed = true // the log is poisoned: stop here
			out.IOFailed++
			break
		}
	}
	crashed := fsys.Crash()
	if mode == modeDropUnsynced {
		crashed = fsys.DropUnsynced()
	}
	if mode == modeFlip {
		crashed.FlipRandomSyncedBit(nil)
	}
	return checkRecovery(t, seed, crashed, opts, history, failed, mode == modeFlip, out)
}

// injectIOError arms one random I/O failure.
func injectIOError(fsys *faultfs.FS, rng *rand.Rand) {
	switch rng.IntN(4) {
	case 0:
		fsys.FailSyncAfter(rng.IntN(3), nil)
	case 1:
		fsys.FailDirSyncAfter(rng.IntN(2), nil)
	case 2:
		fsys.FailWriteAfter(rng.IntN(3), nil)
	default:
		fsys.SetSpace(int64(rng.IntN(64 << 10)))
	}
}

// checkRecovery reopens a crashed file system and checks the state against
// the history of acknowledged states: the last one, or with failed (the
// last operation was refused) the one before it. With flipped, Open may
// refuse with a corruption error, and a cut log may lose the newest records.
func checkRecovery(t *testing.T, seed uint64, fsys *faultfs.FS, opts broker.Options, history []state, failed, flipped bool, out *outcomes) bool {
	t.Helper()
	var logs logLines
	opts.Durability.FS, opts.Durability.Logf = fsys, logs.logf
	b, err := broker.Open("/data", opts)
	if err != nil {
		if flipped && (errors.Is(err, wal.ErrCorrupt) || errors.Is(err, broker.ErrCorrupt) ||
			errors.Is(err, wal.ErrVersion) || errors.Is(err, broker.ErrFormatVersion)) {
			out.Corrupt++
			return true
		}
		t.Errorf("seed %d: reopen after power loss: %v", seed, err)
		return false
	}
	defer b.Close()
	got := observe(t, b)
	last := len(history) - 1
	switch {
	case diffState(got, history[last]) == "":
		out.Exact++
	case failed && diffState(got, history[last-1]) == "":
		out.Refused++
	case failed && diffState(withoutImplicit(got), withoutImplicit(history[last-1])) == "":
		out.Partial++
		// A refused operation may leave behind what it logs apart, first:
		// the consumer XREADGROUP creates, the key XGROUP CREATE MKSTREAM
		// creates.
	case flipped && logs.cut():
		out.Cut++
		return true // reported loss of records whose bytes were damaged
	default:
		t.Errorf("seed %d: after power loss: %s\nlog: %q", seed, diffState(got, history[last]), logs.lines)
		return false
	}
	// The recovered broker takes writes, and they survive another power loss.
	id, err := b.XAdd(context.Background(), "after", []stream.Field{{Name: "k", Value: "v"}}, broker.AddOptions{})
	if err != nil {
		t.Errorf("seed %d: XAdd after recovery: %v", seed, err)
		return false
	}
	again, err := broker.Open("/data", withFS(opts, fsys.Crash()))
	if err != nil {
		t.Errorf("seed %d: second reopen: %v", seed, err)
		return false
	}
	defer again.Close()
	if n, err := again.XLen(context.Background(), "after"); err != nil || n != 1 {
		t.Errorf("seed %d: entry %v added after recovery: XLen = %d, %v", seed, id, n, err)
		return false
	}
	return true
}

func withFS(o broker.Options, fsys *faultfs.FS) broker.Options {
	o.Durability.FS = fsys
	return o
}

// withoutImplicit returns a copy of st without the consumers that never
// read or claimed anything and own no pending entry, and without the keys
// that never held an entry or a group.
func withoutImplicit(st state) state {
	out := make(state, len(st))
	for k, in := range st {
		if in.Info.LastGeneratedID.IsZero() && len(in.Groups) == 0 {
			continue
		}
		groups := make([]broker.GroupFull, len(in.Groups))
		for i, g := range in.Groups {
			var cs []broker.ConsumerFull
			for _, c := range g.Consumers {
				if !c.Active.IsZero() || c.PELCount != 0 {
					cs = append(cs, c)
				}
			}
			g.Consumers = cs
			groups[i] = g
		}
		in.Groups = groups
		out[k] = in
	}
	return out
}
