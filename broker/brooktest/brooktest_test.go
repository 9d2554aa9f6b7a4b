package brooktest_test

import (
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/broker/brooktest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestMemory(t *testing.T) {
	brooktest.Run(t, func(t *testing.T) broker.Client {
		b, err := broker.New(broker.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

func TestDurable(t *testing.T) {
	brooktest.Run(t, func(t *testing.T) broker.Client {
		b, err := broker.Open(t.TempDir(), broker.Options{
			Durability: broker.DurabilityOptions{Fsync: broker.FsyncNo, Logf: t.Logf},
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}
