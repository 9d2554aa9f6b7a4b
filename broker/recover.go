package broker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
)

// recover opens the log, loads the newest usable snapshot into the
// registry and replays the log after it (see the top of durable.go). It
// changes no file unless it succeeds, except what wal.Open repairs.
func (d *durable) recover(o DurabilityOptions) error {
	names, err := d.fs.ReadDir(d.dir)
	if err != nil {
		return fmt.Errorf("broker: read data directory: %w", err)
	}
	var snaps []uint64 // newest first
	for _, name := range names {
		if pos, ok := parseSnapName(name); ok {
			snaps = append(snaps, pos)
		}
	}
	slices.Reverse(snaps) // ReadDir sorts; the zero-padded names sort by position
	if len(snaps) > 0 && !slices.Contains(names, walDir) {
		return fmt.Errorf("%w: %d snapshot(s) in %s but no log directory %q: the records after the snapshot are missing",
			ErrCorrupt, len(snaps), d.dir, walDir)
	}
	l, err := wal.Open(filepath.Join(d.dir, walDir), d.walOptions(o))
	if errors.Is(err, wal.ErrCorrupt) { // one sentinel for callers, and how to repair
		return fmt.Errorf("%w: open log: %w; to repair, open with DurabilityOptions.Repair (from Go) or run brook with --repair (from the command line)",
			ErrCorrupt, err)
	}
	if err != nil {
		return fmt.Errorf("broker: open log: %w", err)
	}
	d.log = l
	pos, streams, size, broken, err := d.pickSnapshot(snaps, l.FirstPos(), l.LastPos())
	if err != nil {
		return err
	}
	d.due.Store(d.nextDue(size))
	for name, s := range streams {
		d.reg.load(name, s)
	}
	if err := d.replay(pos); err != nil {
		return err
	}
	for _, p := range broken {
		name := d.path(snapName(p))
		if err := d.fs.Rename(name, name+brokenExt); err != nil {
			d.logf("broker: set aside broken snapshot %s: %v", name, err)
		}
	}
	if len(broken) > 0 {
		// Make the renames durable: otherwise a power loss could bring a
		// broken snapshot back under its name after the next snapshot
		// removed the older one recovery fell back to.
		if err := d.fs.SyncDir(d.dir); err != nil {
			return fmt.Errorf("broker: sync data directory: %w", err)
		}
	}
	d.snapPos = pos
	return nil
}

// pickSnapshot loads the newest snapshot in snaps (positions, newest first)
// that is valid and that the log, holding positions first..last, continues.
// It returns the snapshot's position (0 and no streams when none is needed:
// the log starts at the beginning), its size in bytes and the positions of
// the newer damaged snapshots it skipped.
func (d *durable) pickSnapshot(snaps []uint64, first, last uint64) (uint64, map[string]*stream.Stream, int64, []uint64, error) {
	var broken []uint64
	for _, pos := range snaps {
		name := d.path(snapName(pos))
		streams, size, err := d.loadSnapshot(name)
		if errors.Is(err, ErrCorrupt) {
			d.logf("broker: recovery: skipping damaged snapshot %s: %v", name, err)
			broken = append(broken, pos)
			continue
		}
		if err != nil {
			return 0, nil, 0, nil, err
		}
		if pos > last {
			return 0, nil, 0, nil, fmt.Errorf("%w: snapshot %s covers log position %d but the log ends at %d: log missing or cut",
				ErrCorrupt, name, pos, last)
		}
		if first > pos+1 {
			return 0, nil, 0, nil, fmt.Errorf("%w: snapshot %s covers log positions up to %d but the log starts at %d",
				ErrCorrupt, name, pos, first)
		}
		return pos, streams, size, broken, nil
	}
	if first > 1 {
		return 0, nil, 0, nil, fmt.Errorf("%w: the log starts at position %d and no valid snapshot covers the positions before it (%d damaged)",
			ErrCorrupt, first, len(broken))
	}
	return 0, nil, 0, broken, nil
}

// loadSnapshot reads, checks and decodes the snapshot file name, and returns
// its size. Damage is reported wrapping ErrCorrupt, a newer format with
// ErrFormatVersion.
func (d *durable) loadSnapshot(name string) (map[string]*stream.Stream, int64, error) {
	data, err := d.readFile(name)
	if err != nil {
		return nil, 0, fmt.Errorf("broker: read snapshot %s: %w", name, err)
	}
	_, entries, err := parseSnapshot(data)
	if err != nil {
		return nil, 0, fmt.Errorf("%w, in %s", err, name)
	}
	streams := make(map[string]*stream.Stream, len(entries))
	for _, e := range entries {
		s, err := stream.Decode(e.data)
		if errors.Is(err, stream.ErrFormatVersion) {
			return nil, 0, fmt.Errorf("%w: snapshot %s: stream %q: %w", ErrFormatVersion, name, e.name, err)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%w: snapshot %s: stream %q: %w", ErrCorrupt, name, e.name, err)
		}
		streams[e.name] = s
	}
	return streams, int64(len(data)), nil
}

// readFile reads a whole file of d.fs.
func (d *durable) readFile(name string) ([]byte, error) {
	f, err := d.fs.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	data := make([]byte, size)
	if n, err := f.ReadAt(data, 0); n < len(data) {
		return nil, err // io.ReaderAt: an error whenever n < len(data)
	}
	return data, nil
}

// replay applies the log records after position from to the registry.
func (d *durable) replay(from uint64) error {
	if from >= d.log.LastPos() {
		return nil
	}
	rd := newReplayDecoder()
	rp := replayer{r: d.reg}
	defer rp.done()
	err := d.log.ReplayView(from+1, func(pos uint64, rec []byte) error {
		// rec is the log's read buffer, valid until we return, so m may
		// borrow it: m is applied before then, and what the streams keep
		// of it they copy (stream.Stream.AppendList packs the fields into
		// its block; the decoder's strings are new or reused strings).
		var m mutation
		if err := rd.decode(&m, rec); err != nil {
			return fmt.Errorf("log position %d: %w", pos, err)
		}
		if err := rp.replay(&m); err != nil {
			return fmt.Errorf("%w: log position %d: %w", ErrCorrupt, pos, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("broker: recovery: replay: %w", err)
	}
	return nil
}
