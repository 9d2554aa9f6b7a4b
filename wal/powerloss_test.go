package wal_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
)

// trials returns the number of power-loss trials: 10,000 (2,000 with -race or
// -short), or BROOK_TRIALS.
func trials(t *testing.T) int {
	if s := os.Getenv("BROOK_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("BROOK_TRIALS=%q: %v", s, err)
		}
		return n
	}
	if testing.Short() || raceEnabled {
		return 2000 // the race detector makes a trial about 5 times slower
	}
	return 10000
}

// The faults a trial injects before it reopens the log.
const (
	faultDropUnsynced  = iota // power loss, unsynced bytes all lost
	faultTornPowerLoss        // power loss, unsynced bytes torn at a random byte
	faultBitFlip              // power loss, then a bit flipped in a segment
	faultIOError              // a failing fsync, write or full disk, then power loss
	faultKill                 // the process dies; the OS keeps what was written
	faultKillMidWrite         // the process dies in the middle of its last write
	faultZeroSynced           // power loss, then a range of synced bytes zeroed (half the faultBitFlip draws)
	numFaults
)

// TestPowerLoss runs random workloads on faultfs, injects a fault, reopens
// and checks: every acknowledged record is there, in order, with its
// content; or, only where a bit was flipped or a range zeroed, Open refuses
// with a *CorruptError at or before the damaged byte, or (a flip) reports
// the torn tail it cut. Zeroed synced records are never dropped silently
// once a mark covers them (after a later fdatasync), the one kind of loss
// the log cannot prove: see doc.go. Never a panic. BROOK_TRIALS raises the
// count.
func TestPowerLoss(t *testing.T) {
	n := trials(t)
	counts := make([]int, numFaults+3)
	for seed := range uint64(n) {
		outcome := powerLossTrial(t, seed)
		counts[outcome]++
		if t.Failed() {
			t.Fatalf("trial seed %d failed", seed)
		}
	}
	t.Logf("%d trials; outcomes by fault (drop, torn, flip, I/O error, kill, kill mid-write, zeroed, refused, tail cut, zeroed unmarked tail): %v", n, counts)
}

type trial struct {
	t       *testing.T
	seed    uint64
	rng     *rand.Rand
	fsys    *faultfs.FS
	policy  wal.FsyncPolicy
	fault   int
	acked   uint64 // every record <= acked is durable for this fault
	marked  uint64 // every record <= marked is covered by a durable mark
	waited  uint64 // every record <= waited was acknowledged by Wait
	truncTo uint64 // highest TruncateFront argument
}

// powerLossTrial runs one trial and returns its fault, or numFaults if Open
// refused (a flip or zeros), numFaults+1 if a flipped record was cut as a
// torn tail, numFaults+2 if zeros took synced records no mark covered.
func powerLossTrial(t *testing.T, seed uint64) int {
	tr := &trial{t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, 42)), fsys: faultfs.New(seed)}
	tr.policy = wal.FsyncPolicy(tr.rng.IntN(3))
	tr.fault = tr.rng.IntN(faultZeroSynced) // the draw of the suite before faultZeroSynced: old seeds keep their fault
	if tr.fault == faultBitFlip && tr.rng.IntN(2) == 0 {
		tr.fault = faultZeroSynced
	}
	frame := int64(wal.RecordHeaderSize + payloadSize)
	o := wal.Options{FS: tr.fsys, Fsync: tr.policy, SegmentSize: wal.SegmentHeaderSize + frame*int64(1+tr.rng.IntN(4)) + tr.rng.Int64N(frame),
		Preallocate: []int64{-1, 0, 1, frame, 2*frame + 5}[tr.rng.IntN(5)]} // 0: the default, up to SegmentSize
	l, err := wal.Open(dir, o)
	if err != nil {
		t.Errorf("seed %d: Open: %v", seed, err)
		return tr.fault
	}
	if tr.fault == faultIOError {
		tr.armIOError()
	}
	tr.work(l)
	if tr.fault == faultZeroSynced {
		tr.mark(l)
	}
	crashed, flipName, flipOff := tr.crash()
	if err := l.Close(); err != nil && !errors.Is(err, wal.ErrPoisoned) {
		t.Errorf("seed %d: Close: %v", seed, err)
	}
	return tr.check(crashed, flipName, flipOff)
}

func (tr *trial) armIOError() {
	switch tr.rng.IntN(3) {
	case 0:
		tr.fsys.FailSyncAfter(tr.rng.IntN(8), nil)
	case 1:
		tr.fsys.FailWriteAfter(tr.rng.IntN(8), nil)
	case 2:
		tr.fsys.SetSpace(int64(200 + tr.rng.IntN(1500)))
	}
}

