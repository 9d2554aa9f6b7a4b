package brooktest

import (
	"github.com/brookmq/brook/broker"
)

var errorCases = []testCase{
	{"Errors/NoStream", errorsNoStream},
	{"Errors/NoGroup", errorsNoGroup},
	{"Errors/InvalidArgument", errorsInvalid},
	{"Errors/NoFields", errorsNoFields},
}

// groupCalls runs every call that needs key's group g and returns each
// one's error, by name.
func (t *suite) groupCalls(key string) map[string]error {
	undelivered := []broker.ReadStream{{Key: key, From: broker.Undelivered()}}
	return map[string]error{
		"XReadGroup":           errOf(t.c.XReadGroup(t.ctx, "g", "c", undelivered, broker.GroupReadOptions{})),
		"XReadGroup history":   errOf(t.c.XReadGroup(t.ctx, "g", "c", []broker.ReadStream{{Key: key}}, broker.GroupReadOptions{})),
		"XReadGroup BLOCK":     errOf(t.c.XReadGroup(t.ctx, "g", "c", undelivered, broker.GroupReadOptions{Block: expiry})),
		"XPending":             errOf(t.c.XPending(t.ctx, key, "g")),
		"XPendingRange":        errOf(t.c.XPendingRange(t.ctx, key, "g", broker.PendingOptions{})),
		"XClaim":               errOf(t.c.XClaim(t.ctx, key, "g", "c", []broker.ID{id(1, 0)}, broker.ClaimOptions{})),
		"XAutoClaim":           errOf(t.c.XAutoClaim(t.ctx, key, "g", "c", broker.AutoClaimOptions{})),
		"XGroupCreateConsumer": errOf(t.c.XGroupCreateConsumer(t.ctx, key, "g", "c")),
		"XGroupDelConsumer":    errOf(t.c.XGroupDelConsumer(t.ctx, key, "g", "c")),
		"XGroupSetID":          t.c.XGroupSetID(t.ctx, key, "g", broker.GroupSetIDOptions{}),
	}
}

func errorsNoStream(t *suite) {
	for call, err := range t.groupCalls(t.name("missing")) {
		t.wantErr(call+" on a missing key", err, broker.ErrNoStream)
	}
}

func errorsNoGroup(t *suite) {
	k := t.name("s")
	t.add(k, id(1, 0))
	for call, err := range t.groupCalls(k) {
		t.wantErr(call+" of a missing group", err, broker.ErrNoGroup)
	}
	// With several streams, a missing group on any is ErrNoGroup and
	// nothing is delivered from the others.
	k2 := t.name("s2")
	t.group(k2, "g")
	t.add(k2, id(1, 0))
	_, err := t.c.XReadGroup(t.ctx, "g", "c", []broker.ReadStream{{Key: k2, From: broker.Undelivered()}, {Key: k, From: broker.Undelivered()}}, broker.GroupReadOptions{})
	t.wantErr("XReadGroup over two keys, one without the group", err, broker.ErrNoGroup)
	t.wantIDs("pending on the other key", entriesOf(t.pending(k2, "g")))
}

func errorsInvalid(t *suite) {
	k := t.name("s")
	t.group(k, "g")
	t.add(k, id(1, 0))
	for call, err := range map[string]error{
		"XRange COUNT -1":               errOf(t.c.XRange(t.ctx, k, broker.MinID, broker.MaxID, -1)),
		"XRevRange COUNT -1":            errOf(t.c.XRevRange(t.ctx, k, broker.MaxID, broker.MinID, -1)),
		"XRead COUNT -1":                errOf(t.c.XRead(t.ctx, []broker.ReadStream{{Key: k}}, broker.ReadOptions{Count: -1})),
		"XRead BLOCK -1":                errOf(t.c.XRead(t.ctx, []broker.ReadStream{{Key: k}}, broker.ReadOptions{Block: -1})),
		"XRead >":                       errOf(t.c.XRead(t.ctx, []broker.ReadStream{{Key: k, From: broker.Undelivered()}}, broker.ReadOptions{})),
		"XReadGroup COUNT -1":           errOf(t.c.XReadGroup(t.ctx, "g", "c", []broker.ReadStream{{Key: k, From: broker.Undelivered()}}, broker.GroupReadOptions{Count: -1})),
		"XReadGroup $":                  errOf(t.c.XReadGroup(t.ctx, "g", "c", []broker.ReadStream{{Key: k, From: broker.Latest()}}, broker.GroupReadOptions{})),
		"XPendingRange COUNT -1":        errOf(t.c.XPendingRange(t.ctx, k, "g", broker.PendingOptions{Count: -1})),
		"XPendingRange IDLE -1":         errOf(t.c.XPendingRange(t.ctx, k, "g", broker.PendingOptions{MinIdle: -1})),
		"XClaim min-idle -1":            errOf(t.c.XClaim(t.ctx, k, "g", "c", []broker.ID{id(1, 0)}, broker.ClaimOptions{MinIdle: -1})),
		"XAutoClaim COUNT -1":           errOf(t.c.XAutoClaim(t.ctx, k, "g", "c", broker.AutoClaimOptions{Count: -1})),
		"XAutoClaim min-idle -1":        errOf(t.c.XAutoClaim(t.ctx, k, "g", "c", broker.AutoClaimOptions{MinIdle: -1})),
		"XGroupSetID >":                 t.c.XGroupSetID(t.ctx, k, "g", broker.GroupSetIDOptions{Start: broker.Undelivered()}),
		"XAdd with an unknown trimming": errOf(t.c.XAdd(t.ctx, k, fields("a", "1"), broker.AddOptions{Trim: broker.Trim{Strategy: 99}})),
	} {
		t.wantErr(call, err, broker.ErrInvalidArgument)
	}
	if n, _ := t.c.XLen(t.ctx, k); n != 1 {
		t.Fatalf("XLen = %d after refused calls; want 1", n)
	}
	er := int64(-2)
	err := t.c.XGroupCreate(t.ctx, k, "h", broker.GroupCreateOptions{EntriesRead: &er})
	t.wantErr("XGroupCreate ENTRIESREAD -2", err, broker.ErrEntriesRead)
}

func errorsNoFields(t *suite) {
	k := t.name("s")
	_, err := t.c.XAdd(t.ctx, k, nil, broker.AddOptions{})
	t.wantErr("XAdd without fields", err, broker.ErrNoFields)
	if n, _ := t.c.XLen(t.ctx, k); n != 0 {
		t.Fatalf("XLen = %d after XAdd without fields", n)
	}
}
