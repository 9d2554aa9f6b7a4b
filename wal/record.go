package wal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

// Frame and header sizes; see doc.go for the layout.
const (
	// RecordHeaderSize is the number of bytes framing each record.
	RecordHeaderSize = 16
	// SegmentHeaderSize is the number of bytes of a segment header.
	SegmentHeaderSize = 32
	// HardMaxRecordSize is the largest record the format allows, whatever
	// [Options.MaxRecordSize] says: a larger length field is corruption.
	HardMaxRecordSize = 1 << 30
	// FormatVersion is the segment format this package writes. Version 2
	// segments may end in preallocated zeros; version 1 segments never do.
	// This package reads both, and never preallocates in a version 1
	// segment, which an older build could then not read.
	FormatVersion = 2
	// minFormatVersion is the oldest segment format this package reads.
	minFormatVersion = 1
)

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
}

func (h segmentHeader) encode() []byte {
	b := make([]byte, SegmentHeaderSize)
	copy(b[0:8], segmentMagic[:])
	binary.LittleEndian.PutUint32(b[8:12], FormatVersion)
	binary.LittleEndian.PutUint64(b[12:20], h.number)
	binary.LittleEndian.PutUint64(b[20:28], h.firstPos)
	binary.LittleEndian.PutUint32(b[28:32], crc32.Checksum(b[0:28], castagnoli))
	return b
}

// readSegmentHeader reads and checks the header of a segment of the given
// size. It returns errTruncated for a file shorter than a header (a crash
// while creating it), ErrVersion for a valid header of another version and
// errHeader for anything else invalid.
func readSegmentHeader(f io.ReaderAt, size int64) (segmentHeader, error) {
	if size < SegmentHeaderSize {
		return segmentHeader{}, fmt.Errorf("segment header: %d of %d bytes: %w", size, SegmentHeaderSize, errTruncated)
	}
	b := make([]byte, SegmentHeaderSize)
	if n, err := f.ReadAt(b, 0); n < len(b) { // io.ReaderAt may say EOF with n == len(b)
		return segmentHeader{}, fmt.Errorf("read segment header: %w", err)
	}
	if [8]byte(b[0:8]) != segmentMagic {
		return segmentHeader{}, fmt.Errorf("%w: bad magic %q", errHeader, b[0:8])
	}
	if binary.LittleEndian.Uint32(b[28:32]) != crc32.Checksum(b[0:28], castagnoli) {
		return segmentHeader{}, fmt.Errorf("%w: checksum mismatch", errHeader)
	}
	v := binary.LittleEndian.Uint32(b[8:12])
	if v < minFormatVersion || v > FormatVersion {
		return segmentHeader{}, fmt.Errorf("%w: version %d (this build reads %d to %d)", ErrVersion, v, minFormatVersion, FormatVersion)
	}
	return segmentHeader{
		version:  v,
		number:   binary.LittleEndian.Uint64(b[12:20]),
		firstPos: binary.LittleEndian.Uint64(b[20:28]),
	}, nil
}
