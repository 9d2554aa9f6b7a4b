// Package pattern implements Redis's glob patterns, as PSUBSCRIBE and
// PUBSUB CHANNELS apply them, and an [Index] of many patterns that answers
// "which patterns match this channel" without trying them all.
//
// # Dialect
//
// The rules are those of Redis 7's stringmatchlen (checked against Redis
// 7.0.15; the recorded rows are in testdata/conformance/glob-vectors.tsv).
// Matching is on bytes, never on characters or runes:
//
//   - `*` matches any run of bytes; consecutive stars are one.
//   - `?` matches exactly one byte, so `???` matches "中" (three bytes in
//     UTF-8) and `?` does not.
//   - `[abc]` matches one byte of the set, `[^abc]` one byte outside it
//     (`!` does not negate). `[中]` is a set of three bytes.
//   - `[a-z]` is a range; a reversed range `[z-a]` means `[a-z]`. Bounds are
//     compared as C signed chars: bytes 0x80..0xff are -128..-1, so in
//     `[a-\xe4]` the range is -28..97, which holds "A" but not "b".
//     A range may end with any byte: `[a-]` is the range a..`]` in an
//     unclosed class.
//   - `\x` is the literal x, inside and outside classes; a trailing `\` is a
//     literal backslash.
//   - A `[` without its `]` takes the rest of the pattern as the class:
//     `[abc` matches "a", `[^` matches any single byte, `[` matches nothing.
//     `[]` is an empty class and matches nothing; `[]a]` is that empty class
//     followed by "a]".
//   - `{`, `}` and `,` are ordinary bytes: there are no alternatives.
//   - The empty subject matches only the empty pattern: `*` does not match
//     "" (a `PSUBSCRIBE *` client does not receive `PUBLISH "" msg`).
//   - A pattern with more than 1000 `*` groups followed by something else
//     matches nothing, as in Redis, whose recursion stops at that depth
//     (the fix for CVE-2024-31228).
//
// Every string is a valid pattern, so [Compile] returns no error.
//
// # Mapping onto gobwas/glob
//
// Matching is done by github.com/gobwas/glob, whose matcher is linear-ish
// (a star drops the restart points the next star makes redundant, see
// research.swtch.com/glob), so patterns such as `a*a*a*...b` against long
// subjects cannot take exponential time; that was Redis's CVE-2022-36021.
// gobwas has its own dialect, so a Redis pattern is parsed here, exactly as
// stringmatchlen reads it, into bytes, `?`, `*` and byte sets, and written
// back in gobwas syntax:
//
//   - Runes vs bytes. gobwas matches UTF-8 runes and rejects patterns that
//     are not UTF-8. Each byte b of the pattern is therefore written as the
//     rune U+00b (Latin-1), and a subject holding bytes >= 0x80 is
//     translated the same way before matching (into a pooled buffer, so no
//     allocation); an ASCII subject is the same in both and is matched as
//     is. Each gobwas rune is then one Redis byte, and `?` one byte.
//   - Classes. A Redis class is computed as a set of 256 byte values,
//     including the signed-char ranges and the negation, which gobwas cannot
//     express. The set is written as `?` (all bytes), a literal (one byte),
//     `[lo-hi]`, `[!lo-hi]` or an escaped member list `[\x\y]` / `[!\x\y]`,
//     since gobwas classes are a single range or a member list, never both.
//   - Escapes. Every literal byte other than an ASCII letter or digit is
//     written escaped, so gobwas's `{`, `}`, `,`, `**` and `!` never take
//     effect.
//   - What gobwas cannot say is decided before calling it: the empty
//     subject (gobwas's `*` matches ""), an empty class and the star limit
//     (both "match nothing"; gobwas classes cannot be empty), and patterns
//     without wildcards (a string comparison).
//
// A compiled pattern keeps its literal prefix (the bytes before its first
// `*`, `?` or `[`, escapes resolved) apart and compares it directly; gobwas
// matches only the rest. Three shapes skip gobwas altogether: a pattern
// without wildcards (a string comparison), a prefix followed by one star
// (`news.*`, a prefix test), and a pattern made only of literals and stars
// (`*:42:*`, `a*b*c`): the literal runs are compared byte for byte, the last
// against the subject's end and each other at its leftmost place after the
// previous one, which is exact because a star can take any run, and linear
// because nothing is retried. That shape is also the cheapest to subscribe:
// no gobwas compilation. Any other rest made only of ASCII literals and
// stars needs no Latin-1 translation of the subject, since gobwas then
// matches raw bytes exactly as it matches their translation.
//
// # Index
//
// [Index] files each pattern under one literal key that every channel it
// matches must contain, in one of three hash tables:
//
//   - heads, keyed by the pattern's literal prefix (the bytes before its
//     first wildcard), which the channel must start with. Patterns without
//     wildcards have a table of their own, keyed by the whole pattern.
//   - tails, keyed by its literal suffix (the bytes after its last
//     wildcard), which the channel must end with.
//   - inner, keyed by one of its inner runs (a maximal run of literal bytes
//     between two wildcards, escapes resolved: `*:\*42:*` has the run
//     ":*42:"), which the channel must contain somewhere, since Redis's `*`
//     spans any bytes, separators included.
//
// A pattern with none of these (`*`, `?*`, `[ab]*`, `*?*`) is kept in a
// loose list; one that matches nothing (an empty class, too many stars) is
// counted and filed nowhere.
//
// Choice of the key. A pattern may have several candidate keys (`a*bc*d`
// has the prefix "a", the run "bc" and the suffix "d"). Add takes the one
// under which the fewest patterns are filed at that moment (one probe per
// candidate), then the longest, then prefix before suffix before run (a
// channel probes its prefixes and suffixes once, its substrings from every
// byte, see below). So among `log.*.<i>` the first goes under "log." and
// the rest under their own suffixes ".<i>"; and `*.<i>*.alert` goes under
// its run ".<i>" once ".alert" is shared. A key is chosen once, when the
// pattern is added, and never moved.
//
// The tables are open-addressing hash tables (linear probing, at most half
// full, deletion by shifting back, no tombstones): an array of one-byte
// tags (8 bits of the key's hash, 0 for an empty slot) and an array of
// pointers to buckets (key, hash, patterns) in the same order. A channel
// looks up its prefix (suffix) of each length some key has: one probe per
// distinct key length, where a byte trie took one dependent step per byte,
// each a cache miss once the trie outgrew the CPU caches (issue 14: with a
// million `*:<i>` patterns a publish took 11-18 times as long as with a
// thousand). The probes do not depend on each other: their hashes come from
// one pass over the channel (a seeded multiply-mix hash over 8-byte words,
// read from the start for prefixes and runs, from the end for suffixes),
// and their first tags are loaded in a batch before any is looked at, so
// the CPU has the misses in flight at once; the tags, a byte per slot
// (2 MiB for a million keys), stay in the last-level cache where buckets or
// trie nodes did not.
//
// Before a probe, each length has the sets of its keys' end bytes: the
// edge byte next to the wildcard (the last of a prefix or run, the first of
// a suffix) and the far one (the first of a prefix or run, the last of a
// suffix). A length whose end bytes the channel does not have there is not
// probed. Keys usually end at a separator (`news.*`, `*.alert`,
// `*.<i>.*`), so most lengths of most channels are ruled out without
// touching the table: with `p:<i>:*`, `*:<i>` or `*:<i>:*` for i below a
// million, a channel "p:<7 digits>:temp:<7 digits>" probes at most once
// (":temp:"). Where the end bytes do match, a probe of a million-key table
// costs a miss in the last-level cache (BenchmarkIndexScale's prefix7
// shape).
//
// Lookup. A channel probes the exact table with itself, heads with its
// prefixes, tails with its suffixes, and inner with its substrings from
// each byte that some run starts with. The patterns found are tested with
// the matcher, heads' against the channel after the prefix only; the loose
// ones are all tested. A run that occurs more than once in the channel is
// taken at its first occurrence only (a look for an earlier one when it is
// found), so each pattern is tested, and reported, at most once. A lookup
// thus costs at most a probe per distinct prefix and suffix length and n
// per distinct run length, for a channel of n bytes, of which the end
// bytes usually leave few, plus one test per pattern filed under a key the
// channel has; with one pattern per key (`*:<i>:*`, `p:<i>:*`, `*:<i>`),
// about the same work for a thousand patterns as for a million
// (BenchmarkIndexScale, and the broker's BenchmarkPublishScale, both over
// 65,536 channels, measure it). The worst case is many distinct key lengths
// whose end bytes a channel keeps matching: n probes per length, where a
// trie stopped as soon as the channel left its keys. The lookup allocates
// nothing.
//
// Patterns that share every literal (`*a*?`, `*a*??`) share a bucket, and
// are tried one by one when the channel has the literal, like the loose
// ones; patterns that differ only in their wildcards are few in practice.
// An Aho-Corasick automaton over the runs would find the runs in O(n),
// but must be rebuilt, or patched with care, as patterns come and go; a
// table takes a key in and out in O(len). Remove finds the pattern's
// bucket from the key its entry remembers and drops the bucket once empty.
//
// # Match cache
//
// On top of the tables, an Index remembers the result of Match for up to
// [CacheSize] (1024) channels, as nats-server's sublist does, so that a
// publish on a busy channel costs one hash and one comparison however many
// patterns are subscribed. The cache is two-way set-associative: a
// channel's hash/maphash hash (random seed per Index) picks one of 512
// sets, whose two ways each hold a pointer to an immutable entry (channel,
// matching patterns, generation).
//
//   - Bound: at most CacheSize entries, each holding the channel string it
//     was looked up with (so that string is kept alive) and a slice of
//     pattern strings the index already holds; 16 KiB of sets, allocated
//     with the first pattern.
//   - Invalidation: every Add of a new pattern and every Remove of a
//     present one bumps the index's generation; an entry of an older
//     generation is a miss. Add and Remove run alone (under the caller's
//     exclusive lock), so invalidation costs nothing and takes no lock.
//   - Concurrency: Match reads and stores ways with atomic pointer
//     operations and no lock, so concurrent Match calls (under the caller's
//     shared lock) share the cache; two of them storing into one set at
//     once store correct results, and the last store wins.
//   - Admission: a miss stores its result (one allocation) in a way of its
//     set that is free or stale; if both hold current entries for other
//     channels, it replaces one of them, in turn, only if that same channel
//     was the last to miss in the set. So a stream of channels each
//     published once (which would only evict each other) allocates nothing
//     and keeps the cached channels, while a channel published twice in a
//     row takes a way.
//   - Hits do not allocate. [Index.Stats] reports the hits, misses and
//     admissions and the number of current entries.
//
// # Verification
//
// The tests check every row of the recorded conformance vectors, compare
// Match with an independent oracle that follows stringmatchlen step by step
// (also checked against the vectors) on random and fuzzed inputs, and
// compare Index with brute force. During development the package was also
// compared with a real Redis 7.0.15 (KEYS, which uses the same matcher) on
// 6 million random pattern and key pairs rich in special and high bytes,
// without a difference.
package pattern
