package broker

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/brookmq/brook/internal/wire"
	"github.com/brookmq/brook/stream"
)

// Snapshot file format. A snapshot holds every stream of the broker as of
// one log position; recovery loads it and replays the log after that
// position. Integers are little-endian unless marked uvarint.
//
//	offset  size  field
//	0       8     magic "brooksnp"
//	8       2     format version, snapVersion (1)
//	10      2     flags, 0 (readers reject other values)
//	12      8     log position: the last WAL record whose effect is included
//	20      var   uvarint number of streams n
//	then n times:
//	        var   uvarint name length, name bytes (the stream key, any bytes)
//	        var   uvarint data length, data: (*stream.Stream).AppendBinary
//	end-4   4     CRC-32C (Castagnoli) of every byte before it
//
// Stream names live only inside the file; the file's own name carries only
// the log position: "snap-<position, 20 decimal digits>.snap". It is written
// as "<name>.tmp", fsynced, renamed and the directory fsynced, so a file with
// the final name is complete unless the disk corrupted it, and the checksum
// catches that. A reader checks the checksum before it looks at anything
// else, and then every length against the bytes left: a damaged file is an
// error, never a panic or an unbounded allocation.

// snapMagic opens every snapshot file.
const snapMagic = "brooksnp"

// snapVersion is the format version this code writes and reads.
const snapVersion = 1

// snapHeaderSize is the fixed part before the stream count.
const snapHeaderSize = 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapWriter streams a snapshot to a writer: header, streams, checksum
// trailer.
type snapWriter struct {
	out io.Writer     // the file
	w   *bufio.Writer // buffers into out, through crc
	crc hash.Hash32   // of every byte but the trailer
	n   uint64        // streams still expected
	err error
	tmp []byte
}

// newSnapWriter writes the header of a snapshot at log position pos that
// will hold count streams.
func newSnapWriter(out io.Writer, pos uint64, count int) *snapWriter {
	sw := &snapWriter{out: out, crc: crc32.New(castagnoli), n: uint64(count)}
	sw.w = bufio.NewWriterSize(io.MultiWriter(out, sw.crc), 64<<10)
	h := make([]byte, snapHeaderSize, snapHeaderSize+binary.MaxVarintLen64)
	copy(h, snapMagic)
	binary.LittleEndian.PutUint16(h[8:], snapVersion)
	binary.LittleEndian.PutUint64(h[12:], pos)
	sw.write(binary.AppendUvarint(h, uint64(count)))
	return sw
}

func (sw *snapWriter) write(b []byte) {
	if sw.err == nil {
		_, sw.err = sw.w.Write(b)
	}
}

// add writes one stream: its name and its encoding.
func (sw *snapWriter) add(name string, data []byte) {
	if sw.head(name, len(data)) {
		sw.write(data)
	}
}

// addStream writes one stream, its name and the encoding s writes itself
// ([stream.Stream.WriteBinary]: the same bytes as add with s.AppendBinary,
// without a copy of the whole stream in memory). s must not change
// meanwhile: the snapshot writes clones.
func (sw *snapWriter) addStream(name string, s *stream.Stream) {
	size := s.BinarySize()
	if !sw.head(name, size) {
		return
	}
	n, err := s.WriteBinary(sw.w)
	if err == nil && n != int64(size) {
		err = fmt.Errorf("broker: snapshot: stream %q: wrote %d bytes, announced %d", name, n, size)
	}
	if sw.err == nil {
		sw.err = err
	}
}

// head writes a stream's name and the length of its encoding, and reports
// whether the encoding should follow (no error so far).
func (sw *snapWriter) head(name string, size int) bool {
	if sw.n == 0 {
		if sw.err == nil {
			sw.err = errors.New("broker: snapshot: more streams than announced")
		}
		return false
	}
	sw.n--
	sw.tmp = binary.AppendUvarint(sw.tmp[:0], uint64(len(name)))
	sw.tmp = append(sw.tmp, name...)
	sw.tmp = binary.AppendUvarint(sw.tmp, uint64(size))
	sw.write(sw.tmp)
	return sw.err == nil
}

// finish writes the checksum trailer and flushes. It does not sync.
func (sw *snapWriter) finish() error {
	if sw.err == nil && sw.n != 0 {
		sw.err = fmt.Errorf("broker: snapshot: %d announced streams missing", sw.n)
	}
	if sw.err == nil {
		sw.err = sw.w.Flush()
	}
	if sw.err == nil {
		_, sw.err = sw.out.Write(binary.LittleEndian.AppendUint32(nil, sw.crc.Sum32()))
	}
	return sw.err
}

// snapEntry is one stream of a parsed snapshot, still encoded.
type snapEntry struct {
	name string
	data []byte // aliases the file's bytes
}

// parseSnapshot checks a whole snapshot file and splits it into its log
// position and its streams. Errors wrap ErrCorrupt or ErrFormatVersion.
func parseSnapshot(file []byte) (pos uint64, entries []snapEntry, err error) {
	if len(file) < snapHeaderSize+1+4 {
		return 0, nil, fmt.Errorf("%w: snapshot of %d bytes is too short", ErrCorrupt, len(file))
	}
	if string(file[:8]) != snapMagic {
		return 0, nil, fmt.Errorf("%w: not a snapshot (magic %q)", ErrCorrupt, file[:8])
	}
	body, trailer := file[:len(file)-4], file[len(file)-4:]
	if got, want := crc32.Checksum(body, castagnoli), binary.LittleEndian.Uint32(trailer); got != want {
		return 0, nil, fmt.Errorf("%w: snapshot checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	if v := binary.LittleEndian.Uint16(body[8:]); v != snapVersion {
		return 0, nil, fmt.Errorf("%w: snapshot version %d", ErrFormatVersion, v)
	}
	if f := binary.LittleEndian.Uint16(body[10:]); f != 0 {
		return 0, nil, fmt.Errorf("%w: snapshot flags %#x", ErrCorrupt, f)
	}
	pos = binary.LittleEndian.Uint64(body[12:])
	d := wire.NewReader(body[snapHeaderSize:], nil)
	n := d.Count(2) // a stream is at least two lengths
	entries = make([]snapEntry, 0, n)
	seen := make(map[string]bool, n)
	for range n {
		e := snapEntry{name: d.Str(), data: d.Bytes()}
		if d.Err() == nil && seen[e.name] {
			d.Fail("stream %q twice", e.name)
		}
		seen[e.name] = true
		entries = append(entries, e)
	}
	if d.Err() == nil && d.Len() != 0 {
		d.Fail("%d trailing bytes", d.Len())
	}
	if err := d.Err(); err != nil {
		return 0, nil, fmt.Errorf("%w: snapshot: %w", ErrCorrupt, err)
	}
	return pos, entries, nil
}
