package brookredis

import (
	"strings"
)

// slots is the number of hash slots of a Redis Cluster.
const slots = 16384

// slot returns the Cluster hash slot of key: CRC16 (XMODEM) of the key, or of
// its hash tag (the part between the first "{" and the next "}", when not
// empty), modulo 16384.
func slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16(key)) % slots
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), the checksum
// Redis Cluster hashes keys with.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// sameSlot checks, on a Cluster client, that keys hash to one slot, as
// a multi-key command needs. The error wraps ErrInvalidArgument and names
// the keys and their slots.
func (c *Client) sameSlot(keys []string) error {
	if c.cluster == nil || len(keys) < 2 {
		return nil
	}
	first := slot(keys[0])
	for _, k := range keys[1:] {
		if s := slot(k); s != first {
			return invalid("keys %q (slot %d) and %q (slot %d) are in different Redis Cluster hash slots; "+
				"give keys read together a common hash tag, e.g. {orders}.in and {orders}.retry", keys[0], first, k, s)
		}
	}
	return nil
}
