package stream

// The entry store: IDs, appends, metadata and clones. Ranges are in range.go,
// deletion and trimming in trim.go, the packed block format in block.go and
// the snapshot codec in codec.go.
//
// For the consumer-group code (group.go, pel.go, claim.go, groupinfo.go):
//   - s.rangeAfter(after, count): entries with ID > after, oldest first
//   - s.Get(id), s.FirstID(), s.LastID(), s.Len()
//   - s.entriesAdded() (uint64), and s.rare().maxDeletedID (ID,
//     0-0 = none)
//   - s.rare().grp holds the groups (s.rareForWrite() to change them); Clone
//     calls cloneGroups, AppendBinary / Decode call s.appendGroups /
//     s.decodeGroups, Info calls s.groupCount.

import (
	"errors"
	"sync"
)

// Errors returned by stream operations.
var (
	// ErrIDZero is returned by [Stream.NextID] and [Stream.Append] for the
	// ID 0-0.
	ErrIDZero = errors.New("stream: the ID specified in XADD must be greater than 0-0")
	// ErrIDTooSmall is returned by [Stream.NextID] and [Stream.Append] when
	// the ID is equal or smaller than the stream's last generated ID.
	ErrIDTooSmall = errors.New("stream: the ID specified in XADD is equal or smaller than the target stream top item")
	// ErrExhausted is returned by [Stream.NextID] when the last generated ID
	// is the maximum ID.
	ErrExhausted = errors.New("stream: the stream has exhausted the last possible ID, unable to add more items")
	// ErrTooLarge is returned by [Stream.NextID] for a partial ID "ms-*"
	// whose sequence would overflow.
	ErrTooLarge = errors.New("stream: elements are too large to be stored")
)

// Field is one name/value pair of an entry.
type Field struct {
	Name, Value string
}

// Entry is a stream entry. Fields is nil for an entry that is pending in a
// group but was deleted from the stream (history reads report it that way).
type Entry struct {
	ID     ID
	Fields []Field
}

// TrimStrategy selects how [Stream.Trim] limits a stream.
type TrimStrategy uint8

// Trim strategies.
const (
	TrimNone   TrimStrategy = iota // no trimming
	TrimMaxLen                     // keep the MaxLen newest entries
	TrimMinID                      // remove entries with an ID lower than MinID
)

// DefaultTrimLimit is the cap on entries removed by one approximate trim
// without an explicit LIMIT: 100 times the block size, as Redis.
const DefaultTrimLimit = 100 * blockMaxEntries

// Trim describes XADD/XTRIM trimming. The zero Trim trims nothing.
type Trim struct {
	Strategy TrimStrategy
	MaxLen   int64 // TrimMaxLen: entries to keep; < 0 counts as 0
	MinID    ID    // TrimMinID: lowest ID kept
	Approx   bool  // "~": remove only whole blocks
	// Limit caps, with Approx, how many entries one trim removes: 0 means
	// DefaultTrimLimit (no LIMIT given), a negative value means no cap
	// (Redis's LIMIT 0). Ignored without Approx.
	Limit int64
	// Ref is what trimming does about consumer groups (Redis 8.2): KeepRef
	// (the zero value) leaves their PELs alone, DelRef removes the trimmed
	// IDs from them, Acked keeps the entries a group still references.
	// With DelRef or Acked an approximate trim goes entry by entry, as
	// Redis does, keeping only its Limit.
	Ref RefMode
}

// btreeBlockDegree is the degree of the block tree: 10,000 blocks hold a
// million entries, so the tree itself stays small.
const btreeBlockDegree = 16

// Stream is one stream: entries in a B-tree of packed blocks keyed by their
// first ID, the Redis 7 metadata, and consumer groups. It is deterministic
// (time is passed in) and not safe for concurrent use, except that the
// read-only methods (Len, LastID, FirstID, Get, Range, RevRange, All,
// Backward, Info, AppendBinary) change nothing and may run at the same time
// as each other. [Stream.Clone] gives an independent copy that another
// goroutine may use. The zero Stream is empty and ready to use. A Stream
// may be moved (copied by value, as a container that holds it inline does)
// when the original is not used afterwards; two copies in use at once
// would share their entries.
//
// A Stream is small (48 bytes), for processes that hold millions of them:
// what few streams set is in a part allocated on first use, and the stream
// keeps no entry or byte count of its own (its last block counts its
// entries and their data bytes; that part, those of the blocks before it).
type Stream struct {
	tree   blockSet   // the last block takes the appends while it is open (openBlock)
	own    owner      // copy-on-write token: blocks with another owner are shared (0 until the first Clone)
	lastID ID         // last generated ID
	more   *rareState // nil until one of its fields is set: read it with rare()
}

