package broker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/brookmq/brook/stream"
)

// Snapshot file names: "snap-" + 20-digit log position + ".snap"; a snapshot
// being written carries ".tmp" after that; one recovery found damaged,
// ".broken".
const (
	snapPrefix = "snap-"
	snapSuffix = ".snap"
	tmpSuffix  = ".tmp"
	brokenExt  = ".broken"
)

// snapName is the file name of the snapshot at log position pos.
func snapName(pos uint64) string {
	return fmt.Sprintf("%s%020d%s", snapPrefix, pos, snapSuffix)
}

// parseSnapName returns the log position of a snapshot file name; ok is
// false for any other name (temporary and broken files included).
func parseSnapName(name string) (pos uint64, ok bool) {
	digits, ok := strings.CutPrefix(name, snapPrefix)
	if !ok {
		return 0, false
	}
	digits, ok = strings.CutSuffix(digits, snapSuffix)
	if !ok || len(digits) != 20 {
		return 0, false
	}
	pos, err := strconv.ParseUint(digits, 10, 64)
	return pos, err == nil
}

// snapshot writes a snapshot of the whole registry if anything changed
// since the last one, then drops the log records and the older snapshots it
// replaces. Writers are blocked only while the registry is cloned.
func (d *durable) snapshot() error {
	d.snapMu.Lock()
	defer d.snapMu.Unlock()
	// The bytes logged so far are accounted for whatever happens: after a
	// failure the next attempt waits for another SnapshotEvery bytes rather
	// than retrying on every append.
	d.pending.Add(-d.pending.Load())
	streams, pos, err := d.reg.snapshot(d.log.LastPos)
	if err != nil {
		return err
	}
	if pos == d.snapPos {
		return nil
	}
	// The snapshot must never be ahead of the durable log: recovery would
	// otherwise find a log that ends before it and new records numbered
	// below it. Sync whatever the fsync policy.
	if err := d.log.Sync(); err != nil {
		return fmt.Errorf("broker: snapshot %d: sync log: %w", pos, err)
	}
	size, err := d.writeSnapshot(pos, streams)
	if err != nil {
		return err
	}
	d.snapPos = pos
	d.due.Store(d.nextDue(size))
	if err := d.log.TruncateFront(pos + 1); err != nil {
		return fmt.Errorf("broker: snapshot %d: truncate log: %w", pos, err)
	}
	d.removeOld(pos)
	return nil
}

// writeSnapshot writes the snapshot file of streams at log position pos and
// makes it durable: temporary file, fsync, rename, directory fsync. It
// returns the file's size.
func (d *durable) writeSnapshot(pos uint64, streams map[string]*stream.Stream) (size int64, err error) {
	final := d.path(snapName(pos))
	tmp := final + tmpSuffix
	if err := d.fs.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("broker: snapshot: remove stale %s: %w", tmp, err)
	}
	f, err := d.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("broker: snapshot: create %s: %w", tmp, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			d.fs.Remove(tmp) // best effort: recovery ignores temporary files
		}
	}()
	names := make([]string, 0, len(streams))
	for name := range streams {
		names = append(names, name)
	}
	slices.Sort(names)
	sw := newSnapWriter(f, pos, len(names))
	for _, name := range names {
		sw.addStream(name, streams[name])
	}
	if err = sw.finish(); err != nil {
		return 0, fmt.Errorf("broker: snapshot: write %s: %w", tmp, err)
	}
	if size, err = f.Size(); err != nil {
		return 0, fmt.Errorf("broker: snapshot: stat %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return 0, fmt.Errorf("broker: snapshot: sync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return 0, fmt.Errorf("broker: snapshot: close %s: %w", tmp, err)
	}
	if err = d.fs.Rename(tmp, final); err != nil {
		return 0, fmt.Errorf("broker: snapshot: rename %s: %w", tmp, err)
	}
	if err = d.fs.SyncDir(d.dir); err != nil {
		return 0, fmt.Errorf("broker: snapshot: sync directory %s: %w", d.dir, err)
	}
	return size, nil
}

// removeOld deletes the snapshots older than the durable one at pos and any
// leftover temporary file. Failures are reported, not returned: the files
// are harmless and the next snapshot tries again.
func (d *durable) removeOld(pos uint64) {
	names, err := d.fs.ReadDir(d.dir)
	if err != nil {
		d.logf("broker: snapshot cleanup: %v", err)
		return
	}
	removed := false
	for _, name := range names {
		p, ok := parseSnapName(strings.TrimSuffix(name, tmpSuffix))
		if !ok || p >= pos && !strings.HasSuffix(name, tmpSuffix) {
			continue
		}
		if err := d.fs.Remove(d.path(name)); err != nil {
			d.logf("broker: snapshot cleanup: %v", err)
			continue
		}
		removed = true
	}
	if removed {
		if err := d.fs.SyncDir(d.dir); err != nil {
			d.logf("broker: snapshot cleanup: sync directory: %v", err)
		}
	}
}
