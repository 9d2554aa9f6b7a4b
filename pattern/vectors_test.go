package pattern_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brookmq/brook/pattern"
)

// vector is one row of shared/conformance/glob-vectors.tsv.
type vector struct {
	line             int
	pattern, subject string
	match            bool
}

// sharedDir returns <repo root>/../shared, the repo root being the nearest
// directory above the working directory that holds go.mod.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// loadVectors reads every row of the glob vectors.
func loadVectors(t testing.TB) []vector {
	t.Helper()
	path := filepath.Join(sharedDir(t), "conformance", "glob-vectors.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 3 || (fields[2] != "0" && fields[2] != "1") {
			t.Fatalf("%s:%d: malformed row %q", path, n, sc.Text())
		}
		vs = append(vs, vector{n, fields[0], fields[1], fields[2] == "1"})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatalf("%s: no rows", path)
	}
	return vs
}

// TestGlobVectors checks every recorded Redis row through Match, through a
// compiled Pattern, through an Index holding the pattern, and through the
// test oracle (so that the oracle the other tests trust is itself checked).
func TestGlobVectors(t *testing.T) {
	vs := loadVectors(t)
	idx := pattern.NewIndex()
	for _, v := range vs {
		idx.Add(v.pattern)
	}
	for _, v := range vs {
		if got := pattern.Match(v.pattern, v.subject); got != v.match {
			t.Errorf("line %d: Match(%q, %q) = %t, Redis says %t", v.line, v.pattern, v.subject, got, v.match)
		}
		if got := pattern.Compile(v.pattern).Match(v.subject); got != v.match {
			t.Errorf("line %d: Compile(%q).Match(%q) = %t, Redis says %t", v.line, v.pattern, v.subject, got, v.match)
		}
		if got := refMatch(v.pattern, v.subject); got != v.match {
			t.Errorf("line %d: oracle(%q, %q) = %t, Redis says %t", v.line, v.pattern, v.subject, got, v.match)
		}
		found := false
		idx.Match(v.subject, func(p string) { found = found || p == v.pattern })
		if found != v.match {
			t.Errorf("line %d: Index.Match(%q) reports %q: %t, Redis says %t", v.line, v.subject, v.pattern, found, v.match)
		}
	}
	t.Logf("%d rows", len(vs))
}
