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

// TestContractOnly runs the suite on an in-memory broker seen only through
// broker.Client, without its optional interfaces (broker.Nacker,
// broker.DeadLetterMover): the worker's fallbacks for other clients
// (release with XCLAIM, dead letters with XADD then XACK) run on it.
func TestContractOnly(t *testing.T) {
	brooktest.Run(t, func(t *testing.T) broker.Client {
		b, err := broker.New(broker.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return struct{ broker.Client }{b}
	})
}
