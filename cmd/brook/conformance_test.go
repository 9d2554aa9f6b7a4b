package main_test

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// expectedFail lists the conformance cases that are known not to pass yet,
// with the reason. It must shrink to empty: the test fails when a listed case
// passes, so the list stays honest.
var expectedFail = map[string]string{}

// TestConformance runs every case of ../shared/conformance against the
// brook CLI with the shared runner, and compares the outcome case by case.
func TestConformance(t *testing.T) {
	shared := filepath.Join(repoRoot(t), "..", "shared", "conformance")
	if _, err := os.Stat(filepath.Join(shared, "run.sh")); err != nil {
		t.Skipf("conformance vectors not found at %s (the shared/ directory beside the repository): %v", shared, err)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found: the conformance runner is a bash script")
	}
	bin := brookBinary(t)
	cases, err := filepath.Glob(filepath.Join(shared, "cases", "*.redis"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no conformance cases in %s: %v", shared, err)
	}
	for name := range expectedFail {
		if _, err := os.Stat(filepath.Join(shared, "cases", name+".redis")); err != nil {
			t.Errorf("expectedFail lists %q, which is not a case", name)
		}
	}

	results, details := runCases(shared, bin, cases)
	if len(results) != len(cases) {
		t.Fatalf("runner reported %d cases, want %d\n%v", len(results), len(cases), details)
	}
	names := make([]string, 0, len(results))
	for name := range results {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		passed := results[name]
		reason, known := expectedFail[name]
		switch {
		case passed && known:
			t.Errorf("%s passes but is listed in expectedFail (%s): remove it from the list", name, reason)
		case !passed && !known:
			t.Errorf("%s fails:\n%s", name, details[name])
		case !passed:
			t.Logf("%s fails as expected: %s", name, reason)
		}
	}
}

// runCases runs the cases with the shared runner, split between a few
// runners at once (each case is a process pipeline that mostly waits), and
// returns pass/fail and the runner's diff per case.
func runCases(shared, bin string, cases []string) (results map[string]bool, details map[string]string) {
	const runners = 4
	results, details = map[string]bool{}, map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for r := range runners {
		var names []string
		for i := r; i < len(cases); i += runners {
			names = append(names, strings.TrimSuffix(filepath.Base(cases[i]), ".redis"))
		}
		if len(names) == 0 {
			continue
		}
		wg.Go(func() {
			args := append([]string{filepath.Join(shared, "run.sh"), "-v", "-t", "10", bin}, names...)
			cmd := exec.Command("bash", args...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			runErr := cmd.Run() // non-zero when a case fails; judged from the output
			res, det := parseRunner(out.String())
			mu.Lock()
			defer mu.Unlock()
			maps.Copy(results, res)
			maps.Copy(details, det)
			for _, name := range names {
				if _, ok := res[name]; !ok {
					details[name] = fmt.Sprintf("runner said nothing about %s (%v):\n%s", name, runErr, out.String())
				}
			}
		})
	}
	wg.Wait()
	return results, details
}

// parseRunner reads run.sh's output: "PASS name" / "FAIL name (...)" lines,
// each FAIL followed by its indented diff.
func parseRunner(out string) (results map[string]bool, details map[string]string) {
	results, details = map[string]bool{}, map[string]string{}
	current := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 2 && fields[0] == "PASS":
			results[fields[1]], current = true, ""
		case len(fields) >= 2 && (fields[0] == "FAIL" || fields[0] == "MISSING"):
			results[fields[1]], current = false, fields[1]
		case current != "" && strings.HasPrefix(line, "    "):
			details[current] += line + "\n"
		}
	}
	return results, details
}
