package broker

import "github.com/brookmq/brook/stream"

// A mutation is one change to one stream key, with every argument already
// resolved (concrete IDs, the clock reading, exact trimming). The broker
// applies it to the live stream and, when durable, logs it; recovery decodes
// the same value from the log and applies it again with the same code, so
// replay is deterministic.
type mutation struct {
	kind   opKind
	retain bool // opAdd, opAddBatch, live only (not logged): apply the stream's retention policy at nowMs
	key    string

	nowMs  uint64         // the clock reading the operation used
	id     stream.ID      // opAdd: the resolved ID; opReadHistory: after; opAutoClaim: start
	fields []stream.Field // opAdd
	trim   stream.Trim    // opAdd, opAddBatch, opTrim: exact effect (MINID = or MAXLEN = 0)

	// The arguments of the other operations, nil when none is set, so that
	// an append, the hot path, builds and clears a small value.
	*opArgs
	*idmpArgs
}

// opArgs are the arguments of the operations other than plain appends.
type opArgs struct {
	batch []stream.Entry // opAddBatch: the entries, resolved IDs, in order
	ids   []stream.ID    // opDelete, opAck, opClaim, opNack, opAckDel, opDeleteEx

	group, consumer string
	entriesRead     int64 // opGroupCreate, opGroupSetID
	count           int   // opReadNew, opReadHistory, opAutoClaim, opReadClaim
	noAck           bool  // opReadNew, opReadClaim
	justID          bool  // opAutoClaim
	minIdleMs       uint64
	claim           stream.ClaimOptions // opClaim
	nack            stream.NackOptions  // opNack
	ref             stream.RefMode      // opAckDel, opDeleteEx

	dead *deadLetter // opDeadLetter: the dead-letter key and entry (deadletter.go)

	// Set instead of fields and batch by the replay decoder (record_decode.go):
	// the entries' fields as the log holds them.
	fieldList  stream.FieldList // opAdd
	batchLists []listEntry      // opAddBatch
}

// idmpArgs are the IDMP and retention arguments (record_idmp.go,
// apply_policy.go).
type idmpArgs struct {
	pid, iid  string            // opAdd with IDMP, opIdmpDuplicate
	idmpCfg   stream.IdmpConfig // opIdmpConfig
	retention stream.Retention  // opRetention
}

// args returns m's opArgs, adding them if m has none.
func (m *mutation) args() *opArgs {
	if m.opArgs == nil {
		m.opArgs = new(opArgs)
	}
	return m.opArgs
}

// idmp returns m's idmpArgs, adding them if m has none.
func (m *mutation) idmp() *idmpArgs {
	if m.idmpArgs == nil {
		m.idmpArgs = new(idmpArgs)
	}
	return m.idmpArgs
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
	opNack           opKind = 17 // XNACK (Redis 8.8)
	opReadClaim      opKind = 18 // XREADGROUP ... CLAIM min-idle-time ... > (Redis 8.4)
	opAckDel         opKind = 19 // XACKDEL (Redis 8.2)
	opDeleteEx       opKind = 20 // XDELEX (Redis 8.2)
	// 21 and 22 are reserved for Redis 8 stream commands.
	opDeadLetter opKind = 27 // move a pending entry to a dead-letter stream and ack it (deadletter.go)
)
