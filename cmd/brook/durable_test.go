package main_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brookmq/brook/wal"
)

// TestDirSurvivesRestart runs the CLI twice on one data directory: the
// second run shows what the first wrote, for every fsync policy.
func TestDirSurvivesRestart(t *testing.T) {
	for _, policy := range []string{"always", "everysec", "no"} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			first := runBrook(t, "XADD s 1-0 f v\nXGROUP CREATE s g 0\nXREADGROUP GROUP g c STREAMS s >\n",
				"--dir", dir, "--appendfsync", policy)
			if !strings.HasPrefix(first, "\"1-0\"\nOK\n") {
				t.Fatalf("first run: %q", first)
			}
			got := runBrook(t, "XRANGE s - +\nXPENDING s g\n", "--dir", dir)
			want := "1) 1) \"1-0\"\n   2) 1) \"f\"\n      2) \"v\"\n" +
				"1) (integer) 1\n2) \"1-0\"\n3) \"1-0\"\n4) 1) 1) \"c\"\n      2) \"1\"\n"
			if got != want {
				t.Fatalf("second run:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestDirLocked checks that a second CLI on a directory in use fails with a
// clear message while the first keeps running.
func TestDirLocked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := exec.Command(brookBinary(t), "--dir", dir)
	stdin, err := first.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Wait()
	defer stdin.Close()
	if _, err := stdin.Write([]byte("PING\n")); err != nil {
		t.Fatal(err)
	}
	// Once PONG is out, the first brook holds the lock.
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "PONG\n" {
		t.Fatalf("first brook: %q, %v", line, err)
	}
	second := exec.Command(brookBinary(t), "--dir", dir)
	second.Stdin = strings.NewReader("PING\n")
	msg, err := second.CombinedOutput()
	if err == nil {
		t.Fatalf("second brook on a locked directory succeeded: %q", msg)
	}
	if !strings.Contains(string(msg), "in use") {
		t.Fatalf("second brook: %q, want a message saying the directory is in use", msg)
	}
}

func TestAppendfsyncInvalid(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(brookBinary(t), "--appendfsync", "sometimes")
	cmd.Stdin = strings.NewReader("")
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "sometimes") {
		t.Fatalf("--appendfsync sometimes: %v %q", err, msg)
	}
}

// zeroSyncedTail replaces the second half of the records of the last log
// segment in dir with zeros (frame layout: wal/doc.go), as a lost write
// would, and returns how many records it kept.
func zeroSyncedTail(t *testing.T, dir string) int {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "wal", "*.wal"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no log segment in %s (%v)", dir, err)
	}
	name := segs[len(segs)-1]
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	offs := []int{wal.SegmentHeaderSize}
	for off := wal.SegmentHeaderSize; off+wal.RecordHeaderSize <= len(b) && binary.LittleEndian.Uint64(b[off+8:]) != 0; {
		off += wal.RecordHeaderSize + int(binary.LittleEndian.Uint32(b[off:]))
		offs = append(offs, off)
	}
	keep := (len(offs) - 1) / 2
	clear(b[offs[keep]:offs[len(offs)-1]])
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return keep
}

// killAfter runs brook on dir, sends it the lines one at a time, reading
// each one-line reply (under appendfsync always, a reply means the write is
// on disk), then kills it: no final snapshot covers the log.
func killAfter(t *testing.T, dir string, lines []string) {
	t.Helper()
	cmd := exec.Command(brookBinary(t), "--dir", dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	replies := bufio.NewReader(stdout)
	for _, line := range lines {
		if _, err := io.WriteString(stdin, line+"\n"); err != nil {
			t.Fatal(err)
		}
		if reply, err := replies.ReadString('\n'); err != nil || strings.HasPrefix(reply, "(error)") {
			t.Fatalf("%s: %q, %v", line, reply, err)
		}
	}
}

// TestRepair damages the log of a data directory as a lost write would
// (synced records replaced by zeros): brook refuses to start, saying where
// and how to repair; --repair starts it with the records before the damage
// and keeps a copy of what it cut; later runs need no flag.
func TestRepair(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var lines []string
	for i := 1; i <= 40; i++ {
		lines = append(lines, fmt.Sprintf("XADD s %d-0 f v", i))
	}
	killAfter(t, dir, append(lines, "XGROUP CREATE s g 0"))
	kept := zeroSyncedTail(t, dir) // one record per XADD

	out, errOut, status := runBrookStatus(t, "XLEN s\n", "--dir", dir)
	if status != 1 || out != "" {
		t.Fatalf("on a damaged log: status %d, stdout %q; want status 1 and no reply", status, out)
	}
	for _, want := range []string{"corrupt", "position", "discards the records from position", "DurabilityOptions.Repair", "--repair"} {
		if !strings.Contains(errOut, want) {
			t.Fatalf("the error does not say %q: %q", want, errOut)
		}
	}

	out, errOut, status = runBrookStatus(t, "XLEN s\n", "--dir", dir, "--repair")
	if status != 0 || out != fmt.Sprintf("(integer) %d\n", kept) || !strings.Contains(errOut, "repair") {
		t.Fatalf("--repair: status %d, stdout %q (want %d entries), stderr %q", status, out, kept, errOut)
	}
	if broken, _ := filepath.Glob(filepath.Join(dir, "wal", "*.broken")); len(broken) == 0 {
		t.Fatal("--repair kept no copy of what it cut")
	}
	if got := runBrook(t, "XLEN s\n", "--dir", dir); got != fmt.Sprintf("(integer) %d\n", kept) {
		t.Fatalf("after the repair: %q, want %d entries", got, kept)
	}
}

// TestRepairNeedsDir: --repair has nothing to repair in memory.
func TestRepairNeedsDir(t *testing.T) {
	t.Parallel()
	_, errOut, status := runBrookStatus(t, "", "--repair")
	if status != 2 || !strings.Contains(errOut, "--repair needs --dir") {
		t.Fatalf("--repair without --dir: status %d, stderr %q", status, errOut)
	}
}
