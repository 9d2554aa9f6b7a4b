package stream

import "strconv"

// Decoding entries in bulk. A read decodes every entry it returns into one
// entrySlab, which then makes one string holding all their field values (and
// the names not taken from a block's names table) and one []Field holding
// all their fields: a read of 100 entries costs a handful of allocations
// (string, fields, entries, names tables) instead of two per entry.

// Sizes of the stack scratch of a read; bigger reads grow it on the heap.
const (
	slabEntries = 128  // entries
	slabPieces  = 512  // names and values
	slabText    = 4096 // bytes of names and values
)

// entrySlab collects decoded entries until appendTo builds them. The scratch
// slices hold no pointers (names tables are referred to by index), and the
// slab is passed by value, so the caller's stack arrays can back them. The
// first names table is held inline: a read within one block allocates no
// table list.
type entrySlab struct {
	text    []byte     // every piece of every entry, back to back
	ends    []int      // where each piece ends in text, in order
	heads   []slabHead // one per entry, in order
	first   []string   // the names table of index 0
	more    [][]string // the names tables of index 1, 2, ...
	ntables int
	nfields int // total fields of heads
}

// slabHead is one entry of an entrySlab.
type slabHead struct {
	id    ID
	n     int // number of fields
	table int // index of the names table (tableAt), or -1: the names are in text
}

// newSlab returns an entrySlab whose scratch starts in the given buffers.
func newSlab(text []byte, ends []int, heads []slabHead) entrySlab {
	return entrySlab{text: text[:0], ends: ends[:0], heads: heads[:0]}
}

// table returns the index of names in sl's tables, adding it if it is not
// the last one (entries come block by block, so that is the common case).
func (sl entrySlab) table(names []string) (entrySlab, int) {
	if k := sl.ntables - 1; k >= 0 && sameTable(sl.tableAt(k), names) {
		return sl, k
	}
	if sl.ntables == 0 {
		sl.first = names
	} else {
		sl.more = append(sl.more, names)
	}
	sl.ntables++
	return sl, sl.ntables - 1
}

// tableAt returns the names table of index k.
func (sl *entrySlab) tableAt(k int) []string {
	if k == 0 {
		return sl.first
	}
	return sl.more[k-1]
}

// sameTable reports whether x and y are the same names table (not merely
// equal ones).
func sameTable(x, y []string) bool {
	return len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
}

// add decodes the entry e of a well-formed block b into sl and returns sl.
func (sl entrySlab) add(b *block, e rawEntry) entrySlab {
	buf, p := b.buf, e.body
	h := slabHead{id: e.id, table: -1}
	same := e.flags&flagSameFields != 0
	count := uint64(len(b.names()))
	if same {
		sl, h.table = sl.table(b.names())
	} else {
		count, p = readUvarint(buf, p)
	}
	for range count {
		if !same {
			var n uint64
			n, p = readUvarint(buf, p)
			sl.text = append(sl.text, buf[p:p+int(n)]...)
			sl.ends = append(sl.ends, len(sl.text))
			p += int(n)
		}
		tag := uint64(buf[p])
		if tag < 0x80 {
			p++
		} else {
			tag, p = readUvarint(buf, p)
		}
		if tag&1 == 1 {
			sl.text = strconv.AppendInt(sl.text, unzigzag(tag>>1), 10)
		} else {
			sl.text = append(sl.text, buf[p:p+int(tag>>1)]...)
			p += int(tag >> 1)
		}
		sl.ends = append(sl.ends, len(sl.text))
	}
	h.n = int(count)
	sl.nfields += h.n
	sl.heads = append(sl.heads, h)
	return sl
}

// appendTo appends the collected entries to out (nil: a new slice of the
// right size). Their fields share one backing array, each entry's slice
// capped at its own length so that an append to one entry's Fields cannot
// overwrite the next entry's.
func (sl entrySlab) appendTo(out []Entry) []Entry {
	if out == nil {
		out = make([]Entry, 0, len(sl.heads))
	}
	str := string(sl.text)
	fields := make([]Field, sl.nfields)
	from, k, f := 0, 0, 0
	for _, h := range sl.heads {
		fs := fields[f : f+h.n : f+h.n]
		f += h.n
		var names []string
		if h.table >= 0 {
			names = sl.tableAt(h.table)
		}
		for j := range fs {
			if names != nil {
				fs[j].Name = names[j]
			} else {
				fs[j].Name, from, k = str[from:sl.ends[k]], sl.ends[k], k+1
			}
			fs[j].Value, from, k = str[from:sl.ends[k]], sl.ends[k], k+1
		}
		out = append(out, Entry{ID: h.id, Fields: fs})
	}
	return out
}

// entry decodes e into an Entry.
func (b *block) entry(e rawEntry) Entry {
	var (
		text  [256]byte
		ends  [32]int
		heads [1]slabHead
	)
	var one [1]Entry
	return newSlab(text[:], ends[:], heads[:]).add(b, e).appendTo(one[:0])[0]
}
