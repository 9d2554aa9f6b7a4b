package wal

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

// Frame and header sizes; see doc.go for the layout.
const (
	// RecordHeaderSize is the number of bytes framing each record.
	RecordHeaderSize = 16
	// SegmentHeaderSize is the number of bytes of the header of a segment
	// of [FormatVersion]: its records start there. Versions 1 and 2 have a
	// header of 32 bytes (headerSizeV2), without the mark slots.
	SegmentHeaderSize = 64
	// HardMaxRecordSize is the largest record the format allows, whatever
	// [Options.MaxRecordSize] says: a larger length field is corruption.
	HardMaxRecordSize = 1 << 30
	// FormatVersion is the segment format this package writes. Version 3
	// segments carry two synced-through mark slots after the header;
	// version 2 segments may end in preallocated zeros; version 1 segments
	// never do. This package reads all three, appends to an older segment
	// in its own format (no marks, and no preallocation in version 1), and
	// makes every new segment in version 3.
	FormatVersion = 3
	// minFormatVersion is the oldest segment format this package reads.
	minFormatVersion = 1
	// headerSizeV2 is the header size of format versions 1 and 2, and the
	// offset of the first mark slot in version 3.
	headerSizeV2 = 32
	// markSlotSize is the size of one of the two mark slots of version 3.
	markSlotSize = 16
	// markVersion is the first format version with mark slots.
	markVersion = 3
)

// headerSize returns where the records of a segment of format version v
// start.
func headerSize(v uint32) int64 {
	if v >= markVersion {
		return SegmentHeaderSize
	}
	return headerSizeV2
}

// segmentMagic opens every segment file.
var segmentMagic = [8]byte{'B', 'R', 'O', 'O', 'K', 'W', 'A', 'L'}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordCRC is the CRC-32C of the length field, the position field and the
// payload, in that order. hdr is a frame header (its CRC field is ignored).
func recordCRC(hdr []byte, payload []byte) uint32 {
	c := crc32.Update(0, castagnoli, hdr[0:4])
	c = crc32.Update(c, castagnoli, hdr[8:16])
	return crc32.Update(c, castagnoli, payload)
}

// AppendRecord appends the frame of rec at log position pos to dst and
// returns the extended slice. It panics if rec is longer than
// [HardMaxRecordSize]; [Log.Append] checks the limit first.
func AppendRecord(dst []byte, pos uint64, rec []byte) []byte {
	if len(rec) > HardMaxRecordSize {
		panic("wal: AppendRecord: record over HardMaxRecordSize")
	}
	n := len(dst)
	dst = append(dst, make([]byte, RecordHeaderSize)...)
	hdr := dst[n : n+RecordHeaderSize]
	binary.LittleEndian.PutUint32(hdr[0:4], uint32(len(rec)))
	binary.LittleEndian.PutUint64(hdr[8:16], pos)
	binary.LittleEndian.PutUint32(hdr[4:8], recordCRC(hdr, rec))
	return append(dst, rec...)
}

// appendFrameHeader appends the header of the frame of the record at
// position pos to dst, with its length and checksum left for
// putFrameLength and sealFrames: Append frames a record as the caller
// encodes it, and the flusher checksums the batch off the appenders' path.
func appendFrameHeader(dst []byte, pos uint64) []byte {
	var h [RecordHeaderSize]byte
	binary.LittleEndian.PutUint64(h[8:16], pos)
	return append(dst, h[:]...)
}

// putFrameLength sets the payload length n in the frame at the start of b.
func putFrameLength(b []byte, n int) {
	binary.LittleEndian.PutUint32(b[0:4], uint32(n))
}

// sealFrames sets the checksum of every frame of buf, frames back to back
// as Append made them.
func sealFrames(buf []byte) {
	for len(buf) > 0 {
		n := RecordHeaderSize + int(binary.LittleEndian.Uint32(buf[0:4]))
		binary.LittleEndian.PutUint32(buf[4:8], recordCRC(buf, buf[RecordHeaderSize:n]))
		buf = buf[n:]
	}
}

// DecodeRecord decodes the frame at the start of b. It returns the record's
// position, its payload (a sub-slice of b) and the frame's length. It returns
// an error wrapping [io.ErrUnexpectedEOF] when b ends inside the frame, and
// one wrapping [ErrCorrupt] for a length over [HardMaxRecordSize] or a
// checksum mismatch. It never allocates.
func DecodeRecord(b []byte) (pos uint64, rec []byte, n int, err error) {
	if len(b) < RecordHeaderSize {
		return 0, nil, 0, fmt.Errorf("wal: decode record: %w", errTruncated)
	}
	length := binary.LittleEndian.Uint32(b[0:4])
	if length > HardMaxRecordSize {
		return 0, nil, 0, fmt.Errorf("wal: decode record: %w: %w (%d bytes)", ErrCorrupt, errLength, length)
	}
	if uint64(length) > uint64(len(b)-RecordHeaderSize) {
		return 0, nil, 0, fmt.Errorf("wal: decode record: %w", errTruncated)
	}
	n = RecordHeaderSize + int(length)
	rec = b[RecordHeaderSize:n]
	if binary.LittleEndian.Uint32(b[4:8]) != recordCRC(b, rec) {
		return 0, nil, 0, fmt.Errorf("wal: decode record: %w: %w", ErrCorrupt, errChecksum)
	}
	return binary.LittleEndian.Uint64(b[8:16]), rec, n, nil
}

