package brookredis_test

import (
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/broker/brooktest"
	brookredis "github.com/brookmq/brook/redis"
	"github.com/redis/go-redis/v9"
)

// newClient returns a Client over a new go-redis client of addrs (one
// address: a single server; several: a Cluster).
func newClient(addrs ...string) *brookredis.Client {
	return brookredis.New(redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs}), brookredis.Options{})
}

// TestServer runs the behavioural suite on a redis-server it starts.
func TestServer(t *testing.T) {
	needRedis(t, "redis-server", "redis-cli")
	addr := startServer(t)
	brooktest.Run(t, func(t *testing.T) broker.Client { return newClient(addr) })
}

// TestCluster runs the behavioural suite on a three-master Redis Cluster it
// starts, then the Cluster's own rules.
func TestCluster(t *testing.T) {
	needRedis(t, "redis-server", "redis-cli")
	addrs := startCluster(t)
	brooktest.Run(t, func(t *testing.T) broker.Client { return newClient(addrs...) })
	clusterRules(t, addrs)
}