// work appends, waits, syncs and truncates at random, tracking what was
// acknowledged, until the ops run out or the log is poisoned.
func (tr *trial) work(l *wal.Log) {
	ctx := context.Background()
	for range tr.rng.IntN(40) {
		var err error
		switch op := tr.rng.IntN(20); {
		case op < 12:
			_, err = l.Append(payload(l.LastPos() + 1))
		case op < 17:
			pos := l.LastPos()
			if err = l.Wait(ctx, pos); err == nil {
				tr.waited = max(tr.waited, pos)
				if tr.policy == wal.FsyncAlways {
					tr.acked = max(tr.acked, pos)
				}
			}
		case op < 19:
			pos := l.LastPos()
			if err = l.Sync(); err == nil {
				tr.acked, tr.waited = max(tr.acked, pos), max(tr.waited, pos)
			}
		default:
			to := 1 + tr.rng.Uint64N(l.LastPos()+1)
			err = l.TruncateFront(to)
			tr.truncTo = max(tr.truncTo, to) // even a failed call may have deleted segments
		}
		if err != nil {
			if !errors.Is(err, wal.ErrPoisoned) || !faultfs.IsInjected(err) || tr.fault != faultIOError {
				tr.t.Errorf("seed %d: unexpected error: %v", tr.seed, err)
			}
			return
		}
	}
}

// mark syncs, appends and syncs again, so the records synced by the first
// Sync are covered by a durable mark: the mark is written after the first
// fdatasync and the second makes it durable.
func (tr *trial) mark(l *wal.Log) {
	pos := l.LastPos()
	err := l.Sync()
	if err == nil {
		_, err = l.Append(payload(pos + 1))
	}
	if err == nil {
		err = l.Sync()
	}
	if err != nil {
		tr.t.Errorf("seed %d: sync, append, sync: %v", tr.seed, err)
		return
	}
	tr.marked, tr.acked, tr.waited = pos, pos+1, pos+1
}

// crash injects the trial's fault and returns the file system to reopen,
// and where a bit was flipped, if one was.
func (tr *trial) crash() (*faultfs.FS, string, int64) {
	switch tr.fault {
	case faultDropUnsynced:
		return tr.fsys.DropUnsynced(), "", 0
	case faultKill:
		tr.acked = max(tr.acked, tr.waited)
		return tr.fsys.Kill(), "", 0
	case faultKillMidWrite:
		g := tr.fsys.Kill()
		g.TearLastWrite()
		return g, "", 0
	case faultBitFlip:
		g := tr.fsys.Crash()
		if name, off, _, ok := g.FlipRandomSyncedBit(isSegment); ok {
			return g, path.Base(name), off
		}
		return g, "", 0
	case faultZeroSynced:
		g := tr.fsys.Crash()
		if name, off, _, ok := g.ZeroRandomSyncedRange(isSegment); ok {
			return g, path.Base(name), off
		}
		return g, "", 0
	}
	return tr.fsys.Crash(), "", 0
}

func isSegment(name string) bool { return strings.HasSuffix(name, ".wal") }

// check reopens the crashed file system and verifies the trial's promises.
func (tr *trial) check(g *faultfs.FS, flipName string, flipOff int64) int {
	t := tr.t
	reopen := wal.Options{FS: g, Preallocate: 4 << 10} // other options than the trial's
	l, err := wal.Open(dir, reopen)
	if err != nil {
		limit := flipOff // the damage is in the record at flipOff, or in the header
		if tr.fault == faultZeroSynced {
			limit = max(flipOff, wal.SegmentHeaderSize) // zeros from a mark slot on: the first record
		}
		var ce *wal.CorruptError
		if flipName == "" || !errors.As(err, &ce) || ce.Segment != flipName || ce.Offset > limit {
			t.Errorf("seed %d (fault %d, flip %s+%d): Open: %v", tr.seed, tr.fault, flipName, flipOff, err)
		}
		return numFaults
	}
	defer func() {
		if err := l.Close(); err != nil {
			t.Errorf("seed %d: Close after recovery: %v", tr.seed, err)
		}
	}()
	first, last := replayAll(t, l)
	outcome := tr.fault
	if tr.fault == faultZeroSynced && last < tr.acked {
		// Zeros over records no durable mark covers yet read as the end.
		if last < tr.marked {
			t.Errorf("seed %d (zeroed %s from %d): records up to %d were synced and marked, the log ends at %d; report %+v",
				tr.seed, flipName, flipOff, tr.marked, last, l.Recovery())
		}
		outcome = numFaults + 2
	} else if last < tr.acked {
		r := l.Recovery()
		if flipName == "" || r.TornTail == nil || r.TornTail.Pos > tr.acked || r.TornTail.Segment != flipName {
			t.Errorf("seed %d (fault %d, policy %v): lost acknowledged records: log ends at %d, acknowledged %d; report %+v",
				tr.seed, tr.fault, tr.policy, last, tr.acked, r)
		}
		outcome = numFaults + 1
	}
	if first > max(1, tr.truncTo) {
		t.Errorf("seed %d: FirstPos %d after TruncateFront(%d)", tr.seed, first, tr.truncTo)
	}
	if tr.seed%4 == 0 { // the tail was trimmed before appending
		appendN(t, l, 1)
		if err := l.Sync(); err != nil {
			t.Errorf("seed %d: Sync after recovery: %v", tr.seed, err)
		}
		l2 := openT(t, g.DropUnsynced(), reopen)
		if l2.LastPos() != last+1 {
			t.Errorf("seed %d: appended after recovery at %d, reopened LastPos %d", tr.seed, last+1, l2.LastPos())
		}
		replayAll(t, l2)
		closeT(t, l2)
	}
	return outcome
}
