// Package redistest starts redis-server processes for tests (brookredis's
// and the examples'): on free loopback ports, persistence off, stopped by
// PID when the test ends; one server (Start) or a three-master Cluster
// (StartCluster).
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Need skips the test when redis-server or redis-cli is not installed.
func Need(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install redis-server redis-tools): this test needs Redis 7 on this machine", tool)
		}
	}
}

// Start starts a redis-server with the extra arguments and returns its
// address. The test is skipped when redis-server or redis-cli is not
// installed.
func Start(t *testing.T, extra ...string) string {
	t.Helper()
	Need(t)
	return startAt(t, freePort(t), extra...)
}

// StartCluster starts three redis-server masters on loopback, joins them
// with redis-cli --cluster create, waits until every node reports
// cluster_state:ok, and returns their addresses. The test is skipped when
// redis-server or redis-cli is not installed.
func StartCluster(t *testing.T) []string {
	t.Helper()
	Need(t)
	dir := t.TempDir()
	var addrs []string
	for range 3 {
		port := freePort(t)
		addrs = append(addrs, startAt(t, port, "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, fmt.Sprintf("nodes-%d.conf", port))))
	}
	create := append([]string{"--cluster", "create"}, addrs...)
	create = append(create, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", create...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		for i := 0; ; i++ {
			info, err := c.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if i == 400 {
				c.Close()
				t.Fatalf("cluster node %s is not ok: %v %s", a, err, info)
			}
			time.Sleep(25 * time.Millisecond)
		}
		c.Close()
	}
	return addrs
}

// freePort returns a loopback port nobody listens on now, whose cluster bus
// port (port+10000) is free too.
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port+10000 > 65535 {
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		if err != nil {
			continue
		}
		bus.Close()
		return port
	}
	t.Fatal("no free loopback port pair")
	return 0
}

// startAt starts redis-server on port with persistence off and the extra
// arguments, waits until it answers PING and returns its address.
func startAt(t *testing.T, port int, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--logfile", filepath.Join(dir, "redis.log"),
	}, extra...)
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL)
		cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for i := 0; ; i++ {
		out, err := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "ping").Output()
		if err == nil && strings.TrimSpace(string(out)) == "PONG" {
			return addr
		}
		if i == 200 {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server on %s did not answer PING:\n%s", addr, log)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
