package brookredis

import "testing"

func TestSlot(t *testing.T) {
	if got := crc16("123456789"); got != 0x31c3 {
		t.Fatalf("crc16(123456789) = %#x, want 0x31c3 (CRC-16/XMODEM check value)", got)
	}
	for _, c := range []struct {
		key  string
		same string // a key of the same slot
	}{
		{"{user1000}.following", "user1000"},
		{"foo{}{bar}", "foo{}{bar}"}, // empty tag: the whole key
		{"foo{{bar}}zap", "{bar"},    // the tag is "{bar"
		{"foo{bar}{zap}", "bar"},     // the first tag only
		{"{", "{"},
	} {
		if slot(c.key) != slot(c.same) {
			t.Errorf("slot(%q) = %d, slot(%q) = %d; want equal", c.key, slot(c.key), c.same, slot(c.same))
		}
	}
}
