package faultfs

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"syscall"
)

// Crash returns the file system a power loss at this instant would leave:
// the durable directory entries, each file's synced content, plus the writes
// made to it since its last Sync, in order, up to a random one (none to
// all), that one torn at a random byte. A file truncated since its last Sync
// keeps its synced content only. f itself is unchanged
// and stays usable (a program still running on it sees nothing). The
// result holds no directory lock: the process that held them died.
func (f *FS) Crash() *FS { return f.crash(true) }

// DropUnsynced is like [FS.Crash] but keeps no unsynced byte.
func (f *FS) DropUnsynced() *FS { return f.crash(false) }

// Kill returns the file system a crash of the process (not of the machine)
// at this instant would leave: everything written and every name, synced or
// not, since the OS keeps them. The most recent write is remembered, so
// g.TearLastWrite on the result models a process killed in the middle of it.
// The result holds no directory lock, as the killed process's flocks die
// with it.
func (f *FS) Kill() *FS {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.newChild()
	made := map[*node]*node{}
	for _, name := range sortedNames(f.files) {
		n := f.files[name]
		m, ok := made[n]
		if !ok {
			m = &node{data: slices.Clone(n.data), synced: slices.Clone(n.synced), writes: slices.Clone(n.writes), cut: n.cut}
			made[n] = m
		}
		g.files[name] = m
	}
	for name, n := range f.durable {
		if m, ok := made[n]; ok {
			g.durable[name] = m
		}
	}
	if m, ok := made[f.last.n]; ok {
		g.last = f.last
		g.last.n = m
	}
	return g
}

// newChild returns an empty FS with f's directories and a seed drawn from
// f's random source. f.mu is held.
func (f *FS) newChild() *FS {
	g := New(f.rng.Uint64())
	for d := range f.dirs {
		g.dirs[d] = true
	}
	return g
}

func sortedNames(m map[string]*node) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic use of the random source
	return names
}

func (f *FS) crash(tear bool) *FS {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.newChild()
	made := map[*node]*node{}
	for _, name := range sortedNames(f.durable) {
		n := f.durable[name]
		m, ok := made[n]
		if !ok {
			data := n.afterPowerLoss(tear, f.rng)
			m = &node{data: data, synced: slices.Clone(data)}
			made[n] = m
		}
		g.files[name] = m
		g.durable[name] = m
	}
	return g
}

// TearLastWrite undoes the most recent write from a random byte on, as a
// crash in the middle of it would: the bytes it overwrote come back, and the
// file shrinks back if the write had grown it. A write already synced is
// never torn. It returns the file's name (empty if no file holds it any
// more), the bytes of the write kept, and whether anything was undone.
func (f *FS) TearLastWrite() (name string, kept int, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.last
	if w.n == nil {
		return "", 0, false
	}
	for nm, n := range f.files {
		if n == w.n {
			name = nm
		}
	}
	end := w.off + int64(w.len)
	if end > int64(len(w.n.data)) { // truncated since
		return name, w.len, false
	}
	kept = f.rng.IntN(w.len)
	data := slices.Clone(w.n.data)
	cut := w.off + int64(kept)
	if cut < w.oldLen {
		copy(data[cut:], w.prev[kept:])
	}
	if end > w.oldLen { // the write grew the file: it shrinks back
		data = data[:max(w.oldLen, cut)]
	}
	w.n.data = data
	if len(w.n.writes) > 0 {
		last := &w.n.writes[len(w.n.writes)-1]
		last.data = last.data[:kept]
	}
	f.last = lastWrite{}
	return name, kept, true
}

