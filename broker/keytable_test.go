package broker

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestKeyTableModel runs random puts and removes against a keyTable and a
// Go map, checking after each step that every key ever used is found, or
// not, as in the map, and that iteration yields exactly the map's states.
// Few distinct keys over many steps make long probe runs, deletions inside
// them and wrap-around at the end of the slots.
func TestKeyTableModel(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		tab := newKeyTable()
		model := map[string]*streamState{}
		keys := make([]string, 1+rng.IntN(300))
		for i := range keys {
			keys[i] = "k" + strconv.Itoa(i)
		}
		for step := range 2000 {
			key := keys[rng.IntN(len(keys))]
			if st := model[key]; st != nil {
				if !tab.remove(st) {
					t.Fatalf("seed %d step %d: remove(%q) found nothing", seed, step, key)
				}
				delete(model, key)
				if tab.remove(st) {
					t.Fatalf("seed %d step %d: remove(%q) twice", seed, step, key)
				}
			} else {
				st := &streamState{key: key}
				tab.put(st)
				model[key] = st
			}
			if tab.Len() != len(model) {
				t.Fatalf("seed %d step %d: Len %d, want %d", seed, step, tab.Len(), len(model))
			}
			for _, k := range keys {
				if got := tab.get(k); got != model[k] {
					t.Fatalf("seed %d step %d: get(%q) = %p, want %p", seed, step, k, got, model[k])
				}
			}
			seen := map[*streamState]bool{}
			for st := range tab.all() {
				if model[st.key] != st || seen[st] {
					t.Fatalf("seed %d step %d: all yields %q (%p) wrongly or twice", seed, step, st.key, st)
				}
				seen[st] = true
			}
			if len(seen) != len(model) {
				t.Fatalf("seed %d step %d: all yields %d states, want %d", seed, step, len(seen), len(model))
			}
		}
	}
}

// TestKeyTableLoad checks the sizing the registry's memory figures rest
// on: the table stays at most 7/8 full, and at least 70 % once it grew
// past its first few sizes (where rounding matters).
func TestKeyTableLoad(t *testing.T) {
	tab := newKeyTable()
	for i := range 100_000 {
		tab.put(&streamState{key: strconv.Itoa(i)})
		n, slots := tab.Len(), len(tab.slots)
		if n*8 > slots*7 || slots > 100 && n*10 < slots*7 {
			t.Fatalf("%d keys in %d slots", n, slots)
		}
	}
}