// rareState is the part of a [Stream] that most streams never set: a
// process may hold millions of streams of a few entries, and these fields
// would be most of such a stream's size (128 of 176 bytes). A stream holds
// none until one is set: read it with [Stream.rare], change it through
// [Stream.rareForWrite].
type rareState struct {
	earlier      counts    // the live entries and data bytes of every block but the last (Len, DataBytes)
	removed      uint64    // entries deleted or trimmed: entries-added is length + removed (entriesAdded)
	maxDeletedID ID        // highest ID removed by XDEL
	grp          groups    // consumer groups (group.go)
	idmp         idmp      // idempotent-producer state (idmp.go)
	ret          Retention // retention policy (retention.go)
}

// counts are live entries and their data bytes.
type counts struct {
	entries, bytes int64
}

// add adds the live entries and data bytes of b.
func (c *counts) add(b *block) {
	c.entries += int64(b.live())
	c.bytes += b.bytes
}

// sub subtracts the live entries and data bytes of b.
func (c *counts) sub(b *block) {
	c.entries -= int64(b.live())
	c.bytes -= b.bytes
}

// noRare is what rare returns for a stream without a rareState: all zero,
// never written (a test checks it).
var noRare rareState

// rare returns s's rarely set state for reading: the zero state when s has
// none. Writing through it is a bug: use rareForWrite.
func (s *Stream) rare() *rareState {
	if s.more == nil {
		return &noRare
	}
	return s.more
}

// rareForWrite returns s's rarely set state for changing it, giving s one
// on first use.
func (s *Stream) rareForWrite() *rareState {
	if s.more == nil {
		s.more = new(rareState)
	}
	return s.more
}

// clone returns a copy of x that shares nothing mutable with it; nil for
// nil.
func (x *rareState) clone() *rareState {
	if x == nil {
		return nil
	}
	return &rareState{
		earlier:      x.earlier,
		removed:      x.removed,
		maxDeletedID: x.maxDeletedID,
		grp:          x.grp.clone(),
		idmp:         x.idmp.clone(),
		ret:          x.ret,
	}
}

// isZero reports whether x holds nothing but zero values, so that a
// decoded stream can drop it.
func (x *rareState) isZero() bool {
	return x.earlier == counts{} && x.removed == 0 && x.maxDeletedID.IsZero() && len(x.grp.m) == 0 && x.idmp.isZero() && x.ret == Retention{}
}

// New returns an empty stream. The zero Stream is an empty stream too.
func New() *Stream {
	return new(Stream)
}

// NextID resolves spec against the last generated ID, following XADD: "*"
// uses nowMs-0 when nowMs is past the last ID's ms and the next ID
// otherwise; "ms-*" continues the last ID's sequence or starts at ms-0;
// an explicit ID must be greater than the last generated ID. Errors:
// [ErrIDZero], [ErrExhausted], [ErrTooLarge], [ErrIDTooSmall].
func (s *Stream) NextID(spec AddID, nowMs uint64) (ID, error) {
	if spec.kind == addExplicit && spec.id.IsZero() {
		return ID{}, ErrIDZero
	}
	if s.lastID == MaxID {
		return ID{}, ErrExhausted
	}
	var id ID
	switch spec.kind {
	case addAuto:
		if nowMs > s.lastID.Ms {
			return ID{Ms: nowMs}, nil
		}
		id, _ = s.lastID.Next()
		return id, nil
	case addPartial:
		if spec.id.Ms == s.lastID.Ms {
			if s.lastID.Seq == ^uint64(0) {
				return ID{}, ErrTooLarge
			}
			return ID{Ms: s.lastID.Ms, Seq: s.lastID.Seq + 1}, nil
		}
		id = ID{Ms: spec.id.Ms}
	default:
		id = spec.id
	}
	if !s.lastID.Less(id) {
		return ID{}, ErrIDTooSmall
	}
	return id, nil
}

