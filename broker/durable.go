package broker

import (
	"context"
	"errors"
)

// PLACEHOLDER: replaced by the durability implementation.

// DurabilityOptions configure the write-ahead log and snapshots.
type DurabilityOptions struct{}

type durable struct{}

func openDurable(dir string, b *Broker) (*durable, error) { return nil, errors.New("unimplemented") }
func (d *durable) close() error                           { return nil }

// Nil-safe seam used by the Streams code (added by the streams implementer;
// the durability implementation replaces the bodies). A nil *durable is an
// in-memory broker.
func (d *durable) append(m *mutation) (uint64, error)         { return 0, nil }
func (d *durable) wait(ctx context.Context, pos uint64) error { return nil }
func (d *durable) err() error                                 { return nil }
