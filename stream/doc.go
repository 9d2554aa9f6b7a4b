// Package stream is one Redis-style stream as a data structure: entry IDs,
// appends, ranges, deletion, trimming, consumer groups and their pending
// entries, and a snapshot codec.
//
// # Determinism
//
// Nothing here reads a clock, takes a lock or starts a goroutine. Every
// operation that depends on time takes it as an argument (nowMs, Unix
// milliseconds), so the broker can log the resolved arguments and replay them
// to the same state. A [Stream] is not safe for concurrent use; the caller
// serialises access. [Stream.Clone] returns an independent copy in O(1) for
// the entries, which another goroutine may read (to write a snapshot) while
// the original keeps changing.
//
// # Layout
//
// Entries live in packed blocks, as Redis keeps them in listpacks under a
// radix tree: a github.com/google/btree B-tree of (first ID, *block) items
// ordered by the block's first ID. A block holds at most 100 entries or 4 KiB; an entry
// larger than that gets a block of its own. Inside a block every entry is
//
//	flags         1 byte: deleted (tombstone), same-fields
//	ms delta      uvarint, from the previous entry (the first: from the block's first ID)
//	seq           uvarint, a delta when the ms delta is 0, else absolute
//	names         only without same-fields: count, then length + bytes per name
//	values        per field a uvarint tag: v<<1|1 for a canonical integer
//	              (zig-zag), len<<1 for a string followed by its bytes
//
// The block's names table is taken from its first entry, so entries with the
// same field names store only their values; blocks with the same names share
// one table, process-wide (names.go). When a block is sealed (full, or the
// next entry does not fit) its entries are copied to a buffer cut to size.
// For the data of the design notes (three small fields, two of them
// integers) BenchmarkStreamMemory measures 20.3 heap bytes per entry, against 31.4
// for Redis 7.0.
//
// Small streams are cheap, because a process may hold millions of them (one
// per user): a stream of one block has no B-tree (it points to the block,
// blockset.go), the first block's buffer starts at the size of its first
// entry and grows geometrically as entries arrive, and a block allocates its
// seek marks only past markEvery entries. A stream that has had a block
// opens each further block with the full 4 KiB at once, taken from a pool
// that sealed blocks return their 4 KiB buffers to. The Stream itself is 48
// bytes: what few streams set (max-deleted-entry-id, groups, IDMP state,
// retention policy, the count of removed entries, the counts of the blocks
// before the last) is in a part allocated on first use (rareState); the
// open block is the last block with its open flag set; the last block
// counts its own entries and bytes; and a block keeps no last ID (the open
// block's is the stream's, a sealed block's a walk from its last seek mark),
// so its header is 80. A stream with one entry of 3 fields and a 64-byte
// payload takes 208 bytes here (Stream, block header and buffer); with the
// broker's key state, registry slot and key, 291-294 bytes per key
// (BenchmarkSmallStreams in package bench), against about 5,000 when every
// stream had a B-tree and a 4 KiB buffer.
//
// Reading decodes a block forward, as Redis walks a listpack. Each block
// remembers where its 25th, 50th and 75th entries start (and the ID before
// each, the base of its deltas), so a point lookup or a range start costs a
// B-tree descent plus at most 25 entry headers; the marks cost 0.8 bytes per
// entry and are rebuilt by Decode, not stored. A read decodes all the
// entries it returns together (slab.go): their names and values go into one
// string and their fields into one slice (each entry's Fields capped at its
// own length), names from a block's table are shared, so a read of 100
// entries makes three allocations rather than two per entry.
//
// XDEL and exact trims turn entries into tombstones (a flag bit and a
// per-block counter); a block whose last live entry goes is freed.
// Approximate trims ("~") drop only whole blocks. Blocks are shared by a
// clone and its original: each side copies a block before its first change
// to it (copy-on-write through an owner token per stream).
//
// # Metadata
//
// As Redis 7: length, last generated ID (survives deletion and trimming),
// max-deleted-entry-id (XDEL only), entries-added (every successful append)
// and the recorded first entry ID, all reported by [Stream.Info].
//
// # Consumer groups
//
// Each group (sorted by name, as Redis lists them) has a last-delivered-id,
// an entries-read counter (or [EntriesReadUnknown]), consumers with a
// seen-time and an active-time (Redis 7.2 semantics), and a pending entries
// list: a B-tree of values keyed by ID (owner, delivery time, delivery
// count), with each consumer holding a B-tree of the IDs it owns. The owner
// is the consumer's slot in the group (reused after XGROUP DELCONSUMER), so
// PEL values hold no pointer: the garbage collector never scans them and
// moving them needs no write barrier. Delivery and XACK take one operation
// on each tree per entry, and an XACK of the oldest pending entry (the usual
// order) removes it from the edge of the tree without a key search. The PEL
// holds IDs, never pointers into blocks: XDEL and trimming leave it alone,
// and the dangling IDs surface through history reads (nil Fields), XCLAIM
// (dropped) and XAUTOCLAIM (reported as deleted); only the Redis 8.2
// strategies DELREF and ACKED of XACKDEL, XDELEX and trimming look at the
// PELs (ref.go). An entry given back with XNACK (Redis 8.8, nack.go) stays
// in the PEL without an owner and joins the group's NACK zone, a FIFO
// B-tree keyed by NACK order; XREADGROUP CLAIM (Redis 8.4, claimread.go)
// serves that zone first, then the owned entries by delivery time.
// Entries-read and lag
// follow Redis 7.0's arithmetic on entries-added, max-deleted-entry-id and
// the first and last IDs. A clone copies the group table and clones the PEL
// trees copy-on-write. The read-only group methods (Groups, Consumers,
// GroupsFull, PendingSummary, PendingRange) change nothing and may run at the
// same time as each other and as the other read-only methods.
//
// # Snapshots
//
// [Stream.AppendBinary] encodes a stream (blocks close to verbatim, the
// metadata and the groups) and [Decode] rebuilds it, validating every byte
// of hostile input without panicking or allocating more than the input
// justifies. Both read through one small reader of varints and
// length-prefixed bytes (internal/wire) that the broker's log and snapshot
// decoders share. [Stream.WriteBinary] writes the same bytes to an
// io.Writer without building them in memory (the blocks' buffers go out as
// they are; [Stream.BinarySize] gives their length first): the broker's
// snapshots of a large stream write it that way, from a clone.
//
// # Field lists
//
// An entry's fields also have a flat encoding, the one the broker's log
// records carry, written by [AppendFieldList]:
//
//	count   uvarint, the number of fields
//	then per field:
//	  name    uvarint length, then the bytes
//	  value   uvarint length, then the bytes
//
// [CutFieldList] checks one (every length against the bytes left) and
// returns it as a [FieldList], and [Stream.AppendList] packs it into the
// open block straight from those bytes, as [Stream.Append] packs Fields:
// recovery replays XADD records so, without a []Field or a string per
// field, the values' bytes copied once, from the record into the block.
package stream
