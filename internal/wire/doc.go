// Package wire reads the varint-based binary encodings brook keeps on disk:
// the broker's log records and snapshot files (package broker) and a
// stream's snapshot encoding with its consumer groups (package stream).
//
// Those formats are specified where they are written; this package only
// reads their building blocks, as encoding/binary writes them:
//
//	uvarint   binary.AppendUvarint
//	varint    binary.AppendVarint (zig-zag)
//	byte      one byte; a bool is a byte 0 or 1
//	bytes     uvarint length, then that many bytes; a string likewise
//	count     a uvarint number of elements, each at least some bytes long
//
// A [Reader] keeps the first failure (a truncated or overlong varint, a
// length or count larger than the input left) and returns zero values after
// it, so a decoder reads a whole structure and checks [Reader.Err] once.
// Every length and count is checked against the bytes left before anything
// is allocated: a decoder built on it never panics on damaged input and
// allocates at most a small multiple of the input's size.
package wire
