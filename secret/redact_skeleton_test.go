package secret

import (
	"fmt"
	"strings"
	"testing"
)

// A held secret spelled out with visible or invisible characters between
// its characters ("n a p i _ A B C …", one per line, with emoji or
// combining marks between them) reads whole once a person or a program
// drops what is between. The redactor masks it through its skeleton view.

// mintedToken is a token the process minted after start (Add).
const mintedToken = "napi_m1n2t3e4d5t6o7k8e9n0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"

// spellingSeparators are characters put between the characters of a held
// secret, by kind: the ones a red team used, ASCII punctuation, emoji,
// combining marks, invisible characters and escape sequences.
var spellingSeparators = map[string]string{
	"unassigned U+0378":         "\u0378",
	"unassigned U+1D455":        "\U0001d455",
	"noncharacter U+FFFF":       "\uffff",
	"noncharacter U+FDD0":       "\ufdd0",
	"noncharacter U+10FFFF":     "\U0010ffff",
	"private use U+E000":        "\ue000",
	"combining nukta U+0CBC":    "\u0cbc",
	"skin tone U+1F3FB":         "\U0001f3fb",
	"object replacement U+FFFC": "\ufffc",
	"space":                     " ",
	"hyphen":                    "-",
	"dot":                       ".",
	"comma and space":           ", ",
	"spaced hyphen":             " - ",
	"newline":                   "\n",
	"emoji":                     "\U0001f511",
	"emoji ZWJ sequence":        "\U0001f469\u200d\U0001f4bb",
	"combining acute":           "\u0301",
	"combining enclosing ring":  "\u20dd",
	"CJK ideograph":             "鍵",
	"zero width space":          "\u200b",
	"ANSI reset and space":      "\x1b[0m ",
	"OSC title and hyphen":      "\x1b]0;t\x07-",
}

// skeletonOf keeps the token alphabet [A-Za-z0-9_] of s.
func skeletonOf(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' {
			return r
		}
		return -1
	}, s)
}

// spelledOutPiece describes the first 16-character piece of secret's
// skeleton found in the skeleton of any view of out (raw, StripControl,
// terminal), "" if none. The text on either side of a Mask is read apart:
// the mask is visible, nobody reads through it.
func spelledOutPiece(out, secret string) string {
	skel := skeletonOf(secret)
	views := []struct{ name, text string }{{"raw", out}, {"StripControl", StripControl(out)}, {"terminal", terminalView(out)}}
	for _, v := range views {
		for _, part := range strings.Split(v.text, Mask) {
			ps := skeletonOf(part)
			for i := 0; i+pieceLen <= len(skel); i++ {
				if strings.Contains(ps, skel[i:i+pieceLen]) {
					return fmt.Sprintf("the %s view %q, its non-alphabet characters dropped, holds %q", v.name, v.text, skel[i:i+pieceLen])
				}
			}
		}
	}
	return ""
}

// TestRedactHeldSecretSpelledOut: the credential and a minted token,
// with a separator of every kind after every 1 to 15 characters (so no 16
// characters are ever side by side), are masked from their first character
// to their last, whether the text is redacted as it is, as a terminal shows
// it or after StripControl; no view of the result, its non-alphabet
// characters dropped, holds 16 characters of either.
func TestRedactHeldSecretSpelledOut(t *testing.T) {
	r := NewRedactor(legacyToken)
	r.Add(mintedToken)
	for name, sep := range spellingSeparators {
		t.Run(name, func(t *testing.T) {
			for _, secret := range []string{legacyToken, mintedToken} {
				for n := 1; n < pieceLen; n++ {
					in := `{"name":"ci ` + splitEvery(secret, sep, n) + `","id":1}`
					if got, want := r.Redact(in), `{"name":"ci `+Mask+`","id":1}`; got != want {
						t.Fatalf("every %d characters: Redact(%q)\n got %q\nwant %q", n, in, got, want)
					}
					for form, text := range map[string]string{"raw": in, "terminal": terminalView(in), "StripControl": StripControl(in)} {
						out := r.Redact(text)
						if msg := spelledOutPiece(out, secret); msg != "" {
							t.Fatalf("every %d characters, %s form: Redact(%q) = %q: %s", n, form, text, out, msg)
						}
						if again := r.Redact(out); again != out {
							t.Fatalf("not idempotent: %q then %q", out, again)
						}
					}
				}
			}
		})
	}
}

