package secret

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// isUnsafeRune reports whether StripControl removes r: a terminal acts on
// it, or draws it as nothing, as a blank or as whatever a font decides, so
// text holding it is not what it looks like (a secret split by one shows
// whole). The set, by Unicode general category and property (the unicode
// package's tables: Unicode 15.0.0 in Go 1.26, unicode.Version):
//
//   - Cc: C0 and C1 controls and DEL (ESC, CR, newline, tab, NUL).
//   - Cf: every format character (bidi controls, zero-width space and
//     joiners, soft hyphen, BOM, tags), including the few visible ones.
//   - Default_Ignorable_Code_Point. DerivedCoreProperties.txt derives it as
//     Other_Default_Ignorable_Code_Point plus Cf plus Variation_Selector, minus
//     White_Space, FFF9..FFFB, 13430..1343F and Prepended_Concatenation_Mark.
//     With every Cf removed already, that adds Other_Default_Ignorable_Code_Point
//     (U+034F COMBINING GRAPHEME JOINER, the Hangul fillers U+115F, U+1160,
//     U+3164 and U+FFA0, U+17B4..17B5, reserved ranges) and
//     Variation_Selector (U+180B..180D, U+180F, U+FE00..FE0F, U+E0100..E01EF).
//   - Blanks: White_Space except U+0020 (no-break and typographic spaces,
//     U+3000, U+1680, line and paragraph separators): drawn as a space or a
//     line break, they are not the space a person types (tab and newline,
//     also White_Space, are Cc). And U+2800 BRAILLE PATTERN BLANK, a symbol
//     drawn as an empty cell that no property singles out.
//   - Cn: code points not assigned in this Unicode version (U+0378,
//     U+1D455), noncharacters included (U+FDD0..FDEF, U+FFFE, U+FFFF and the
//     last two of every plane). unicode.Cn (Go 1.25 on) is the complement of
//     every other category table. A terminal draws them as nothing, a box,
//     or, once a later Unicode assigns them, anything at all.
//   - Co: private use (U+E000..F8FF, planes 15 and 16): a font draws
//     whatever it likes there, nothing included.
//
// Assigned visible characters stay, combining marks and emoji modifiers
// included (a name may be written with them): a held secret spelled out
// with them between its characters is the skeleton view's job (pieces.go).
// U+FFFD stays too: it is what invalid UTF-8 decodes to, and it is visible.
func isUnsafeRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f
	}
	return r == '\u2800' || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point,
		unicode.Variation_Selector, unicode.White_Space, unicode.Cn, unicode.Co)
}

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

// stripEscapes removes the escape sequences a terminal reads without
// drawing anything (ECMA-48), in their 7-bit form (ESC and a byte) and as
// C1 controls: CSI ("\x1b[31m", "\u009b2J"); OSC, DCS, SOS, PM and APC with
// their text up to BEL or ST (a title, a hyperlink "\x1b]8;;url\x1b\\");
// other escapes ("\x1b7", "\x1b(B"). StripControl leaves their printable
// part behind, while a terminal shows none of it, so a secret split by them
// shows whole on screen. A string never ended is kept (its introducer goes):
// the view then shows more, not less.
func stripEscapes(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); {
		if n := escapeLen(s[i:]); n > 0 {
			i += n
			continue
		}
		sb.WriteByte(s[i])
		i++
	}
	return sb.String()
}

// escapeLen returns the length of the escape sequence s starts with, 0 if
// it starts with none.
func escapeLen(s string) int {
	kind, n := introducer(s)
	switch kind {
	case 0:
		return 0
	case '[':
		return n + csiLen(s[n:])
	case ']', 'P', 'X', '^', '_':
		if m := stringLen(s[n:]); m > 0 {
			return n + m
		}
		return n
	}
	return n // a complete other escape
}

// introducer reads ESC and the byte after it, or a C1 control in UTF-8,
// and returns what it opens ('[', ']', 'P', 'X', '^', '_'; '.' for another
// complete escape, 0 for none) and its length.
func introducer(s string) (byte, int) {
	if len(s) < 2 {
		return 0, 0
	}
	if s[0] == 0xc2 { // C1 controls U+0080..U+009F are 0xc2 0x80..0x9f in UTF-8
		if i := strings.IndexByte("\x9b\x9d\x90\x98\x9e\x9f", s[1]); i >= 0 {
			return "[]PX^_"[i], 2
		}
		return 0, 0
	}
	if s[0] != 0x1b {
		return 0, 0
	}
	if strings.IndexByte("[]PX^_", s[1]) >= 0 {
		return s[1], 2
	}
	j := 1
	for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2f { // intermediate bytes
		j++
	}
	if j < len(s) && s[j] >= 0x30 && s[j] <= 0x7e { // final byte
		return '.', j + 1
	}
	return 0, 0
}

// csiLen returns the length of a CSI sequence's parameters, intermediates
// and final byte.
func csiLen(s string) int {
	j := 0
	for j < len(s) && s[j] >= 0x20 && s[j] <= 0x3f { // parameter and intermediate bytes
		j++
	}
	if j < len(s) && s[j] >= 0x40 && s[j] <= 0x7e { // final byte
		j++
	}
	return j
}

// stringLen returns the length of a control string's text and its end (BEL,
// ST as ESC and a backslash, or the C1 ST U+009C), 0 if it never ends.
func stringLen(s string) int {
	for j := 0; j < len(s); j++ {
		switch {
		case s[j] == 0x07:
			return j + 1
		case strings.HasPrefix(s[j:], "\x1b\\"), strings.HasPrefix(s[j:], "\u009c"):
			return j + 2
		}
	}
	return 0
}
