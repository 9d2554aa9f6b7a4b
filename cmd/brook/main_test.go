package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := 0
	func() {
		defer func() {
			if binDir != "" {
				os.RemoveAll(binDir)
			}
		}()
		goleak.VerifyTestMain(exitCatcher{m, &code})
	}()
	os.Exit(code)
}

// exitCatcher lets TestMain clean up the built binary after the tests.
type exitCatcher struct {
	m    *testing.M
	code *int
}

func (e exitCatcher) Run() int {
	*e.code = e.m.Run()
	return *e.code
}

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// repoRoot is the directory holding go.mod, above the test's directory.
func repoRoot(t *testing.T) string {
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
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// brookBinary builds cmd/brook once (without -race, so it starts fast) and
// returns its path.
func brookBinary(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "brook-cli-test")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "brook")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/brook")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("go build ./cmd/brook: %v\n%s", buildErr, binPath)
	}
	return binPath
}
