package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/brookmq/brook/internal/wire"
)

// Snapshot encoding of a stream, written by [Stream.AppendBinary] and read by
// [Decode]. Integers are uvarints.
//
//	magic          "BRS" and the format version, 3 (1 and 2 are read too:
//	               version 2 has no policies section, version 1 neither
//	               the NACK zone of the groups, see appendGroups)
//	last-id        ms, seq: the last generated ID
//	max-deleted    ms, seq
//	entries-added
//	open           1 if the last block still takes entries, else 0
//	blocks         count, then per block in ID order:
//	  first          ms, seq
//	  n, deleted     entries, tombstones among them
//	  names          count, then length + bytes per name
//	  data           length + the packed entries, verbatim (see block)
//	groups         the consumer groups (appendGroups, group.go)
//	idmp           version 3: the IDMP state (appendPolicies, codec_idmp.go)
//	retention      version 3: max-len varint, max-age-ms, max-bytes varint,
//	               acked byte (0 or 1)
//
// The length, the data bytes and each block's last ID are not stored:
// Decode derives them while it checks every entry.
var snapMagic = [4]byte{'B', 'R', 'S', snapVersion}

// snapVersion is the format version AppendBinary writes. Version 2 (brook
// with Redis 8.8's XNACK) added the NACK zone of each group; version 3
// (Redis 8.6's IDMP and brook's retention, acked retention included) the
// policies after the groups.
// Decode reads versions 1 to 3; an older version decodes with the default
// IDMP configuration, nothing tracked, and no retention policy.
const snapVersion = 3

// ErrCorrupt is returned (wrapped) by [Decode] for bytes that are not a valid
// snapshot encoding of a stream.
var ErrCorrupt = errors.New("stream: corrupt snapshot encoding")

// ErrFormatVersion is returned by [Decode], wrapped together with
// [ErrCorrupt], for an encoding of a newer format version than this code
// reads, so that a caller may tell it from damage.
var ErrFormatVersion = errors.New("stream: unknown snapshot format version")

// minBlockBytes is the least a block can take in the encoding: first (2),
// n and deleted (2), names count (1), data length (1) and a 3-byte entry.
const minBlockBytes = 9

// AppendBinary appends the snapshot encoding of s, groups included, to b.
// It implements encoding.BinaryAppender; the error is always nil.
func (s *Stream) AppendBinary(b []byte) ([]byte, error) {
	if need := len(b) + s.blocksBinarySize(); need > cap(b) {
		// One allocation, not a doubling series of copies. make rather
		// than slices.Grow: the runtime clears a large make in chunks the
		// GC can interrupt, while growslice clears it in one call that
		// stalls every goroutine waiting for the GC (tens of MB here).
		nb := make([]byte, len(b), need)
		copy(nb, b)
		b = nb
	}
	b = s.appendHead(b)
	s.tree.Ascend(func(sl slot) bool {
		b = append(appendBlockHead(b, sl.b), sl.b.buf...)
		return true
	})
	return s.appendTail(b), nil
}

// appendHead appends the encoding up to the first block.
func (s *Stream) appendHead(b []byte) []byte {
	b = append(b, snapMagic[:]...)
	b = appendID(b, s.lastID)
	b = appendID(b, s.rare().maxDeletedID)
	b = binary.AppendUvarint(b, s.entriesAdded())
	open := uint64(0)
	if s.openBlock() != nil {
		open = 1
	}
	b = binary.AppendUvarint(b, open)
	return binary.AppendUvarint(b, uint64(s.tree.Len()))
}

// appendBlockHead appends the encoding of bl up to its data bytes.
func appendBlockHead(b []byte, bl *block) []byte {
	b = appendID(b, bl.first)
	b = binary.AppendUvarint(b, uint64(bl.n))
	b = binary.AppendUvarint(b, uint64(bl.del))
	b = binary.AppendUvarint(b, uint64(len(bl.names())))
	for _, name := range bl.names() {
		b = binary.AppendUvarint(b, uint64(len(name)))
		b = append(b, name...)
	}
	return binary.AppendUvarint(b, uint64(len(bl.buf)))
}

