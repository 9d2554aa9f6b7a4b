package stream

import (
	"slices"
	"strings"
	"sync/atomic"
)

// Field-name tables are shared. Every block keeps the names of its first
// entry as its names table, and a million streams of one entry would hold a
// million copies of the same few names. A small direct-mapped cache,
// indexed by a hash of the names, hands out one immutable table to every
// block whose names match it; a table is never written after it is made,
// so blocks of streams under different locks may share it. The cache only
// saves memory: a miss (or a collision, which overwrites the slot) makes a
// new table as before, and it pins at most namesCacheSize small tables.
// This is the one piece of state the package shares between streams; it is
// safe for concurrent use and does not change what any operation returns.

// namesCacheSize is the number of cached names tables (a power of two).
const namesCacheSize = 256

// namesCache holds the shared names tables.
var namesCache [namesCacheSize]atomic.Pointer[[]string]

// internNames returns the names of fields as a shared table.
func internNames(fields []Field) *[]string {
	h := uint32(2166136261) // FNV-1a
	for _, f := range fields {
		h = hashName(h, f.Name)
	}
	slot := &namesCache[h%namesCacheSize]
	if t := slot.Load(); t != nil && sameNames(*t, fields) {
		return t
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	t := newTable(names)
	slot.Store(t)
	return t
}

// internTable returns a shared table equal to names (which it may keep).
func internTable(names []string) *[]string {
	h := uint32(2166136261)
	for _, n := range names {
		h = hashName(h, n)
	}
	slot := &namesCache[h%namesCacheSize]
	if t := slot.Load(); t != nil && slices.Equal(*t, names) {
		return t
	}
	t := newTable(names)
	slot.Store(t)
	return t
}

// hashName adds one name, and a separator, to an FNV-1a hash.
func hashName(h uint32, name string) uint32 {
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return (h ^ 0xff) * 16777619
}

// newTable returns a table of names whose strings share one allocation, so
// that the table holds none of the caller's memory.
func newTable(names []string) *[]string {
	n := 0
	for _, s := range names {
		n += len(s)
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, s := range names {
		sb.WriteString(s)
	}
	all := sb.String()
	t := make([]string, len(names))
	for i, s := range names {
		t[i], all = all[:len(s)], all[len(s):]
	}
	return &t
}
