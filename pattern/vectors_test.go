package pattern_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brookmq/brook/pattern"
)

// vector is one row of a glob-vectors.tsv file.
type vector struct {
	file             string
	line             int
	pattern, subject string
	match            bool
}

// repoRoot returns the nearest directory above the working directory that
// holds go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// vectorFiles returns the glob vector files to check: the repository's
// copy, testdata/conformance/glob-vectors.tsv, always; and the team's
// ../shared/conformance/glob-vectors.tsv when it exists beside the
// repository, so rows recorded there count at once.
func vectorFiles(t testing.TB) []string {
	t.Helper()
	root := repoRoot(t)
	files := []string{filepath.Join(root, "testdata", "conformance", "glob-vectors.tsv")}
	shared := filepath.Join(root, "..", "shared", "conformance", "glob-vectors.tsv")
	if _, err := os.Stat(shared); err == nil {
		files = append(files, shared)
	}
	return files
}

// loadVectors reads every row of every vector file.
func loadVectors(t testing.TB) []vector {
	t.Helper()
	var vs []vector
	for _, path := range vectorFiles(t) {
		vs = append(vs, readVectors(t, path)...)
	}
	return vs
}

// readVectors reads the rows of one file.
func readVectors(t testing.TB, path string) []vector {
	t.Helper()
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
		vs = append(vs, vector{path, n, fields[0], fields[1], fields[2] == "1"})
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
			t.Errorf("%s:%d: Match(%q, %q) = %t, Redis says %t", v.file, v.line, v.pattern, v.subject, got, v.match)
		}
		if got := pattern.Compile(v.pattern).Match(v.subject); got != v.match {
			t.Errorf("%s:%d: Compile(%q).Match(%q) = %t, Redis says %t", v.file, v.line, v.pattern, v.subject, got, v.match)
		}
		if got := refMatch(v.pattern, v.subject); got != v.match {
			t.Errorf("%s:%d: oracle(%q, %q) = %t, Redis says %t", v.file, v.line, v.pattern, v.subject, got, v.match)
		}
		found := false
		idx.Match(v.subject, func(p string) { found = found || p == v.pattern })
		if found != v.match {
			t.Errorf("%s:%d: Index.Match(%q) reports %q: %t, Redis says %t", v.file, v.line, v.subject, v.pattern, found, v.match)
		}
	}
	t.Logf("%d rows", len(vs))
}
