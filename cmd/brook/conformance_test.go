package main_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// expectedFail lists the conformance cases that are known not to pass yet,
// with the reason. It must shrink to empty: the test fails when a listed case
// passes, so the list stays honest.
var expectedFail = map[string]string{
	"xinfo_stream": "recorded on Redis 7.0.15; brook prints Redis 8.6's XINFO STREAM, with the IDMP fields " +
		"(idmp-duration ... iids-duplicates) after recorded-first-entry-id",
}

// conformanceCase is one recorded case: NAME.redis piped into redis-cli
// printed NAME.expected. A case with a NAME.subscribe file was recorded
// while a second redis-cli client ran that file's SUBSCRIBE/PSUBSCRIBE
// line and printed NAME.subscribe.expected (see
// testdata/conformance/README.md): brook, having a single session, runs the
// subscription first and must print both outputs in turn.
type conformanceCase struct {
	name string // "xadd_minid"; "shared/xadd_minid" for a case found only in ../shared
	dir  string
	base string // file name without extension
}

// TestConformance runs every recorded case of the repository's
// testdata/conformance/cases through the brook CLI and compares the output
// byte for byte. When the team's ../shared/conformance directory exists
// beside the repository, its cases run too (those not identical to a case
// of the repository's copy), so a new recording there counts at once.
func TestConformance(t *testing.T) {
	root := repoRoot(t)
	cases := conformanceCases(t, filepath.Join(root, "testdata", "conformance", "cases"), "")
	if len(cases) == 0 {
		t.Fatal("no conformance cases in testdata/conformance/cases")
	}
	known := map[string]bool{}
	for _, c := range cases {
		known[c.name] = true
	}
	shared := filepath.Join(root, "..", "shared", "conformance", "cases")
	if _, err := os.Stat(shared); err == nil {
		for _, c := range conformanceCases(t, shared, "shared/") {
			base := strings.TrimPrefix(c.name, "shared/")
			if known[base] && sameCase(t, c, filepath.Join(root, "testdata", "conformance", "cases"), base) {
				continue
			}
			cases = append(cases, c)
			known[c.name] = true
		}
	} else {
		t.Logf("no %s: running the repository's cases only", shared)
	}
	for name := range expectedFail {
		if !known[name] {
			t.Errorf("expectedFail lists %q, which is not a case", name)
		}
	}
	bin := brookBinary(t)

	results := make(map[string]string) // name -> "" when it passed, else the difference
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4) // each case is a process that mostly waits
	for _, c := range cases {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			diff := runCase(t, bin, c)
			mu.Lock()
			results[c.name] = diff
			mu.Unlock()
		})
	}
	wg.Wait()
	names := make([]string, 0, len(results))
	for name := range results {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		diff := results[name]
		reason, listed := expectedFail[name]
		switch {
		case diff == "" && listed:
			t.Errorf("%s passes but is listed in expectedFail (%s): remove it from the list", name, reason)
		case diff != "" && !listed:
			t.Errorf("%s fails:\n%s", name, diff)
		case diff != "":
			t.Logf("%s fails as expected: %s", name, reason)
		}
	}
	t.Logf("%d cases", len(names))
}

// conformanceCases lists the cases of dir, their names prefixed.
func conformanceCases(t *testing.T, dir, prefix string) []conformanceCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.redis"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []conformanceCase
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".redis")
		cases = append(cases, conformanceCase{name: prefix + base, dir: dir, base: base})
	}
	return cases
}

// sameCase reports whether case c holds the same files as the case base
// of dir.
func sameCase(t *testing.T, c conformanceCase, dir, base string) bool {
	t.Helper()
	for _, ext := range []string{".redis", ".expected", ".subscribe", ".subscribe.expected"} {
		a, errA := os.ReadFile(filepath.Join(c.dir, c.base+ext))
		b, errB := os.ReadFile(filepath.Join(dir, base+ext))
		if os.IsNotExist(errA) != os.IsNotExist(errB) || !bytes.Equal(a, b) {
			return false
		}
	}
	return true
}

// commentOrBlank matches the lines the runner removes before piping a case
// anywhere (redis-cli has no comments).
var commentOrBlank = regexp.MustCompile(`^[ \t\v\f\r]*(#.*)?$`)

// stripLines returns text without its comment and blank lines.
func stripLines(text []byte) []byte {
	var out bytes.Buffer
	for line := range strings.Lines(string(text)) {
		if !commentOrBlank.MatchString(strings.TrimSuffix(line, "\n")) {
			out.WriteString(line)
		}
	}
	return out.Bytes()
}

// radixValue matches the value line after "radix-tree-keys" or
// "radix-tree-nodes" in XINFO STREAM: Redis internals brook does not have,
// masked on both sides as run.sh does.
var radixValue = regexp.MustCompile(`("radix-tree-(?:keys|nodes)"\n[^\n]*\(integer\) )-?[0-9]+\n`)

func maskRadix(b []byte) []byte { return radixValue.ReplaceAll(b, []byte("${1}#\n")) }

// runCase pipes the case into the brook binary and returns "" when the
// output is the recorded one, else a description of the difference.
func runCase(t *testing.T, bin string, c conformanceCase) string {
	read := func(ext string) ([]byte, error) { return os.ReadFile(filepath.Join(c.dir, c.base+ext)) }
	input, err := read(".redis")
	if err != nil {
		return err.Error()
	}
	want, err := read(".expected")
	if err != nil {
		return err.Error()
	}
	input = stripLines(input)
	if sub, err := read(".subscribe"); err == nil {
		subWant, err := read(".subscribe.expected")
		if err != nil {
			return err.Error()
		}
		input = append(stripLines(sub), input...)
		want = append(subWant, want...)
	}
	// The deadline only keeps a hung CLI from hanging the test.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stdin = bytes.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	got := stdout.Bytes()
	if bytes.Equal(maskRadix(got), maskRadix(want)) {
		return ""
	}
	return fmt.Sprintf("exit: %v\nstderr: %s\n%s", runErr, stderr.String(), lineDiff(maskRadix(want), maskRadix(got)))
}

// lineDiff shows the first lines where want and got differ, with some
// context.
func lineDiff(want, got []byte) string {
	w := strings.Split(string(want), "\n")
	g := strings.Split(string(got), "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	from := max(i-3, 0)
	var b strings.Builder
	fmt.Fprintf(&b, "first difference at line %d\n", i+1)
	for j := from; j < min(i+6, max(len(w), len(g))); j++ {
		var wl, gl string
		if j < len(w) {
			wl = w[j]
		}
		if j < len(g) {
			gl = g[j]
		}
		mark := " "
		if wl != gl {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s want %-40q got %q\n", mark, wl, gl)
	}
	return b.String()
}
