package brookredis_test

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

// needRedis skips the test when redis-server (and redis-cli, for a Cluster)
// is not installed.
func needRedis(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install redis-server redis-tools): the Redis tests need Redis 7 on this machine", tool)
		}
	}
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

// startServer starts redis-server on a free loopback port with persistence
// off and the extra arguments; it is stopped by its PID when t ends.
func startServer(t *testing.T, extra ...string) string {
	t.Helper()
	return startServerAt(t, freePort(t), extra...)
}

// startServerAt is startServer on a chosen port (a Cluster node needs its
// port before it starts).
func startServerAt(t *testing.T, port int, extra ...string) string {
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
		if out, err := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "ping").Output(); err == nil && strings.TrimSpace(string(out)) == "PONG" {
			return addr
		}
		if i == 200 {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server on %s did not answer PING:\n%s", addr, log)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// startCluster starts three redis-server masters on loopback, joins them
// with redis-cli --cluster create and waits until every node reports
// cluster_state:ok. It returns their addresses.
func startCluster(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	var addrs []string
	for range 3 {
		port := freePort(t)
		addrs = append(addrs, startServerAt(t, port, "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, fmt.Sprintf("nodes-%d.conf", port))))
	}
	create := append([]string{"--cluster", "create"}, addrs...)
	create = append(create, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", create...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	ctx := context.Background()
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		for i := 0; ; i++ {
			info, err := c.ClusterInfo(ctx).Result()
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