// Append adds an entry with an already resolved id, which must be greater
// than [Stream.LastID] ([ErrIDTooSmall]) and not 0-0 ([ErrIDZero]). The
// fields are copied.
func (s *Stream) Append(id ID, fields []Field) error {
	if err := s.checkNext(id); err != nil {
		return err
	}
	n := fieldsBytes(fields)
	if b := s.openBlock(); b != nil && int(b.n) < blockMaxEntries {
		b = s.mutable(b)
		buf := appendEntry(b.buf, s.lastID, id, fields, sameNames(b.names(), fields))
		if s.addToOpen(b, id, buf, n) {
			return nil
		}
	}
	s.startBlock(id, internNames(fields), appendEntry(s.openBuffer(), id, id, fields, true), n)
	return nil
}

// checkNext returns the error of appending id: 0-0, or not after the last ID.
func (s *Stream) checkNext(id ID) error {
	if id.IsZero() {
		return ErrIDZero
	}
	if !s.lastID.Less(id) {
		return ErrIDTooSmall
	}
	return nil
}

// addToOpen makes buf, which is b.buf with the packed entry id appended
// (same array or a grown copy), the buffer of b, the open block, and reports
// true; or false if it grew past blockMaxBytes, leaving b unchanged (the
// bytes written past its length are ignored) for the entry to start a new
// block.
func (s *Stream) addToOpen(b *block, id ID, buf []byte, n int64) bool {
	if len(buf) > blockMaxBytes {
		return false
	}
	b.addMark(int(b.n), len(b.buf), s.lastID)
	b.buf = buf
	b.n++
	s.appended(id, b, n)
	return true
}

// openBuffer returns an empty buffer for a new open block. The first block
// of a stream starts with none and grows geometrically as appends fill it
// (append's growth, up to about blockMaxBytes), so a stream of one small
// entry holds a buffer of its size. A stream that already has a block has
// shown it takes more than one: its open blocks get blockMaxBytes at once,
// a buffer some sealed block left if any (spareBuffers), so filling a
// block copies nothing.
func (s *Stream) openBuffer() []byte {
	if s.tree.Len() == 0 {
		return nil
	}
	if b, ok := spareBuffers.Get().(*[blockMaxBytes]byte); ok {
		return b[:0]
	}
	return make([]byte, 0, blockMaxBytes)
}

// spareBuffers holds the open-block buffers that sealed blocks left (a
// sealed block keeps a copy cut to size), for the next open block of any
// stream: a stream keeps no spare of its own, and a busy stream takes back
// the one it left. A buffer is put here only when nothing else refers to
// it; what a Get returns does not depend on it, only allocations do.
var spareBuffers sync.Pool

// startBlock seals the open block and opens a new one holding the single
// entry id, packed in buf with names as its names table; n is the entry's
// data bytes.
func (s *Stream) startBlock(id ID, names *[]string, buf []byte, n int64) {
	s.sealOpen()
	if last := s.tree.Last(); last != nil {
		s.rareForWrite().earlier.add(last) // no longer the last block
	}
	b := &block{first: id, n: 1, open: true, tab: names, own: s.own, buf: buf}
	s.tree.ReplaceOrInsert(b.slot())
	s.appended(id, b, n)
}

// appended updates the metadata after id, holding n data bytes, went into
// b, the last block, and seals b when it is full.
func (s *Stream) appended(id ID, b *block, n int64) {
	b.bytes += n
	s.lastID = id
	if int(b.n) >= blockMaxEntries || len(b.buf) >= blockMaxBytes {
		s.sealOpen()
	}
}

// openBlock returns the block that takes the appends: the last block
// while it is open; nil when there is none.
func (s *Stream) openBlock() *block {
	if b := s.tree.Last(); b != nil && b.open {
		return b
	}
	return nil
}

