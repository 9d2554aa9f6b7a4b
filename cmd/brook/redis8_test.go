package main_test

import "testing"

// TestRedis8CommandsSurviveRestart runs the Redis 8 stream commands through
// the CLI on a data directory, then shows their effects from a second run:
// NACKed entries keep their place and their empty owner. Expected replies
// are the Redis 8 note's (../shared/notes/redis8-streams.md): there is no
// Redis 8 to record conformance cases from.
func TestRedis8CommandsSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := runBrook(t, "XADD s 1-0 f v\nXADD s 2-0 f v\nXADD s 3-0 f v\nXGROUP CREATE s g 0\n"+
		"XREADGROUP GROUP g c1 STREAMS s >\nXNACK s g FAIL IDS 2 2-0 9-0\nXACKDEL s g ACKED IDS 1 1-0\n"+
		"XDELEX s DELREF IDS 1 3-0\nXTRIM s MAXLEN 0 ACKED\n", "--dir", dir)
	const wantFirst = "\"1-0\"\n\"2-0\"\n\"3-0\"\nOK\n" +
		"1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n" +
		"      2) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n" +
		"      3) 1) \"3-0\"\n         2) 1) \"f\"\n            2) \"v\"\n" +
		"(integer) 1\n1) (integer) 1\n1) (integer) 1\n(integer) 0\n"
	if first != wantFirst {
		t.Fatalf("first run:\n got %q\nwant %q", first, wantFirst)
	}
	got := runBrook(t, "XPENDING s g - + 10\nXREADGROUP GROUP g c2 CLAIM 0 STREAMS s >\n", "--dir", dir)
	want := "1) 1) \"2-0\"\n   2) \"\"\n   3) (integer) -1\n   4) (integer) 1\n" +
		"1) 1) \"s\"\n   2) 1) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"
	if len(got) < len(want) || got[:len(want)] != want {
		t.Fatalf("second run:\n got %q\nwant prefix %q", got, want)
	}
}
