// Package watermill implements Watermill's message.Publisher and
// message.Subscriber (github.com/ThreeDotsLabs/watermill/message) on brook's
// streams, so a Watermill application (a router, its middlewares, CQRS) can
// run on an in-process broker, in memory (broker.New) or durable (broker.Open).
// Its name clashes with Watermill's root package: import one of them under
// another name, for example
//
//	brookwm "github.com/brookmq/brook/watermill"
//
// # Topics and entries
//
// A topic is a stream of the same name. [Publisher.Publish] appends one entry
// per message, all the messages of a call in one [broker.Broker.XAddBatch]
// (one log record, one wait for the disk on a durable broker). An entry's
// fields, in this order:
//
//	_uuid        the message's UUID
//	_meta.<key>  one field per metadata key, in key order (value: its value)
//	_payload     the payload, as is (it may be empty)
//
// Field names are case-sensitive; a metadata key may hold any character,
// "." included. A subscriber reads entries written by other producers
// leniently: without _uuid the message's UUID is the entry ID ("1700000000000-0"),
// without _payload the payload is empty, and other fields are ignored.
//
// # Consumer groups
//
// A [Subscriber] reads with consumer groups. By default every subscription
// joins one group ([SubscriberConfig.Group], "watermill"), under a consumer
// name of its own, so the subscriptions of a topic, in one process or in
// several subscribers, share its messages (load balancing). With
// [SubscriberConfig.FanOut] each subscription has a group of its own and
// receives every message; that group is destroyed when it ends. A group
// created by a subscriber starts at [SubscriberConfig.Start], by default the
// beginning of the stream, so messages published before the first subscription
// are delivered; a group that exists keeps its position.
//
// # Delivery, Ack and Nack
//
// A subscription is one goroutine. It reads up to ReadCount entries at a time
// (XREADGROUP ">", blocking up to BlockTime: the read ends at once when the
// subscription's context ends or the Subscriber closes) and hands them out one
// at a time: the next message comes only after the previous one was acked or
// nacked. Ack acknowledges the entry (XACK) before the next is handed out.
// brook has no XNACK: on Nack the subscription reads the same entry again from
// its consumer's pending list (an XREADGROUP history read after the entry's
// predecessor, which counts a delivery) and hands it out again, after
// NackDelay, before any later entry. Delivery is at least once: a message can
// be delivered again after a Nack, a release or a claim (below).
//
// Before reading new entries a subscription takes, in ID order, first the
// entries pending for its own consumer name (left by an earlier run under a
// stable [SubscriberConfig.Consumer]), then entries that other consumers of
// the group hold (XAUTOCLAIM): those idle for ClaimMinIdle (a consumer that
// crashed) and those released.
//
// Release: when a subscription ends (its context, [Subscriber.Close], or an
// error) with entries read and not acknowledged, including the one handed out
// and not yet acked, it moves them to the consumer [ReleasedConsumer] with a
// last delivery long past (XCLAIM JUSTID TIME), so any other subscription of
// the group claims them at its next read, and deletes its consumer if its name
// was generated. A FanOut subscription destroys its group instead.
//
// Order: entries are handed out in stream order, a nacked one again before the
// next, and released or idle entries (older than any new one) before new
// entries. So a group with a single subscription at a time receives a topic in
// the order published (Watermill's GuaranteedOrderWithSingleSubscriber); with
// several subscriptions in one group, each receives its share in order but
// their messages interleave.
//
// # Closing
//
// Publisher and Subscriber do not own the broker. [Subscriber.Close] ends
// every subscription, closes their channels and returns once their goroutines
// have released what they held and returned; [Publisher.Close] waits for the
// Publish calls in progress. Both are idempotent, and afterwards Publish,
// Subscribe and SubscribeInitialize return [ErrClosed]. Closing the broker
// ends the subscriptions too (their channels close).
package watermill
