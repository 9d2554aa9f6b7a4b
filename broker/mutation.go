package broker

import "github.com/brookmq/brook/stream"

// A mutation is one change to one stream key, with every argument already
// resolved (concrete IDs, the clock reading, exact trimming). The broker
// applies it to the live stream and, when durable, logs it; recovery decodes
// the same value from the log and applies it again with the same code, so
// replay is deterministic.
type mutation struct {
	kind opKind
	key  string

	nowMs  uint64         // the clock reading the operation used
	id     stream.ID      // opAdd: the resolved ID; opReadHistory: after; opAutoClaim: start
	fields []stream.Field // opAdd
	batch  []stream.Entry // opAddBatch: the entries, resolved IDs, in order
	trim   stream.Trim    // opAdd, opAddBatch, opTrim: exact effect (MINID = or MAXLEN = 0)
	ids    []stream.ID    // opDelete, opAck, opClaim

	group, consumer string
	entriesRead     int64 // opGroupCreate, opGroupSetID
	count           int   // opReadNew, opReadHistory, opAutoClaim
	noAck           bool  // opReadNew
	justID          bool  // opAutoClaim
	minIdleMs       uint64
	claim           stream.ClaimOptions // opClaim

	dead *deadLetter // opDeadLetter: the dead-letter key and entry (deadletter.go)

	// Set instead of fields and batch by the replay decoder (record_decode.go):
	// the entries' fields as the log holds them.
	fieldList  stream.FieldList // opAdd
	batchLists []listEntry      // opAddBatch
}

type opKind uint8

// Mutation kinds. The values are part of the log format: never renumber.
const (
	opAdd            opKind = 1  // XADD (creates the key if missing)
	opTrim           opKind = 2  // XTRIM, or XADD's trimming when logged apart
	opDelete         opKind = 3  // XDEL
	opCreateStream   opKind = 4  // XGROUP CREATE ... MKSTREAM on a missing key
	opDeleteKey      opKind = 5  // DEL
	opGroupCreate    opKind = 6  // XGROUP CREATE
	opGroupSetID     opKind = 7  // XGROUP SETID
	opGroupDestroy   opKind = 8  // XGROUP DESTROY
	opConsumerCreate opKind = 9  // XGROUP CREATECONSUMER, or implicit creation
	opConsumerDelete opKind = 10 // XGROUP DELCONSUMER
	opReadNew        opKind = 11 // XREADGROUP ... >
	opReadHistory    opKind = 12 // XREADGROUP ... <id>
	opAck            opKind = 13 // XACK
	opClaim          opKind = 14 // XCLAIM
	opAutoClaim      opKind = 15 // XAUTOCLAIM
	opAddBatch       opKind = 16 // XAddBatch: many XADDs, one record (creates the key)
	opDeadLetter     opKind = 27 // move a pending entry to a dead-letter stream and ack it (deadletter.go)
)
