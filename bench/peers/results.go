package main

import (
	"fmt"
	"slices"
	"sync"
)

// unit is how a metric's values print.
type unit uint8

const (
	perSec  unit = iota // events per second, higher is better
	nanos               // a duration in nanoseconds, lower is better
	bytesPE             // bytes per entry, lower is better
)

// table holds one metric of one workload: a row per parameter value, a
// column per system, several samples per cell.
type table struct {
	id      string // stable name used by targets and plots, e.g. "fanout/64B/deliveries"
	title   string
	param   string // the row header, e.g. "subscribers"
	unit    unit
	rows    []string
	systems []string
	cells   map[cellKey][]float64
	errs    map[cellKey]string
}

type cellKey struct{ row, system string }

// results collects every table of a run, in the order they were made.
type results struct {
	mu     sync.Mutex
	tables []*table
	notes  []string // printed under the tables: skipped systems, failures
}

// table returns the table with id, making it if needed.
func (r *results) table(id, title, param string, u unit) *table {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.tables {
		if t.id == id {
			return t
		}
	}
	t := &table{id: id, title: title, param: param, unit: u, cells: map[cellKey][]float64{}, errs: map[cellKey]string{}}
	r.tables = append(r.tables, t)
	return t
}

// find returns the table with id or nil.
func (r *results) find(id string) *table {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.tables {
		if t.id == id {
			return t
		}
	}
	return nil
}

func (r *results) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if !slices.Contains(r.notes, msg) {
		r.notes = append(r.notes, msg)
	}
}

func (t *table) touch(row, system string) {
	if !slices.Contains(t.rows, row) {
		t.rows = append(t.rows, row)
	}
	if !slices.Contains(t.systems, system) {
		t.systems = append(t.systems, system)
	}
}

// add records one sample.
func (t *table) add(row, system string, v float64) {
	t.touch(row, system)
	k := cellKey{row, system}
	t.cells[k] = append(t.cells[k], v)
}

// fail records that a cell could not be measured.
func (t *table) fail(row, system string, err error) {
	t.touch(row, system)
	t.errs[cellKey{row, system}] = err.Error()
}

// median returns the median sample of a cell, and whether it has any.
func (t *table) median(row, system string) (float64, bool) {
	s := slices.Clone(t.cells[cellKey{row, system}])
	if len(s) == 0 {
		return 0, false
	}
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

// spread returns the smallest and largest sample of a cell.
func (t *table) spread(row, system string) (lo, hi float64) {
	s := t.cells[cellKey{row, system}]
	return slices.Min(s), slices.Max(s)
}

// ratio returns a's figure over b's in row, and whether both exist. When
// both cells hold one sample per repetition (systems run back to back in
// each), it is the median of the per-repetition ratios, which cancels most
// of a shared machine's load swings; otherwise the ratio of the medians.
func (t *table) ratio(row, a, b string) (float64, bool) {
	return pairedRatio(t.cells[cellKey{row, a}], t.cells[cellKey{row, b}])
}

// rowRatio returns system's figure in row a over its figure in row b, paired
// per repetition like ratio: the workload must run the rows of a repetition
// back to back (see runPatterns) for the pairing to mean anything.
func (t *table) rowRatio(system, a, b string) (float64, bool) {
	return pairedRatio(t.cells[cellKey{a, system}], t.cells[cellKey{b, system}])
}

// pairedRatio returns the median of xs[i]/ys[i] when both hold the same
// number of samples, else the ratio of their medians; false if either is
// empty or the divisor is zero.
func pairedRatio(xs, ys []float64) (float64, bool) {
	if len(xs) > 0 && len(xs) == len(ys) && !slices.Contains(ys, 0) {
		rs := make([]float64, len(xs))
		for i := range xs {
			rs[i] = xs[i] / ys[i]
		}
		return median(rs), true
	}
	if len(xs) == 0 || len(ys) == 0 {
		return 0, false
	}
	y := median(slices.Clone(ys)) // median sorts: keep the cells in repetition order
	if y == 0 {
		return 0, false
	}
	return median(slices.Clone(xs)) / y, true
}
