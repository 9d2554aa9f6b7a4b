package faultfs

import (
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"syscall"

	"github.com/brookmq/brook/wal"
)

// FS is an in-memory [wal.FS] with fault injection. Create it with [New].
type FS struct {
	mu      sync.Mutex
	rng     *rand.Rand
	dirs    map[string]bool
	files   map[string]*node    // the namespace as programs see it
	durable map[string]*node    // the namespace a power loss would leave
	locks   map[string]*dirLock // directories locked by Lock, by clean name

	space       int64 // capacity in bytes; < 0: unlimited
	syncFail    fault
	dirSyncFail fault
	writeFail   fault
	syncHook    func(name string)
	writeHook   func(name string)
	last        lastWrite
	stats       Stats
}

// node is a file's content.
type node struct {
	data   []byte
	synced []byte   // content as of the last Sync (what survives power loss), its own array
	writes []pwrite // writes since the last Sync, oldest first: data is synced plus these
	cut    bool     // truncated since the last Sync: power loss keeps synced only
}

// pwrite is one write not yet synced: what a power loss may persist.
type pwrite struct {
	off  int64
	data []byte // a copy
}

// fault is a one-shot failure after a countdown.
type fault struct {
	after int // operations to let through first; < 0: disarmed
	err   error
}

// trigger counts one operation and reports the error if this one fails.
func (f *fault) trigger() error {
	if f.after < 0 {
		return nil
	}
	if f.after > 0 {
		f.after--
		return nil
	}
	f.after = -1
	return f.err
}

// lastWrite is the most recent write, with what it replaced, so that
// TearLastWrite can undo its end.
type lastWrite struct {
	n      *node
	off    int64
	len    int
	oldLen int64  // file size before the write
	prev   []byte // the bytes it overwrote (of [off, min(off+len, oldLen)))
}

// Stats count the operations an FS served.
type Stats struct {
	Writes   int // successful or partial writes
	Syncs    int // file syncs (including failed ones)
	DirSyncs int // directory syncs (including failed ones)
}

var _ wal.FS = (*FS)(nil)

// New returns an empty file system whose random choices derive from seed.
func New(seed uint64) *FS {
	return &FS{
		rng:         rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		dirs:        map[string]bool{"/": true, ".": true},
		files:       map[string]*node{},
		durable:     map[string]*node{},
		locks:       map[string]*dirLock{},
		space:       -1,
		syncFail:    fault{after: -1},
		dirSyncFail: fault{after: -1},
		writeFail:   fault{after: -1},
	}
}