// sealOpen shrinks the open block and closes it to new entries.
func (s *Stream) sealOpen() {
	b := s.openBlock()
	if b == nil {
		return
	}
	if b.own != s.own {
		nb := b.clone(s.own, len(b.buf))
		nb.open = false
		s.tree.ReplaceOrInsert(nb.slot())
		return
	}
	b.open = false
	// s owns b, so nothing else holds its buffer (a clone would have
	// changed s.own): once seal copies the entries out, another open block
	// may reuse it.
	old := b.buf
	b.seal()
	if cap(old) == blockMaxBytes && len(b.buf) > 0 && &b.buf[0] != &old[0] {
		spareBuffers.Put((*[blockMaxBytes]byte)(old[:blockMaxBytes]))
	}
}

// mutable returns b itself when s owns it, or else a private copy that
// replaces it in the tree (copy-on-write after Clone).
func (s *Stream) mutable(b *block) *block {
	if b.own == s.own {
		return b
	}
	c := len(b.buf)
	if b.open {
		c = cap(b.buf)
	}
	nb := b.clone(s.own, c)
	s.tree.ReplaceOrInsert(nb.slot())
	return nb
}

// Len is the number of entries.
func (s *Stream) Len() int64 { return s.counts().entries }

// counts returns the live entries and data bytes of the whole stream.
func (s *Stream) counts() counts {
	c := s.rare().earlier
	if b := s.tree.Last(); b != nil {
		c.add(b)
	}
	return c
}

// entriesAdded is the number of successful appends (XINFO's entries-added):
// the entries there are and those removed since.
func (s *Stream) entriesAdded() uint64 { return uint64(s.Len()) + s.rare().removed }

// LastID is the last generated ID (survives deletion and trimming).
func (s *Stream) LastID() ID { return s.lastID }

// FirstID is the ID of the oldest entry; false when the stream is empty.
func (s *Stream) FirstID() (ID, bool) {
	sl, ok := s.tree.Min()
	if !ok {
		return ID{}, false
	}
	var id ID
	sl.b.each(func(e rawEntry) bool {
		id = e.id
		return e.deleted()
	})
	return id, true
}

// Clone returns a copy-on-write copy for a consistent snapshot: O(1) for
// the entries (blocks are shared and copied by whichever side first changes
// one) plus the cost of copying the group tables and the IDMP state. After Clone returns, s and
// the copy may be used by different goroutines.
func (s *Stream) Clone() *Stream {
	c := &Stream{
		tree:   s.tree.Clone(),
		own:    newOwner(),
		lastID: s.lastID,
		more:   s.more.clone(),
	}
	s.own = newOwner()
	return c
}

// Info is XINFO STREAM's non-FULL reply.
type Info struct {
	Length int64
	// RadixTreeKeys is the number of blocks (Redis: listpack nodes).
	RadixTreeKeys int64
	// RadixTreeNodes is the node count of a Redis radix tree keyed by the
	// blocks' first IDs, as Redis keys its nodes (computed, since blocks
	// live in a B-tree here).
	RadixTreeNodes       int64
	LastGeneratedID      ID
	MaxDeletedEntryID    ID
	EntriesAdded         uint64
	RecordedFirstEntryID ID // the first entry's ID, 0-0 when empty
	Idmp                 IdmpInfo
	Groups               int64
	FirstEntry           *Entry // nil when empty
	LastEntry            *Entry // nil when empty

	// DataBytes is not in Redis's reply: what the entries hold, the figure
	// a retention policy's MaxBytes bounds (see [Stream.DataBytes]).
	DataBytes int64
}

// Info returns XINFO STREAM's fields.
func (s *Stream) Info() Info {
	blocks := int64(s.tree.Len())
	in := Info{
		Length:            s.Len(),
		RadixTreeKeys:     blocks,
		RadixTreeNodes:    raxNodes(s.blockKeys()),
		LastGeneratedID:   s.lastID,
		MaxDeletedEntryID: s.rare().maxDeletedID,
		EntriesAdded:      s.entriesAdded(),
		Idmp:              s.idmpInfo(),
		Groups:            int64(s.groupCount()),
		DataBytes:         s.DataBytes(),
	}
	if first := s.Range(MinID, MaxID, 1); len(first) == 1 {
		in.FirstEntry = &first[0]
		in.RecordedFirstEntryID = first[0].ID
	}
	if last := s.RevRange(MaxID, MinID, 1); len(last) == 1 {
		in.LastEntry = &last[0]
	}
	return in
}