// appendTail appends the encoding after the blocks: groups and policies.
func (s *Stream) appendTail(b []byte) []byte {
	return s.appendPolicies(s.appendGroups(b))
}

// BinarySize returns the length of the encoding [Stream.AppendBinary]
// appends. It encodes the groups to measure them.
func (s *Stream) BinarySize() int {
	scratch := s.appendHead(make([]byte, 0, 256))
	n := len(scratch)
	s.tree.Ascend(func(sl slot) bool {
		scratch = appendBlockHead(scratch[:0], sl.b)
		n += len(scratch) + len(sl.b.buf)
		return true
	})
	return n + len(s.appendTail(scratch[:0]))
}

// WriteBinary writes the encoding [Stream.AppendBinary] appends to w and
// returns the number of bytes written ([Stream.BinarySize], unless w
// fails). It does not build the encoding in memory: each block's packed
// entries go to w from the block's own buffer, between small pieces it
// encodes, so writing a large stream allocates and fills no buffer of its
// size (w may copy; a bufio.Writer copies into its own buffer). s must not
// change meanwhile; a clone ([Stream.Clone]) does not, whatever happens to
// the stream it was cloned from.
func (s *Stream) WriteBinary(w io.Writer) (int64, error) {
	var n int64
	var err error
	put := func(p []byte) {
		if err == nil {
			var m int
			m, err = w.Write(p)
			n += int64(m)
		}
	}
	scratch := s.appendHead(make([]byte, 0, 256))
	s.tree.Ascend(func(sl slot) bool {
		scratch = appendBlockHead(scratch, sl.b)
		put(scratch)
		put(sl.b.buf)
		scratch = scratch[:0]
		return err == nil
	})
	put(s.appendTail(scratch))
	return n, err
}

// blocksBinarySize is an upper bound of the bytes AppendBinary writes
// before the groups: uvarints are at most binary.MaxVarintLen64 long.
func (s *Stream) blocksBinarySize() int {
	const v = binary.MaxVarintLen64
	n := len(snapMagic) + 7*v + 9*v // and the policies without producers
	s.tree.Ascend(func(sl slot) bool {
		bl := sl.b
		n += 6*v + len(bl.buf)
		for _, name := range bl.names() {
			n += v + len(name)
		}
		return true
	})
	return n
}

func appendID(b []byte, id ID) []byte {
	b = binary.AppendUvarint(b, id.Ms)
	return binary.AppendUvarint(b, id.Seq)
}

// Decode rebuilds a stream from [Stream.AppendBinary]'s encoding. It checks
// everything (IDs strictly increasing, counts, lengths, metadata consistent
// with the entries) and returns an error wrapping [ErrCorrupt] for anything
// else (with [ErrFormatVersion] too for a newer format); it never panics
// and allocates no more than the input's size justifies.
func Decode(data []byte) (*Stream, error) {
	if len(data) < len(snapMagic) || [3]byte(data[:3]) != [3]byte(snapMagic[:3]) || data[3] < 1 {
		return nil, fmt.Errorf("%w: bad magic or version", ErrCorrupt)
	}
	if data[3] > snapVersion {
		return nil, fmt.Errorf("%w: %w %d", ErrCorrupt, ErrFormatVersion, data[3])
	}
	version := data[3]
	r := snapReader{wire.NewReader(data[len(snapMagic):], ErrCorrupt)}
	s := New()
	s.lastID = r.id()
	s.rareForWrite().maxDeletedID = r.id()
	added := r.Uvarint()
	open := r.Uvarint()
	n := r.Count(minBlockBytes)
	var (
		prev     *block
		prevLast ID // prev's last entry
	)
	for i := 0; i < n && r.Err() == nil; i++ {
		b, last := r.block()
		if r.Err() != nil {
			break
		}
		if prev != nil && !prevLast.Less(b.first) {
			r.Fail("block %d starts at %s, not after %s", i, b.first, prevLast)
			break
		}
		b.own = s.own
		if prev != nil {
			s.rareForWrite().earlier.add(prev)
		}
		s.tree.ReplaceOrInsert(b.slot())
		prev, prevLast = b, last
	}
	if r.Err() == nil {
		r.checkMeta(s, prev, prevLast, added, open)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	rest, err := s.decodeGroups(r.Rest(), version)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if version >= 3 {
		if rest, err = s.decodePolicies(rest); err != nil {
			return nil, err
		}
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(rest))
	}
	if s.more.isZero() {
		s.more = nil
	}
	return s, nil
}

