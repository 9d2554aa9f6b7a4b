// Package brookredis implements [broker.Client] over Redis 7 with go-redis:
// the same interfaces an application uses with an embedded brook broker,
// served by a Redis server, a Sentinel-managed primary or a Redis Cluster.
//
//	b, err := broker.Open(dir, broker.Options{})                            // embedded
//	c := brookredis.New(redis.NewUniversalClient(&redis.UniversalOptions{ // Redis
//		Addrs: []string{"127.0.0.1:6379"},
//	}), brookredis.Options{})
//
// Both are a broker.Client, and github.com/brookmq/brook/broker/brooktest
// runs the same behavioural suite against both (this module's tests run it
// on a redis-server and on a three-master Cluster they start on loopback).
//
// # Errors
//
// Every method validates its arguments as the broker does (negative counts
// and durations, positions a method does not take, unknown trim strategies,
// entries without fields) and returns the same sentinels before sending
// anything. Redis's error replies are mapped to the sentinels, wrapped with
// Redis's text: BUSYGROUP is [broker.ErrGroupExists], "requires the key to
// exist" [broker.ErrNoStream], the XADD ID errors [broker.ErrIDTooSmall],
// [broker.ErrIDZero], [broker.ErrExhausted] and [broker.ErrSeqExhausted],
// the blocked XREADGROUP's NOGROUP and UNBLOCKED [broker.ErrGroupDeleted] and
// [broker.ErrStreamDeleted]. Redis answers NOGROUP for a missing key and for
// a missing group alike; the client then checks EXISTS to return
// [broker.ErrNoStream] or [broker.ErrNoGroup] as the broker would. A closed
// client gives [broker.ErrClosed]; network errors are returned wrapped.
//
// # Waiting
//
// Block behaves as in the broker: an expired Block returns a nil result and
// a nil error, an ended ctx returns ctx's error. go-redis bounds a reply by
// the client's ReadTimeout, so a longer wait is a series of BLOCK commands,
// each shorter than ReadTimeout (for XREAD "$" is first turned into the
// stream's last ID, so nothing added between two of them is missed). Redis
// checks BLOCK timeouts hz times a second (10 by default), so an expiry can
// come up to about 100 ms late, and ReadTimeout should stay above 300 ms. ctx's
// end reaches a waiting command through CLIENT UNBLOCK: the wait runs on a
// connection of its own (from the pool of the node that holds the key) whose
// client ID is known, and when ctx ends a second connection unblocks it.
// Redis answers an unblocked XREADGROUP as a timeout, so it delivers nothing;
// the connection returns to the pool and no goroutine is left behind.
// A context.Background wait needs no such connection. As with go-redis's own
// blocking commands, each waiting read holds a connection of the pool, and
// its cancellation takes a second one for a moment.
//
// # Pub/Sub
//
// Each Receiver is one go-redis PubSub connection, subscribed when Listen
// returns (Listen waits for Redis's confirmations). Messages flow from the
// connection into a go-redis channel of Options.ChannelSize messages (default
// 100) that Next reads. What a slow reader meets differs from the broker,
// whose per-subscription queue is bounded in bytes and ends with
// ErrSlowConsumer:
//
//   - while the go-redis channel is full, go-redis stops reading the
//     connection for up to Options.ChannelSendTimeout (default one minute)
//     per message, then drops that message and logs it; Next never reports it;
//   - meanwhile the server queues the messages in the connection's output
//     buffer, bounded by Redis's client-output-buffer-limit pubsub (default
//     32mb 8mb 60); over it Redis closes the connection, and go-redis
//     reconnects and subscribes again: the messages in between are lost and
//     Next does not report it either.
//
// So a Redis receiver never ends with ErrSlowConsumer: it loses messages.
// Pub/Sub is fire-and-forget on both; use streams for what must not be lost.
//
// # Redis Cluster
//
// A command that names several keys needs them in one hash slot. XRead and
// XReadGroup over several streams check the slots before sending and return
// an error wrapping [broker.ErrInvalidArgument] that names the two keys and
// their slots, rather than Redis's CROSSSLOT. Keys that are read together
// should share a hash tag: only the part between the first "{" and the next
// "}" is hashed, so "{orders}.in" and "{orders}.retry" are in one slot. Del
// over several slots sends one DEL per slot.
//
// Pub/Sub on a Cluster reaches every node, but PUBLISH counts only the
// receivers connected to the node that ran it. Publish goes to the node of
// the channel's slot, and a Receiver connects to the node of its first
// channel's (or pattern's) slot, so the count is exact when publishers and
// receivers name hash-tagged channels and patterns of one tag ("{news}.tech",
// "{news}.*"); otherwise it counts only the receivers that happen to be on
// that node.
//
// The README of this module lists every difference from the embedded broker
// with the test that shows it.
package brookredis
