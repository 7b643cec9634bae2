package secret

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
)

// The contract of StripControl, written out here from the unicode package's
// property tables rather than taken from isUnsafeRune, so a test built on it
// catches a character the product forgets.

// invisibleClass is one property whose every character StripControl must
// remove: has decides membership, tables bound the runes to enumerate.
type invisibleClass struct {
	name   string
	has    func(rune) bool
	tables []*unicode.RangeTable
}

// isDefaultIgnorable is Unicode's derived Default_Ignorable_Code_Point, as
// DerivedCoreProperties.txt (Unicode 15.0) generates it:
// Other_Default_Ignorable_Code_Point + Cf + Variation_Selector - White_Space
// - FFF9..FFFB - 13430..1343F - Prepended_Concatenation_Mark.
func isDefaultIgnorable(r rune) bool {
	if !unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) && !unicode.Is(unicode.Cf, r) &&
		!unicode.Is(unicode.Variation_Selector, r) {
		return false
	}
	return !unicode.Is(unicode.White_Space, r) && (r < 0xFFF9 || r > 0xFFFB) && (r < 0x13430 || r > 0x1343F) &&
		!unicode.Is(unicode.Prepended_Concatenation_Mark, r)
}

// isUnassignedByDerivation reports whether r is in general category Cn
// (unassigned, noncharacters included), derived as "in no other category
// table" rather than read from unicode.Cn, which the product uses.
func isUnassignedByDerivation(r rune) bool {
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z,
		unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

// everyCodePoint is a table of all of Unicode, for the classes that are
// derived rather than listed.
func everyCodePoint() *unicode.RangeTable {
	return &unicode.RangeTable{
		R16: []unicode.Range16{{Lo: 0, Hi: 0xFFFF, Stride: 1}},
		R32: []unicode.Range32{{Lo: 0x10000, Hi: unicode.MaxRune, Stride: 1}},
	}
}

// invisibleClasses lists what StripControl removes: controls, format
// characters, every default-ignorable character, blanks (the spaces other
// than U+0020, and the braille blank; the Hangul fillers are
// default-ignorable already), and code points with no agreed glyph:
// unassigned ones and private use (drawn as nothing, a box, or whatever a
// font puts there).
func invisibleClasses() []invisibleClass {
	in := func(t *unicode.RangeTable) func(rune) bool { return func(r rune) bool { return unicode.Is(t, r) } }
	return []invisibleClass{
		{"Cc control", in(unicode.Cc), []*unicode.RangeTable{unicode.Cc}},
		{"Cf format", in(unicode.Cf), []*unicode.RangeTable{unicode.Cf}},
		{"Default_Ignorable_Code_Point", isDefaultIgnorable, []*unicode.RangeTable{
			unicode.Other_Default_Ignorable_Code_Point, unicode.Cf, unicode.Variation_Selector}},
		{"Other_Default_Ignorable_Code_Point", in(unicode.Other_Default_Ignorable_Code_Point),
			[]*unicode.RangeTable{unicode.Other_Default_Ignorable_Code_Point}},
		{"Variation_Selector", in(unicode.Variation_Selector), []*unicode.RangeTable{unicode.Variation_Selector}},
		{"White_Space but U+0020", func(r rune) bool { return r != ' ' && unicode.Is(unicode.White_Space, r) },
			[]*unicode.RangeTable{unicode.White_Space}},
		{"U+2800 BRAILLE PATTERN BLANK", func(r rune) bool { return r == 0x2800 },
			[]*unicode.RangeTable{{R16: []unicode.Range16{{Lo: 0x2800, Hi: 0x2800, Stride: 1}}}}},
		{"Cn unassigned", isUnassignedByDerivation, []*unicode.RangeTable{everyCodePoint()}},
		{"Co private use", in(unicode.Co), []*unicode.RangeTable{unicode.Co}},
	}
}

// invisibleByContract reports whether the contract says StripControl
// removes r.
func invisibleByContract(r rune) bool {
	for _, c := range invisibleClasses() {
		if c.has(r) {
			return true
		}
	}
	return false
}

// runes enumerates every rune of c: all of its tables' ranges, kept by has.
func (c invisibleClass) runes() []rune {
	var out []rune
	seen := map[rune]bool{}
	add := func(lo, hi, stride uint32) {
		for r := lo; r <= hi; r += stride {
			if len(c.tables) > 1 && seen[rune(r)] || !c.has(rune(r)) {
				continue
			}
			if len(c.tables) > 1 { // one table lists each rune once
				seen[rune(r)] = true
			}
			out = append(out, rune(r))
		}
	}
	for _, t := range c.tables {
		for _, rg := range t.R16 {
			add(uint32(rg.Lo), uint32(rg.Hi), uint32(rg.Stride))
		}
		for _, rg := range t.R32 {
			add(rg.Lo, rg.Hi, rg.Stride)
		}
	}
	return out
}

// TestInvisibleContractDerivation checks the contract against Unicode's
// published data: the derived Default_Ignorable_Code_Point has 4174 code
// points in Unicode 15.0, and the characters the redactor once let through
// are in it (or among the blanks).
func TestInvisibleContractDerivation(t *testing.T) {
	var dicp invisibleClass
	for _, c := range invisibleClasses() {
		if c.name == "Default_Ignorable_Code_Point" {
			dicp = c
		}
	}
	if unicode.Version == "15.0.0" {
		if n := len(dicp.runes()); n != 4174 {
			t.Errorf("derived Default_Ignorable_Code_Point has %d code points, DerivedCoreProperties.txt 15.0 says 4174", n)
		}
	} else {
		t.Logf("Unicode %s: the published count of 4174 is for 15.0, not checked", unicode.Version)
	}
	for _, r := range []rune{0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x180B, 0xFE00, 0xFE0F, 0xE0100, 0xE01EF, 0x200B, 0xE0041} {
		if !isDefaultIgnorable(r) {
			t.Errorf("%U is not default-ignorable by the derivation", r)
		}
	}
	for _, r := range []rune{' ', 'a', 0x0600, 0xFFFA, 0x13430, 0xFFFD, 0x2801} {
		if isDefaultIgnorable(r) {
			t.Errorf("%U is default-ignorable by the derivation", r)
		}
	}
}

// TestUnassignedContractDerivation checks the derived Cn and the Co table
// against DerivedGeneralCategory.txt 15.0 (Cn: 825,345 code points; Co:
// 137,468), and that the separators a red team used are in them: every
// noncharacter (U+FDD0..FDEF and the last two of each plane) is Cn.
func TestUnassignedContractDerivation(t *testing.T) {
	counts := map[string]int{}
	for _, c := range invisibleClasses() {
		counts[c.name] = len(c.runes())
	}
	if unicode.Version == "15.0.0" {
		for name, want := range map[string]int{"Cn unassigned": 825345, "Co private use": 137468} {
			if counts[name] != want {
				t.Errorf("%s has %d code points, DerivedGeneralCategory.txt 15.0 says %d", name, counts[name], want)
			}
		}
	} else {
		t.Logf("Unicode %s: the published counts are for 15.0, not checked", unicode.Version)
	}
	var nonchars []rune
	for r := rune(0xFDD0); r <= 0xFDEF; r++ {
		nonchars = append(nonchars, r)
	}
	for plane := rune(0); plane <= 0x10; plane++ {
		nonchars = append(nonchars, plane<<16|0xFFFE, plane<<16|0xFFFF)
	}
	for _, r := range append(nonchars, 0x0378, 0x1D455) {
		if !isUnassignedByDerivation(r) {
			t.Errorf("%U is not unassigned by the derivation", r)
		}
	}
	for _, r := range []rune{'a', 0x0CBC, 0x1F3FB, 0xFFFC, 0xFFFD, 0xE000, 0xD800} {
		if isUnassignedByDerivation(r) {
			t.Errorf("%U is unassigned by the derivation", r)
		}
	}
}

// TestStripControlRemovesCodePointsWithoutAGlyph: the separators a red team
// put into the credential that survived StripControl (unassigned code
// points, noncharacters, private use) are removed; assigned visible ones
// (a combining mark, a skin-tone modifier, the object replacement
// character, U+FFFD) stay, and the redactor's skeleton view handles them.
func TestStripControlRemovesCodePointsWithoutAGlyph(t *testing.T) {
	for _, r := range []rune{0x0378, 0x1D455, 0xFFFF, 0xFFFE, 0xFDD0, 0x10FFFF, 0xE000, 0xF8FF, 0xF0000, 0x10FFFD} {
		in := "ci" + string(r) + "key"
		if got := StripControl(in); got != "cikey" {
			t.Errorf("StripControl(%q) = %q, want %q (%U)", in, got, "cikey", r)
		}
		if !hasUnsafe(in) {
			t.Errorf("hasUnsafe(%q) = false (%U)", in, r)
		}
	}
	for _, r := range []rune{0x0CBC, 0x0301, 0x1F3FB, 0xFFFC, 0xFFFD, 0x1F511} {
		in := "ci" + string(r) + "key"
		if got := StripControl(in); got != in {
			t.Errorf("StripControl(%q) = %q, want it unchanged (%U)", in, got, r)
		}
	}
}

// sampleRunes returns at most about n of rs, evenly spaced, the first and
// last included: the per-character checks stay cheap for the classes of
// hundreds of thousands of code points.
func sampleRunes(rs []rune, n int) []rune {
	if len(rs) <= n {
		return rs
	}
	step := len(rs) / n
	var out []rune
	for i := 0; i < len(rs); i += step {
		out = append(out, rs[i])
	}
	return append(out, rs[len(rs)-1])
}

// TestStripControlMatchesContractOnEveryCodePoint: over all of Unicode,
// StripControl removes exactly the characters of the contract and keeps
// the rest in order, and hasUnsafe agrees; for the invisible characters,
// wherever they fall in hasUnsafe's 16-byte blocks.
func TestStripControlMatchesContractOnEveryCodePoint(t *testing.T) {
	classes := invisibleClasses()
	inContract := func(r rune) bool {
		for _, c := range classes {
			if c.has(r) {
				return true
			}
		}
		return false
	}
	const chunk = 4096 // code points per StripControl call, each between two 'a'
	for lo := rune(0); lo <= unicode.MaxRune; lo += chunk {
		var in, want strings.Builder
		for r := lo; r < lo+chunk && r <= unicode.MaxRune; r++ {
			if 0xD800 <= r && r <= 0xDFFF {
				continue // surrogates are not characters; a Go string cannot hold one
			}
			invisible := inContract(r)
			in.WriteString("a" + string(r))
			want.WriteByte('a')
			if !invisible {
				want.WriteRune(r)
			}
			if got := hasUnsafe(string(r)); got != invisible {
				t.Errorf("hasUnsafe(%q) = %v, want %v (%U)", string(r), got, invisible, r)
			}
		}
		if got := StripControl(in.String()); got != want.String() {
			t.Errorf("StripControl over %U..%U: %s", lo, lo+chunk-1, firstDifference(got, want.String()))
		}
	}
	// Every alignment in hasUnsafe's 16-byte blocks, for a sample of each
	// class (every UTF-8 length is among them).
	for _, c := range classes {
		for _, r := range sampleRunes(c.runes(), 5000) {
			for pad := range 17 {
				padded := strings.Repeat("x", pad) + string(r) + strings.Repeat("y", 20)
				if !hasUnsafe(padded) {
					t.Errorf("hasUnsafe(%q) = false (%U after %d bytes)", padded, r, pad)
				}
			}
		}
	}
}

// firstDifference describes where got and want first differ, by rune.
func firstDifference(got, want string) string {
	g, w := []rune(got), []rune(want)
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("at rune %d got %U, want %U", i, g[i], w[i])
		}
	}
	return fmt.Sprintf("got %d runes, want %d", len(g), len(w))
}

