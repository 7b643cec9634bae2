package secret

import (
	"strings"
	"unicode/utf8"
)

// hasUnsafe reports whether s holds a rune StripControl would remove. Plain
// ASCII text is checked 16 bytes at a time, so the common case stays cheap
// on a 3 MB key list.
func hasUnsafe(s string) bool {
	i := 0
	for i < len(s) {
		if i+16 <= len(s) && !oddBytes(load64(s, i)) && !oddBytes(load64(s, i+8)) {
			i += 16
			continue
		}
		// Something other than printable ASCII (or the tail): look at the
		// runes of these 16 bytes (the last one may run past them).
		for end := min(i+16, len(s)); i < end; {
			r, n := utf8.DecodeRuneInString(s[i:])
			if isUnsafeRune(r) {
				return true
			}
			i += n
		}
	}
	return false
}

// oddBytes reports whether x holds a byte that is not printable ASCII
// (0x20 to 0x7e), without carries between bytes: each byte is tested with
// its top bit forced set (for < 0x20) or cleared (for 0x7f).
func oddBytes(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	below := ^((x | highs) - ones*0x20) // top bit set where the low 7 bits are < 0x20
	del := (x &^ highs) + ones          // top bit set where the low 7 bits are 0x7f
	return (below|del|x)&highs != 0
}

// stripCSI removes ANSI CSI sequences ("\x1b[31m", "\x1b[2J"): a terminal
// hides them, while StripControl leaves their printable part behind.
func stripCSI(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			sb.WriteString(s)
			return sb.String()
		}
		sb.WriteString(s[:i])
		j := i + 2
		for j < len(s) && s[j] >= 0x20 && s[j] <= 0x3f { // parameter and intermediate bytes
			j++
		}
		if j < len(s) && s[j] >= 0x40 && s[j] <= 0x7e { // final byte
			j++
		}
		s = s[j:]
	}
}
