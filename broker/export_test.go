package broker

// Test hooks for the black-box tests (package broker_test).

// Sweep runs what b's sweeper finds due at the broker clock's current
// reading, as the sweeper's goroutine would: tests with a fake clock call
// it after moving the clock.
func Sweep(b *Broker) { b.sweeper.sweep(b.nowMs()) }

// ManualSweep stops b's sweeper goroutine for good: only Sweep runs it.
// Tests that run two brokers on one fake clock and compare them call it on
// both, so that no sweep runs at a moment the test does not choose.
func ManualSweep(b *Broker) { b.sweeper.stopGoroutine() }
