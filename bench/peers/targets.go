package main

import (
	"fmt"
	"strings"
)

// targetResult is one target's verdict for the report.
type targetResult struct {
	name, measured, verdict string
}

// ratioCheck is one comparison inside a target: row of table, brook over
// peer, which must be >= min (or <= max when max > 0).
type ratioCheck struct {
	table, row, peer string
	min, max         float64
}

// checkTargets evaluates the targets on the medians of res.
func checkTargets(res *results, payloads []string) []targetResult {
	var fanRate, fanRaw, fanLat []ratioCheck
	for _, p := range payloads {
		for _, n := range []string{"100", "1000"} {
			fanRate = append(fanRate, ratioCheck{table: "fanout/" + p + "/deliveries", row: n, peer: "NATS", min: 5})
			fanRaw = append(fanRaw, ratioCheck{table: "fanout/" + p + "/deliveries", row: n, peer: "raw chan", min: 0.5})
		}
		if t := res.find("fanout/" + p + "/p99"); t != nil {
			for _, n := range t.rows {
				fanLat = append(fanLat, ratioCheck{table: "fanout/" + p + "/p99", row: n, peer: "raw chan", max: 1.5})
			}
		}
	}
	out := []targetResult{
		evalTarget(res, "fan-out deliveries/s at N=100, 1000: brook >= 5x NATS", fanRate),
		evalTarget(res, "fan-out deliveries/s at N=100, 1000: brook >= 0.5x raw chan", fanRaw),
		evalTarget(res, "fan-out p99 latency: brook <= 1.5x raw chan", fanLat),
		evalTarget(res, "publish with 10,000 non-matching patterns: brook >= 0.9x its rate with none", []ratioCheck{{table: "patterns/rate", row: "10000", peer: "brook@0", min: 0.9}}),
		evalTarget(res, "durable appends, 64 producers: brook >= 30x JetStream (sync always)", []ratioCheck{{table: "append/durable", row: "64", peer: "JetStream", min: 30}}),
		evalTarget(res, "bytes per stream entry: brook <= Redis (used_memory)", []ratioCheck{{table: "memory", row: memoryRow, peer: redisUsedMemory, max: 1}}),
	}
	out = append(out, workerTargets(res)...)
	out = append(out, scaleTargets(res)...)
	return append(out, growthTargets(res)...)
}

// evalTarget passes when every check passes; a check whose table or cell is
// missing makes the target "not measured".
func evalTarget(res *results, name string, checks []ratioCheck) targetResult {
	var parts []string
	verdict := "PASS"
	for _, c := range checks {
		r, label, ok := checkRatio(res, c)
		if !ok {
			return targetResult{name: name, measured: "not measured in this run", verdict: "n/a"}
		}
		pass := (c.max == 0 || r <= c.max) && r >= c.min
		mark := ""
		if !pass {
			verdict = "MISS"
			mark = " (miss)"
		}
		parts = append(parts, fmt.Sprintf("%s %.2fx%s", label, r, mark))
	}
	if len(parts) == 0 {
		return targetResult{name: name, measured: "not measured in this run", verdict: "n/a"}
	}
	return targetResult{name: name, measured: strings.Join(parts, ", "), verdict: "**" + verdict + "**"}
}

// checkRatio computes one check. A peer "brook@row" compares brook's cell in
// c.row with brook's cell in that row of the same table, paired per
// repetition (see table.rowRatio).
func checkRatio(res *results, c ratioCheck) (float64, string, bool) {
	t := res.find(c.table)
	if t == nil {
		return 0, "", false
	}
	label := c.row
	if idx := strings.IndexByte(c.table, '/'); idx >= 0 && strings.HasPrefix(c.table, "fanout/") {
		label = "N=" + c.row + " " + strings.SplitN(c.table[idx+1:], "/", 2)[0]
	}
	if c.table == "worker" {
		label = "batch " + c.row + " vs " + c.peer
	}
	if base, ok := strings.CutPrefix(c.peer, "brook@"); ok {
		r, ok := t.rowRatio("brook", c.row, base)
		return r, "P=" + c.row + " vs P=" + base, ok
	}
	r, ok := t.ratio(c.row, "brook", c.peer)
	return r, label, ok
}