// TestRedactSecretSplitByEveryInvisibleRune: every character of every
// invisible property, put every 15 characters into the credential inside a
// key name (or into a token shape), leaves no 16-character piece of it and
// no token shape in the result, in the result after StripControl, on a
// terminal, or when the text is cleaned first and redacted after. The
// properties overlap: each character is tried once, under the first
// property that lists it.
func TestRedactSecretSplitByEveryInvisibleRune(t *testing.T) {
	decoy := "napi_q7w8e9r0t1y2u3i4o5p6a7s8d9f0g1h2j3k4" // token-shaped, never registered
	r := NewRedactor(legacyToken)
	tried := map[rune]bool{}
	for _, c := range invisibleClasses() {
		t.Run(c.name, func(t *testing.T) {
			// The two classes of over 100,000 code points (Cn, Co) are
			// sampled, with the separators a red team used.
			runes := c.runes()
			if len(runes) > 10000 {
				runes = append(sampleRunes(runes, 600), 0x0378, 0x1D455, 0xFFFF, 0xFDD0, 0x10FFFF, 0xE000)
			}
			if len(runes) == 0 {
				t.Fatal("no characters enumerated")
			}
			failures, fresh := 0, 0
			for _, ch := range runes {
				if tried[ch] || !c.has(ch) {
					continue
				}
				tried[ch], fresh = true, fresh+1
				sep := string(ch)
				for _, in := range []string{
					`{"name":"ci ` + splitEvery(legacyToken, sep, 15) + `","id":1}`,
					"key " + splitEvery(decoy, sep, 15) + " end",
				} {
					for how, out := range map[string]string{"Redact": r.Redact(in), "Redact(StripControl)": r.Redact(StripControl(in))} {
						if msg := secretInView(out, legacyToken); msg != "" && failures < 10 {
							t.Errorf("%U: %s(%q) = %q: %s", ch, how, in, out, msg)
							failures++
						}
					}
				}
			}
			t.Logf("%d characters, %d not tried under an earlier property", len(runes), fresh)
		})
	}
}

// secretInView describes the first piece of secret (16 characters or more)
// or token shape found in any view of out: as it is, after StripControl, and
// as a terminal shows it; "" if none.
func secretInView(out, secret string) string {
	views := []struct{ name, text string }{{"raw", out}, {"StripControl", StripControl(out)}, {"terminal", terminalView(out)}}
	for _, v := range views {
		for i := 0; i+pieceLen <= len(secret); i++ {
			if strings.Contains(v.text, secret[i:i+pieceLen]) {
				return fmt.Sprintf("the %s view %q holds %q of the secret", v.name, v.text, secret[i:i+pieceLen])
			}
		}
		if m := tokenShape.FindString(v.text); m != "" {
			return fmt.Sprintf("the %s view %q holds the token shape %q", v.name, v.text, m)
		}
	}
	return ""
}