// TestRedactSpelledOutMasksFromFirstToLastCharacter: what surrounds the
// spelled-out secret stays, 15 spelled-out characters are left alone and 16
// are masked.
func TestRedactSpelledOutMasksFromFirstToLastCharacter(t *testing.T) {
	r := NewRedactor(legacyToken)
	r.Add(mintedToken)
	spaced := func(s string) string { return splitEvery(s, " ", 1) }
	tests := []struct{ name, in, want string }{
		{"in parentheses", "key (" + spaced(mintedToken) + ") leaked", "key (" + Mask + ") leaked"},
		{"one per line", "1\n" + splitEvery(legacyToken, "\n", 1) + "\nend", "1\n" + Mask + "\nend"},
		{"glued to other words", "ab" + spaced(legacyToken[3:30]) + "yz", "ab" + Mask + "yz"},
		{"16 characters", "x " + spaced(legacyToken[10:26]) + " y", "x " + Mask + " y"},
		{"15 characters are left alone", "x " + spaced(legacyToken[10:25]) + " y", "x " + spaced(legacyToken[10:25]) + " y"},
		{"two pieces apart", spaced(legacyToken[:20]) + " and " + spaced(mintedToken[30:50]), Mask + " and " + Mask},
		{"a piece on each side of a mask", spaced(legacyToken[:10]) + Mask + spaced(legacyToken[10:20]),
			spaced(legacyToken[:10]) + Mask + spaced(legacyToken[10:20])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Redact(tt.in); got != tt.want {
				t.Fatalf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestRedactSkeletonLeavesOrdinaryTextAlone: the skeleton view ignores
// every non-alphabet character, so it reads across words, JSON and
// punctuation; only 16 consecutive characters of a held random secret
// match, which ordinary text never holds.
func TestRedactSkeletonLeavesOrdinaryTextAlone(t *testing.T) {
	r := NewRedactor(liveToken, legacyToken)
	r.Add(mintedToken)
	texts := map[string]string{
		"10,000-key listing": benchKeyListJSON(10000, 0),
		"prose with hyphens": strings.Repeat("A well-known, state-of-the-art, up-to-date key-rotation how-to: "+
			"re-run neonkeys list --org-id org-bold-sun-12345678 -o json; e-mail the on-call co-worker. ", 50),
		"hex digests and uuids":     strings.Repeat("sha256:0123456789abcdef0123456789abcdef 8d4e0b6c-3f2a-4c1e-9b7d-000000000001\n", 100),
		"spaced letters and digits": strings.Repeat("a b c d e f 0 1 2 3 4 5 6 7 8 9 _ ", 20),
		"the secrets' characters reversed": splitEvery(reverse(legacyToken), " ", 1) + "\n" +
			splitEvery(reverse(mintedToken), "-", 2),
	}
	for name, text := range texts {
		t.Run(name, func(t *testing.T) {
			if got := r.Redact(text); got != text {
				t.Fatalf("changed: %s", firstDifference(got, text))
			}
		})
	}
}

// TestRedactPieceHoldingHyphen: a held credential with '-' in it (not a
// Neon token, but one may be registered) is still masked by 16-character
// runs that hold a '-', though its skeleton drops them.
func TestRedactPieceHoldingHyphen(t *testing.T) {
	held := "ab-cd-ef-gh-ij-kl-mn-op-qr-st-uv"
	r := NewRedactor(held)
	for _, in := range []string{"x " + held[3:22] + " y", "x " + held[1:17] + " y"} {
		if got, want := r.Redact(in), "x "+Mask+" y"; got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}
