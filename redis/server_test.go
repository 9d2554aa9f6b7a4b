package brookredis_test

import (
	"testing"

	"github.com/brookmq/brook/redis/redistest"
)

// The servers of these tests come from package redistest, which the
// examples' tests use too.

func needRedis(t *testing.T, _ ...string) {
	t.Helper()
	redistest.Need(t)
}

func startServer(t *testing.T, extra ...string) string {
	t.Helper()
	return redistest.Start(t, extra...)
}

func startCluster(t *testing.T) []string {
	t.Helper()
	return redistest.StartCluster(t)
}