// checkMeta validates the metadata against the decoded blocks, the tail
// block last whose last entry is lastEntry, and reopens the tail block when
// the encoding says it was open. An open block's last entry is the
// last-generated-id (Stream.openBlock), and a stream always encodes it so;
// if the two differ, the block stays sealed and the next append starts a
// new one.
func (r *snapReader) checkMeta(s *Stream, last *block, lastEntry ID, added, open uint64) {
	switch {
	case last != nil && s.lastID.Less(lastEntry):
		r.Fail("last-generated-id %s before the last entry %s", s.lastID, lastEntry)
	case s.lastID.Less(s.rare().maxDeletedID):
		r.Fail("max-deleted-entry-id %s after last-generated-id %s", s.rare().maxDeletedID, s.lastID)
	case added < uint64(s.Len()):
		r.Fail("entries-added %d below the length %d", added, s.Len())
	case open > 1 || open == 1 && (last == nil || int(last.n) >= blockMaxEntries || len(last.buf) >= blockMaxBytes):
		r.Fail("bad open-block flag %d", open)
	case open == 1 && lastEntry == s.lastID:
		if s.tree.Len() > 1 { // else its buffer grows as it fills (openBuffer)
			buf := make([]byte, len(last.buf), blockMaxBytes)
			copy(buf, last.buf)
			last.buf = buf
		}
		last.open = true
	}
	if r.Err() == nil {
		s.rareForWrite().removed = added - uint64(s.Len())
	}
}

// snapReader reads the stream encoding: a [wire.Reader] whose failures wrap
// ErrCorrupt, and the encoding's composite values.
type snapReader struct {
	wire.Reader
}

func (r *snapReader) id() ID { return ID{Ms: r.Uvarint(), Seq: r.Uvarint()} }

// block reads and checks one block, and returns it with its last entry's
// ID.
func (r *snapReader) block() (*block, ID) {
	b := &block{first: r.id()}
	n, del := r.Uvarint(), r.Uvarint()
	names := make([]string, r.Count(1))
	for i := range names {
		names[i] = r.Str()
	}
	data := r.Bytes()
	switch {
	case r.Err() != nil:
		return nil, ID{}
	case b.first.IsZero():
		r.Fail("block starts at 0-0")
	case n == 0 || n > blockMaxEntries || del >= n:
		r.Fail("block %s: %d entries, %d deleted", b.first, n, del)
	case n > 1 && len(data) > blockMaxBytes:
		r.Fail("block %s: %d entries in %d bytes", b.first, n, len(data))
	}
	if r.Err() != nil {
		return nil, ID{}
	}
	b.n, b.del, b.tab, b.buf = uint16(n), uint16(del), &names, data
	last, err := b.check()
	if err != nil {
		r.Fail("block %s: %v", b.first, err)
		return nil, ID{}
	}
	b.buf = append([]byte(nil), data...)
	b.tab = internTable(names)
	return b, last
}

// check parses every entry of b, verifies that the entries fill the buffer
// exactly and that the tombstones match b.del, and returns the last entry's
// ID.
func (b *block) check() (ID, error) {
	prev, off, del := b.first, 0, 0
	for i := 0; i < int(b.n); i++ {
		e, err := b.parse(off, prev, i == 0)
		if err != nil {
			return ID{}, fmt.Errorf("entry %d at offset %d: %w", i, off, err)
		}
		if e.deleted() {
			del++
		} else {
			b.bytes += b.entryBytes(e)
		}
		b.addMark(i, off, prev)
		prev, off = e.id, e.end
	}
	switch {
	case off != len(b.buf):
		return ID{}, fmt.Errorf("%d bytes after the last entry", len(b.buf)-off)
	case del != int(b.del):
		return ID{}, fmt.Errorf("%d tombstones, header says %d", del, b.del)
	}
	return prev, nil
}
