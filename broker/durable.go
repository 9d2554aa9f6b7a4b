package broker

import "errors"

// PLACEHOLDER: replaced by the durability implementation.

// DurabilityOptions configure the write-ahead log and snapshots.
type DurabilityOptions struct{}

type durable struct{}

func openDurable(dir string, b *Broker) (*durable, error) { return nil, errors.New("unimplemented") }
func (d *durable) close() error                           { return nil }