// segmentHeader is the decoded header of a segment file.
type segmentHeader struct {
	version  uint32 // format version (FormatVersion for a segment this build made)
	number   uint64 // 1 for the first segment ever created, then +1 per roll
	firstPos uint64 // position of the segment's first record
	mark     uint64 // version 3: the largest valid mark (every record <= mark was synced)
	markSlot int    // version 3: the slot to write next (the one not holding mark)
	badSlots int    // version 3: mark slots whose checksum failed (ignored)
}

// encode returns the header of a new segment in FormatVersion: the 32
// header bytes, then both mark slots holding firstPos-1 (every record before
// the segment is synced before it is created).
func (h segmentHeader) encode() []byte {
	b := make([]byte, SegmentHeaderSize)
	copy(b[0:8], segmentMagic[:])
	binary.LittleEndian.PutUint32(b[8:12], cmp.Or(h.version, FormatVersion))
	binary.LittleEndian.PutUint64(b[12:20], h.number)
	binary.LittleEndian.PutUint64(b[20:28], h.firstPos)
	binary.LittleEndian.PutUint32(b[28:32], crc32.Checksum(b[0:28], castagnoli))
	hdr := b[:headerSizeV2]
	encodeMark(b[headerSizeV2:headerSizeV2+markSlotSize], hdr, h.firstPos-1)
	encodeMark(b[headerSizeV2+markSlotSize:], hdr, h.firstPos-1)
	return b
}

// markOffset returns the offset of mark slot i (0 or 1) in a segment.
func markOffset(i int) int64 { return headerSizeV2 + int64(i)*markSlotSize }

// encodeMark fills the 16-byte slot with the mark pos for the segment
// whose first 32 header bytes are hdr.
func encodeMark(slot, hdr []byte, pos uint64) {
	binary.LittleEndian.PutUint64(slot[0:8], pos)
	clear(slot[8:12])
	binary.LittleEndian.PutUint32(slot[12:16], markCRC(hdr, slot))
}

// markCRC is the CRC-32C of the 32 header bytes, then bytes 0-11 of the
// slot: a slot only validates in the segment it was written for.
func markCRC(hdr, slot []byte) uint32 {
	return crc32.Update(crc32.Checksum(hdr[:headerSizeV2], castagnoli), castagnoli, slot[0:12])
}

// readSegmentHeader reads and checks the header of a segment of the given
// size. It returns errTruncated for a file shorter than its header,
// ErrVersion for a valid header of another version and errHeader for
// anything else invalid, including two invalid mark slots (a torn write
// spoils at most one).
func readSegmentHeader(f io.ReaderAt, size int64) (segmentHeader, error) {
	if size < headerSizeV2 {
		return segmentHeader{}, fmt.Errorf("segment header: %d of %d bytes: %w", size, headerSizeV2, errTruncated)
	}
	b := make([]byte, SegmentHeaderSize)
	if n, err := f.ReadAt(b[:min(size, SegmentHeaderSize)], 0); int64(n) < min(size, SegmentHeaderSize) { // io.ReaderAt may say EOF with a full read
		return segmentHeader{}, fmt.Errorf("read segment header: %w", err)
	}
	if [8]byte(b[0:8]) != segmentMagic {
		return segmentHeader{}, fmt.Errorf("%w: bad magic %q", errHeader, b[0:8])
	}
	if binary.LittleEndian.Uint32(b[28:32]) != crc32.Checksum(b[0:28], castagnoli) {
		return segmentHeader{}, fmt.Errorf("%w: checksum mismatch", errHeader)
	}
	h := segmentHeader{
		version:  binary.LittleEndian.Uint32(b[8:12]),
		number:   binary.LittleEndian.Uint64(b[12:20]),
		firstPos: binary.LittleEndian.Uint64(b[20:28]),
	}
	if h.version < minFormatVersion || h.version > FormatVersion {
		return segmentHeader{}, fmt.Errorf("%w: version %d (this build reads %d to %d)", ErrVersion, h.version, minFormatVersion, FormatVersion)
	}
	if h.version < markVersion {
		return h, nil
	}
	if size < SegmentHeaderSize {
		return segmentHeader{}, fmt.Errorf("segment header: %d of %d bytes: %w", size, SegmentHeaderSize, errTruncated)
	}
	return h, h.readMarks(b)
}

// readMarks decodes the two mark slots of a version 3 header b into h.mark,
// h.markSlot and h.badSlots. It fails if neither slot is valid.
func (h *segmentHeader) readMarks(b []byte) error {
	var pos [2]uint64
	var ok [2]bool
	for i := range 2 {
		slot := b[markOffset(i) : markOffset(i)+markSlotSize]
		pos[i] = binary.LittleEndian.Uint64(slot[0:8])
		ok[i] = binary.LittleEndian.Uint32(slot[12:16]) == markCRC(b, slot)
		if !ok[i] {
			h.badSlots++
		}
	}
	switch {
	case !ok[0] && !ok[1]:
		return fmt.Errorf("%w: both mark slots invalid", errHeader)
	case ok[1] && (!ok[0] || pos[1] >= pos[0]): // a new segment: slot 0 next
		h.mark, h.markSlot = pos[1], 0
	default:
		h.mark, h.markSlot = pos[0], 1
	}
	return nil
}
