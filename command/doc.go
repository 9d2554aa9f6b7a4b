// Package command turns Redis command syntax into calls on a
// [broker.Broker] and prints the replies exactly as `redis-cli --no-raw`
// prints them. It is the piece a command-line tool (such as cmd/brook), a
// test harness or a debugging console reuses to speak Redis's language to an
// embedded brook.
//
// Three parts:
//
//   - [SplitArgs] splits an input line into arguments with redis-cli's rules
//     (sdssplitargs): blanks separate, "double quotes" know the C escapes and
//     \xHH, 'single quotes' only \', and a badly quoted line is
//     [ErrInvalidArgs] (redis-cli prints [InvalidArgsMessage]).
//   - [Handler.Do] runs one command (PING, ECHO, PUBLISH, PUBSUB, HELP, the
//     stream commands XADD ... XINFO, DEL, EXISTS, TYPE, KEYS, and CONFIG
//     GET/SET client-output-buffer-limit) and returns a
//     [Reply]. Argument parsing, arity checks and every error text are
//     Redis 7.0's: broker and stream sentinel errors are mapped to Redis's
//     texts here and nowhere else.
//   - [Reply] is a RESP2 value; [Reply.WriteTo] and [Reply.String] print it
//     the way redis-cli does: "(integer) 3", quoted and escaped bulk strings,
//     "(nil)", "(empty array)", and arrays numbered "1) " with indices
//     right-aligned to the widest and nested arrays indented.
//
// SUBSCRIBE and PSUBSCRIBE put a client into subscribed mode, which needs a
// reader that waits for messages. That waiting belongs to the caller: a
// [Session] holds the client's [broker.Subscription], answers the
// subscription commands with their confirmation replies (one per channel),
// refuses other commands in subscribed mode as Redis does, and hands the
// caller each message, already shaped as Redis pushes it, from
// [Session.Next]. Next with a cancelled context returns the messages already
// queued without waiting, which is how a single-threaded CLI prints the
// messages its own PUBLISH caused.
//
// Deliberate differences from Redis 7.0: XREAD accepts "+" as an ID (the
// stream's last entry, as Redis 7.4 does); XADD takes Redis 8.6's IDMP and
// IDMPAUTO, XCFGSET exists (Redis 8.6) and XINFO STREAM prints 8.6's IDMP
// fields; XCFGSET also takes brook's RETENTION-MAXLEN n, RETENTION-MAXAGE
// ms, RETENTION-MAXBYTES n and RETENTION-ACKED 0|1 (a standing retention
// policy, see [broker.Broker.SetRetention]; 0 removes a bound; with
// RETENTION-ACKED 1 the entries every consumer group acknowledged go from
// the front of the stream, see [broker.Retention].Acked; errors in Redis's
// style, such as "ERR RETENTION-MAXLEN must be >= 0" or "ERR
// RETENTION-ACKED must be 0 or 1"); HELP lists brook's
// commands instead of redis-cli's help; PUBSUB has no shard subcommands. CONFIG
// knows one parameter, client-output-buffer-limit: its pubsub class sets
// the broker's limits for the subscriptions made afterwards
// ([broker.Broker.SetPubSubLimits]; Redis applies them to connected clients
// too), the normal and replica classes are only remembered for CONFIG GET,
// a size beyond an int64 is kept as the largest int64, CONFIG HELP lists GET
// and SET only, and RESETSTAT and REWRITE are unknown subcommands. KEYS
// lists streams, sorted (Redis: in its hash table's order).
//
// Everything in this package is synchronous; the only blocking commands are
// XREAD and XREADGROUP with BLOCK, which wait on the context passed to
// [Handler.Do] (a BLOCK timeout becomes a deadline on that context). A
// caller that is the broker's only writer and runs one command at a time
// sets [Handler.NoBlockForever], so that BLOCK 0 with nothing to read is an
// error ([BlockForeverMessage]) instead of a wait nothing can end.
package command