// FlipBit flips bit (0-7) of the byte at off of file name, in its current
// and in its synced content.
func (f *FS) FlipBit(name string, off int64, bit uint) error {
	name = clean(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.files[name]
	if !ok {
		return pathErr("flip", name, fs.ErrNotExist)
	}
	if off < 0 || off >= int64(len(n.data)) || bit > 7 {
		return pathErr("flip", name, syscall.EINVAL)
	}
	n.flip(off, bit)
	return nil
}

func (n *node) flip(off int64, bit uint) {
	n.data[off] ^= 1 << bit
	if off < int64(len(n.synced)) {
		n.synced[off] ^= 1 << bit
	}
}

// FlipRandomSyncedBit flips one random bit among the synced bytes of the
// files whose base name match accepts (all files if match is nil). It
// returns where, and false if there was no synced byte to flip.
func (f *FS) FlipRandomSyncedBit(match func(name string) bool) (name string, off int64, bit uint, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	var total int64
	for nm, n := range f.files {
		if match == nil || match(filepath.Base(nm)) {
			names = append(names, nm)
			total += int64(len(n.synced))
		}
	}
	if total == 0 {
		return "", 0, 0, false
	}
	sort.Strings(names)
	r := f.rng.Int64N(total)
	bit = uint(f.rng.IntN(8))
	for _, nm := range names {
		n := f.files[nm]
		if r < int64(len(n.synced)) {
			n.flip(r, bit)
			return nm, r, bit, true
		}
		r -= int64(len(n.synced))
	}
	panic("faultfs: unreachable")
}

// ZeroRange replaces the n bytes of file name from off on (as far as the
// file goes) with zeros, in its current and in its synced content: data
// already on "disk" lost to a misdirected or lost write, or a disk that
// returns zeros.
func (f *FS) ZeroRange(name string, off, n int64) error {
	name = clean(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	nd, ok := f.files[name]
	if !ok {
		return pathErr("zero", name, fs.ErrNotExist)
	}
	if off < 0 || n < 0 {
		return pathErr("zero", name, syscall.EINVAL)
	}
	nd.zero(off, n)
	return nil
}

func (n *node) zero(off, length int64) {
	for _, b := range [][]byte{n.data, n.synced} {
		if off < int64(len(b)) {
			clear(b[off:min(int64(len(b)), off+length)])
		}
	}
}

// ZeroRandomSyncedRange zeros a random range of the synced bytes of one of
// the files whose base name match accepts (all files if match is nil),
// chosen with a probability proportional to its synced size: half the
// time up to the end of its synced content (a lost tail), else of a random
// length (a hole). It returns where and how many bytes, and false if there
// was no synced byte.
func (f *FS) ZeroRandomSyncedRange(match func(name string) bool) (name string, off, n int64, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	var total int64
	for nm, nd := range f.files {
		if match == nil || match(filepath.Base(nm)) {
			names = append(names, nm)
			total += int64(len(nd.synced))
		}
	}
	if total == 0 {
		return "", 0, 0, false
	}
	sort.Strings(names)
	r := f.rng.Int64N(total)
	for _, nm := range names {
		nd := f.files[nm]
		size := int64(len(nd.synced))
		if r >= size {
			r -= size
			continue
		}
		n = size - r
		if f.rng.IntN(2) == 0 {
			n = 1 + f.rng.Int64N(n)
		}
		nd.zero(r, n)
		return nm, r, n, true
	}
	panic("faultfs: unreachable")
}

// ErrInjected is the default error of injected failures.
var ErrInjected = fmt.Errorf("faultfs: injected I/O error: %w", syscall.EIO)

// FailSyncAfter makes the file Sync after the next n ones fail with err
// (ErrInjected if nil), once; that Sync syncs nothing.
func (f *FS) FailSyncAfter(n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncFail = fault{after: n, err: cmpErr(err)}
}

// FailDirSyncAfter makes the SyncDir after the next n ones fail with err
// (ErrInjected if nil), once; that SyncDir makes nothing durable.
func (f *FS) FailDirSyncAfter(n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dirSyncFail = fault{after: n, err: cmpErr(err)}
}

// FailWriteAfter makes the Write after the next n ones write a random prefix
// of its data and fail with err (ErrInjected if nil), once.
func (f *FS) FailWriteAfter(n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeFail = fault{after: n, err: cmpErr(err)}
}

func cmpErr(err error) error {
	if err == nil {
		return ErrInjected
	}
	return err
}

// SetSpace sets the capacity of the file system in bytes (negative:
// unlimited). A write that would exceed it writes what fits and fails with
// ENOSPC.
func (f *FS) SetSpace(bytes int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.space = bytes
}

// SetSyncHook sets a function called at the start of every file Sync, with
// the file's name, without any lock held: tests use it to hold a sync open
// while they append. nil removes it.
func (f *FS) SetSyncHook(hook func(name string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncHook = hook
}

// SetWriteHook sets a function called at the start of every file Write and
// WriteAt, with the file's name, without any lock held: tests use it to
// hold a write open (a disk that stopped answering). nil removes it.
func (f *FS) SetWriteHook(hook func(name string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeHook = hook
}

// ReadFile returns a copy of the current content of name.
func (f *FS) ReadFile(name string) ([]byte, error) {
	name = clean(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.files[name]
	if !ok {
		return nil, pathErr("read", name, fs.ErrNotExist)
	}
	return slices.Clone(n.data), nil
}

// WriteFile creates or replaces name with data, durably (synced, and the
// entry durable), creating its directory if needed.
func (f *FS) WriteFile(name string, data []byte) error {
	name = clean(name)
	if err := f.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d := slices.Clone(data)
	n := &node{data: d, synced: slices.Clone(d)}
	f.files[name] = n
	f.durable[name] = n
	return nil
}

// Stats returns the operation counts.
func (f *FS) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

// IsInjected reports whether err comes from an injected failure with the
// default error or ENOSPC from the capacity limit.
func IsInjected(err error) bool {
	return errors.Is(err, ErrInjected) || errors.Is(err, syscall.ENOSPC)
}