func clean(name string) string { return filepath.Clean(name) }

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// OpenFile implements [wal.FS]. It honours O_RDONLY, O_WRONLY, O_RDWR,
// O_CREATE, O_EXCL, O_TRUNC and O_APPEND.
func (f *FS) OpenFile(name string, flag int, perm fs.FileMode) (wal.File, error) {
	name = clean(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.files[name]
	switch {
	case ok && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, pathErr("open", name, fs.ErrExist)
	case !ok && flag&os.O_CREATE == 0:
		return nil, pathErr("open", name, fs.ErrNotExist)
	case !ok && !f.dirs[filepath.Dir(name)]:
		return nil, pathErr("open", name, fs.ErrNotExist)
	case !ok:
		n = &node{}
		f.files[name] = n
	}
	h := &file{fs: f, n: n, name: name, flag: flag}
	if flag&os.O_TRUNC != 0 && h.writable() {
		n.truncate(0)
	}
	return h, nil
}

// Rename implements [wal.FS].
func (f *FS) Rename(oldpath, newpath string) error {
	oldpath, newpath = clean(oldpath), clean(newpath)
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.files[oldpath]
	if !ok {
		return pathErr("rename", oldpath, fs.ErrNotExist)
	}
	if !f.dirs[filepath.Dir(newpath)] {
		return pathErr("rename", newpath, fs.ErrNotExist)
	}
	delete(f.files, oldpath)
	f.files[newpath] = n
	return nil
}

// Remove implements [wal.FS].
func (f *FS) Remove(name string) error {
	name = clean(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.files[name]; !ok {
		return pathErr("remove", name, fs.ErrNotExist)
	}
	delete(f.files, name)
	return nil
}

// ReadDir implements [wal.FS]: the sorted names of the files and
// directories in dir.
func (f *FS) ReadDir(dir string) ([]string, error) {
	dir = clean(dir)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.dirs[dir] {
		return nil, pathErr("readdir", dir, fs.ErrNotExist)
	}
	var names []string
	for name := range f.files {
		if filepath.Dir(name) == dir {
			names = append(names, filepath.Base(name))
		}
	}
	for d := range f.dirs {
		if d != dir && filepath.Dir(d) == dir {
			names = append(names, filepath.Base(d))
		}
	}
	sort.Strings(names)
	return names, nil
}

// MkdirAll implements [wal.FS]. Directories are durable at once.
func (f *FS) MkdirAll(dir string, perm fs.FileMode) error {
	dir = clean(dir)
	f.mu.Lock()
	defer f.mu.Unlock()
	for d := dir; !f.dirs[d]; d = filepath.Dir(d) {
		if _, ok := f.files[d]; ok {
			return pathErr("mkdir", d, syscall.ENOTDIR)
		}
		f.dirs[d] = true
	}
	return nil
}

// SyncDir implements [wal.FS]: the entries of dir become durable.
func (f *FS) SyncDir(dir string) error {
	dir = clean(dir)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.DirSyncs++
	if err := f.dirSyncFail.trigger(); err != nil {
		return pathErr("fsync", dir, err)
	}
	if !f.dirs[dir] {
		return pathErr("fsync", dir, fs.ErrNotExist)
	}
	for name := range f.durable {
		if filepath.Dir(name) == dir {
			delete(f.durable, name)
		}
	}
	for name, n := range f.files {
		if filepath.Dir(name) == dir {
			f.durable[name] = n
		}
	}
	return nil
}

// Lock implements [wal.FS] in memory: an exclusive lock on the directory
// dir, which must exist, held by this FS alone (another FS, even one made
// from this by [FS.Crash], has its own locks). While it is held, Lock of the
// same directory fails with an error wrapping [wal.ErrLocked]. A crash
// releases it as a dying process releases its flock: the FS that [FS.Crash],
// [FS.DropUnsynced] and [FS.Kill] return holds no lock. No file is created.
func (f *FS) Lock(dir string) (io.Closer, error) {
	dir = clean(dir)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.dirs[dir] {
		return nil, pathErr("lock", dir, fs.ErrNotExist)
	}
	if f.locks[dir] != nil {
		return nil, fmt.Errorf("%w: %s", wal.ErrLocked, dir)
	}
	l := &dirLock{fs: f, dir: dir}
	f.locks[dir] = l
	return l, nil
}

// dirLock is a lock taken by [FS.Lock].
type dirLock struct {
	fs  *FS
	dir string
}

// Close releases the lock the first time; later calls return an error
// wrapping fs.ErrClosed.
func (l *dirLock) Close() error {
	l.fs.mu.Lock()
	defer l.fs.mu.Unlock()
	if l.fs.locks[l.dir] != l {
		return pathErr("unlock", l.dir, fs.ErrClosed)
	}
	delete(l.fs.locks, l.dir)
	return nil
}

// used returns the bytes held by the files in the namespace. f.mu is held.
func (f *FS) used() int64 {
	var u int64
	for _, n := range f.files {
		u += int64(len(n.data))
	}
	return u
}

// truncate changes the size. Power loss keeps none of the file's unsynced
// changes after a truncation (a simplification: no partial state).
func (n *node) truncate(size int64) {
	n.cut = true
	if size < int64(len(n.data)) {
		n.data = n.data[:size]
		return
	}
	n.data = append(n.data, make([]byte, size-int64(len(n.data)))...)
}

// writeAt writes p at off, growing the file with zeros if needed, and logs
// the write for power loss. It returns what TearLastWrite needs to undo it.
func (n *node) writeAt(p []byte, off int64) lastWrite {
	w := lastWrite{n: n, off: off, len: len(p), oldLen: int64(len(n.data))}
	if off < w.oldLen {
		w.prev = slices.Clone(n.data[off:min(off+int64(len(p)), w.oldLen)])
	}
	n.data = writeInto(n.data, p, off)
	n.writes = append(n.writes, pwrite{off: off, data: slices.Clone(p)})
	return w
}

// writeInto copies p into b at off, growing b with zeros if needed.
func writeInto(b, p []byte, off int64) []byte {
	if end := off + int64(len(p)); end > int64(len(b)) {
		b = append(b, make([]byte, end-int64(len(b)))...)
	}
	copy(b[off:], p)
	return b
}

// sync makes the current content the synced one, in time proportional to
// what was written since the last sync (a truncation copies the file).
func (n *node) sync() {
	if n.cut {
		n.synced = slices.Clone(n.data)
	} else {
		for _, w := range n.writes {
			n.synced = writeInto(n.synced, w.data, w.off)
		}
	}
	n.writes, n.cut = nil, false
}

// afterPowerLoss returns a content a power loss could leave: the synced one,
// then (with tear, and if not truncated since) the unsynced writes in order
// up to a random one, torn at a random byte. Writes reach the disk in the
// order they were made, in this model, each possibly in part.
func (n *node) afterPowerLoss(tear bool, rng *rand.Rand) []byte {
	data := slices.Clone(n.synced)
	if !tear || n.cut || len(n.writes) == 0 {
		return data
	}
	k := rng.IntN(len(n.writes) + 1)
	for i, w := range n.writes[:min(k+1, len(n.writes))] {
		p := w.data
		if i == k {
			p = p[:rng.IntN(len(p)+1)]
		}
		data = writeInto(data, p, w.off)
	}
	return data
}

// file is an open file of an FS.
type file struct {
	fs     *FS
	n      *node
	name   string
	flag   int
	off    int64
	closed bool
}

func (h *file) writable() bool { return h.flag&(os.O_WRONLY|os.O_RDWR) != 0 }

func (h *file) check(op string, write bool) error {
	if h.closed {
		return pathErr(op, h.name, fs.ErrClosed)
	}
	if write && !h.writable() || !write && h.flag&os.O_WRONLY != 0 {
		return pathErr(op, h.name, syscall.EBADF)
	}
	return nil
}

// ReadAt implements io.ReaderAt on the current content.
func (h *file) ReadAt(p []byte, off int64) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("read", h.name, syscall.EINVAL)
	}
	if off >= int64(len(h.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, h.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Write writes at the file offset (the end with O_APPEND), subject to the
// injected write failure and the capacity.
func (h *file) Write(p []byte) (int, error) {
	h.fs.runWriteHook(h.name)
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.flag&os.O_APPEND != 0 {
		h.off = int64(len(h.n.data))
	}
	n, err := h.writeAtLocked(p, h.off)
	h.off += int64(n)
	return n, err
}

// WriteAt writes at off, subject to the injected write failure and the
// capacity. As with os.File, a file opened with O_APPEND refuses it.
func (h *file) WriteAt(p []byte, off int64) (int, error) {
	h.fs.runWriteHook(h.name)
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.flag&os.O_APPEND != 0 || off < 0 {
		return 0, pathErr("writeat", h.name, syscall.EINVAL)
	}
	return h.writeAtLocked(p, off)
}

// runWriteHook calls the write hook, if any, without f.mu held.
func (f *FS) runWriteHook(name string) {
	f.mu.Lock()
	hook := f.writeHook
	f.mu.Unlock()
	if hook != nil {
		hook(name)
	}
}

// writeAtLocked writes what the faults and the capacity let through of p at
// off. h.fs.mu is held.
func (h *file) writeAtLocked(p []byte, off int64) (int, error) {
	f := h.fs
	if err := h.check("write", true); err != nil {
		return 0, err
	}
	want, err := len(p), error(nil)
	if ferr := f.writeFail.trigger(); ferr != nil {
		want, err = f.rng.IntN(len(p)+1), ferr
	}
	if f.space >= 0 {
		grow := off + int64(want) - int64(len(h.n.data))
		if free := f.space - f.used(); grow > free {
			want, err = max(0, want-int(grow-free)), syscall.ENOSPC
		}
	}
	if want > 0 {
		f.last = h.n.writeAt(p[:want], off)
		f.stats.Writes++
	}
	if err != nil {
		return want, pathErr("write", h.name, err)
	}
	return want, nil
}

// Sync makes the file's current content durable, unless an injected failure
// fires (then nothing is synced).
func (h *file) Sync() error {
	f := h.fs
	f.mu.Lock()
	hook := f.syncHook
	f.mu.Unlock()
	if hook != nil {
		hook(h.name)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if h.closed {
		return pathErr("fsync", h.name, fs.ErrClosed)
	}
	f.stats.Syncs++
	if err := f.syncFail.trigger(); err != nil {
		return pathErr("fsync", h.name, err)
	}
	h.n.sync()
	if f.last.n == h.n {
		f.last = lastWrite{} // a synced write can no longer be torn
	}
	return nil
}

// Truncate implements [wal.File].
func (h *file) Truncate(size int64) error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.check("truncate", true); err != nil {
		return err
	}
	if size < 0 {
		return pathErr("truncate", h.name, syscall.EINVAL)
	}
	h.n.truncate(size)
	return nil
}

// Size implements [wal.File].
func (h *file) Size() (int64, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.closed {
		return 0, pathErr("stat", h.name, fs.ErrClosed)
	}
	return int64(len(h.n.data)), nil
}

// Close implements [wal.File].
func (h *file) Close() error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.closed {
		return pathErr("close", h.name, fs.ErrClosed)
	}
	h.closed = true
	return nil
}
