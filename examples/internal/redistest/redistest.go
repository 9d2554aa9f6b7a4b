// Package redistest starts redis-server processes for the examples' tests:
// on a free loopback port, persistence off, stopped by PID when the test
// ends.
package redistest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Start starts a redis-server and returns its address. The test is skipped
// when redis-server or redis-cli is not installed.
func Start(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install redis-server redis-tools)", tool)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL)
		cmd.Wait()
	})
	for i := 0; ; i++ {
		out, err := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", port, "ping").Output()
		if err == nil && strings.TrimSpace(string(out)) == "PONG" {
			return "127.0.0.1:" + port
		}
		if i == 200 {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server on port %s did not answer PING:\n%s", port, log)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
