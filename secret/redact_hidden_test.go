package secret

import (
	"strings"
	"testing"
)

// Secrets hidden from a plain scan: split by invisible characters, or
// quoted in part.

// splitters are characters a terminal does not show (or StripControl
// removes), each able to split a secret so no rule sees it whole.
var splitters = map[string]string{
	"zero width space": "\u200b",
	"NUL":              "\x00",
	"soft hyphen":      "\u00ad",
	"bidi override":    "\u202e",
	"bidi isolate":     "\u2066",
	"byte order mark":  "\ufeff",
	"ANSI reset":       "\x1b[0m",
	"ANSI colour":      "\x1b[1;31m",
	"lone ESC":         "\x1b",
	"newline":          "\n",
	"tab":              "\t",
	"DEL":              "\x7f",
	"C1 control":       "\u0085",
	// Outside Cc and Cf: default-ignorable characters and blanks.
	"grapheme joiner":      "\u034f",
	"variation selector":   "\ufe0f",
	"VS supplement":        "\U000e0100",
	"hangul filler":        "\u3164",
	"braille blank":        "\u2800",
	"no-break space":       "\u00a0",
	"ideographic space":    "\u3000",
	"line separator":       "\u2028",
	"khmer inherent vowel": "\u17b4",
	// Escape sequences a terminal hides whole, printable part included.
	"OSC title":           "\x1b]0;t\x07",
	"OSC 8 hyperlink":     "\x1b]8;;\x1b\\",
	"APC string":          "\x1b_junk\x1b\\",
	"DCS string":          "\x1bPq\x1b\\",
	"C1 CSI":              "\u009b31m",
	"C1 OSC":              "\u009d0;t\u009c",
	"ESC 7 save cursor":   "\x1b7",
	"charset designation": "\x1b(B",
}

// splitEvery inserts sep into s every n bytes.
func splitEvery(s, sep string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i:min(i+n, len(s))])
	}
	return b.String()
}

// terminalView is what a person sees, modelled on a terminal's parser
// (ECMA-48, as xterm reads it) and not on the package's code. A terminal
// shows nothing of an escape sequence: CSI (ESC [ or U+009B, parameters, a
// final byte), a control string (OSC, DCS, SOS, PM, APC: ESC ], P, X, ^, _ or
// U+009D, U+0090, U+0098, U+009E, U+009F, up to BEL, ESC \ or U+009C), or
// another escape (ESC, intermediates, a final byte). It acts on controls
// without drawing them and draws default-ignorable characters as nothing.
// Blanks (spaces other than U+0020, the braille blank) are dropped too: a
// reader's eye skips an empty cell inside a credential. A control string
// that never ends is shown, so the view errs on showing more.
// invisibleByContract (invisible_test.go) holds the character sets, written
// out from the unicode tables.
func terminalView(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == 0x1b && i+1 < len(rs) && rs[i+1] == '[', r == 0x9b:
			if r == 0x1b {
				i++
			}
			for i+1 < len(rs) && rs[i+1] >= 0x20 && rs[i+1] <= 0x3f {
				i++
			}
			if i+1 < len(rs) && rs[i+1] >= 0x40 && rs[i+1] <= 0x7e {
				i++
			}
		case r == 0x1b && i+1 < len(rs) && strings.ContainsRune("]PX^_", rs[i+1]), strings.ContainsRune("\u009d\u0090\u0098\u009e\u009f", r):
			if r == 0x1b {
				i++
			}
			for j := i + 1; j < len(rs); j++ {
				if rs[j] == 0x07 || rs[j] == 0x9c || rs[j] == 0x1b && j+1 < len(rs) && rs[j+1] == '\\' {
					if rs[j] == 0x1b {
						j++
					}
					i = j // the whole string is hidden
					break
				}
			}
		case r == 0x1b:
			j := i + 1
			for j < len(rs) && rs[j] >= 0x20 && rs[j] <= 0x2f {
				j++
			}
			if j < len(rs) && rs[j] >= 0x30 && rs[j] <= 0x7e {
				i = j
			}
		case !invisibleByContract(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// assertNoSecret fails if any view of out holds one of secrets, a napi_
// token shape or a Bearer value.
func assertNoSecret(t *testing.T, in, out string, secrets ...string) {
	t.Helper()
	views := map[string]string{"raw": out, "StripControl": StripControl(out), "terminal": terminalView(out)}
	for name, v := range views {
		for _, s := range secrets {
			if strings.Contains(v, s) {
				t.Errorf("Redact(%q) = %q: the %s view holds the secret %q", in, out, name, s)
			}
		}
		if m := tokenShape.FindString(v); m != "" {
			t.Errorf("Redact(%q) = %q: the %s view holds the token shape %q", in, out, name, m)
		}
		if strings.Contains(v, "Bearer abc123def") {
			t.Errorf("Redact(%q) = %q: the %s view holds a bearer value", in, out, name)
		}
	}
}

func TestRedactSecretSplitByInvisibleCharacters(t *testing.T) {
	decoy := "napi_q7w8e9r0t1y2u3i4o5p6a7s8d9f0g1h2j3k4" // token-shaped, never registered
	r := NewRedactor(legacyToken)
	for name, sep := range splitters {
		t.Run(name, func(t *testing.T) {
			inputs := []string{
				decoy[:12] + sep + decoy[12:],                      // the shape rule sees 7 characters, then none
				"name " + splitEvery(decoy, sep, 4) + " end",       // many pieces
				splitEvery(legacyToken, sep, 7),                    // held, every piece shorter than 16
				"key=" + legacyToken[:30] + sep + legacyToken[30:], // held, pieces of 30 and 34
				"Bear" + sep + "er abc123def",                      // the bearer rule needs the word whole
				`{"na` + sep + `me":"` + splitEvery(decoy, sep, 9) + `"}`,
			}
			for _, in := range inputs {
				out := r.Redact(in)
				assertNoSecret(t, in, out, decoy, legacyToken)
				// Order does not matter either: StripControl first, then Redact.
				assertNoSecret(t, in, r.Redact(StripControl(in)), decoy, legacyToken)
				if again := r.Redact(out); again != out {
					t.Errorf("not idempotent: %q then %q", out, again)
				}
			}
		})
	}
}

func TestRedactKeepsInvisibleCharactersWithoutAHiddenSecret(t *testing.T) {
	r := NewRedactor(legacyToken)
	tests := []struct{ in, want string }{
		// No secret at all: the text is returned as it is.
		{"ad\u200bmin \x1b[31mred\x1b[0m\nline two\ttab", "ad\u200bmin \x1b[31mred\x1b[0m\nline two\ttab"},
		// A secret in plain sight: masked, the invisible characters stay.
		{"ad\u200bmin " + liveToken + "\nnext " + legacyToken, "ad\u200bmin " + Mask + "\nnext " + Mask},
		// Only a hidden secret makes the result lose them.
		{"ad\u200bmin napi_abcdefgh\u200bijklmnopqrstuvwxyz", "admin " + Mask},
		{"a\x1b[1mb napi_abcdefgh\x1b[0mijklmnopqrstuvwxyz", "ab " + Mask},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactPiecesOfHeldSecrets(t *testing.T) {
	minted := "napi_m1n2t3e4d5t6o7k8e9n0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
	r := NewRedactor(legacyToken)
	r.Add(minted) // a token minted later is masked in part as well
	tests := []struct {
		name, in, want string
	}{
		{"45 characters of the credential", "Authorization: Bearer-ish " + legacyToken[3:48] + " (truncated)",
			"Authorization: Bearer-ish " + Mask + " (truncated)"},
		{"45 characters of a minted token", "quota for " + minted[7:52] + " exceeded", "quota for " + Mask + " exceeded"},
		{"a piece without the napi_ prefix", "tail " + minted[len(minted)-20:], "tail " + Mask},
		{"exactly 16 characters", "x " + legacyToken[10:26] + " y", "x " + Mask + " y"},
		{"glued to other token characters", "zzzz" + legacyToken[20:40] + "zzzz", "zzzz" + Mask + "zzzz"},
		{"two pieces of two secrets", legacyToken[:20] + minted[20:40], Mask},
		{"at the very start and end", legacyToken[40:] + "," + legacyToken[:17], Mask + "," + Mask},
		{"15 characters are left alone", "x " + legacyToken[10:25] + " y", "x " + legacyToken[10:25] + " y"},
		{"unrelated hex is left alone", "sha 0123456789abcdef0123456789abcdef", "sha 0123456789abcdef0123456789abcdef"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Redact(tt.in); got != tt.want {
				t.Fatalf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestRedactPiecesAtEveryOffset: the quick scan looks at 8-byte blocks at
// multiples of 8, so try every alignment of every 16-character piece.
func TestRedactPiecesAtEveryOffset(t *testing.T) {
	r := NewRedactor(legacyToken, liveToken)
	for _, secret := range []string{legacyToken, liveToken} {
		for start := 0; start+pieceLen <= len(secret); start++ {
			for _, n := range []int{pieceLen, pieceLen + 1, pieceLen + 7, pieceLen + 9} {
				if start+n > len(secret) {
					continue
				}
				piece := secret[start : start+n]
				for pad := range 2 * blockLen {
					in := strings.Repeat(" ", pad) + piece + "."
					if got := r.Redact(in); got != strings.Repeat(" ", pad)+Mask+"." {
						t.Fatalf("piece [%d:%d] after %d spaces: Redact = %q", start, start+n, pad, got)
					}
				}
			}
		}
	}
}

// TestRedactListingUnchanged: a large clean listing passes untouched (no
// false piece matches), and a secret planted in it is found.
func TestRedactListingUnchanged(t *testing.T) {
	r := NewRedactor(liveToken, legacyToken)
	text := benchKeyListJSON(2000, 0)
	if got := r.Redact(text); got != text {
		t.Fatal("a clean listing was changed")
	}
	planted := strings.Replace(text, `"key-1500"`, `"key `+legacyToken[5:50]+`"`, 1)
	if got := r.Redact(planted); strings.Contains(got, legacyToken[5:50]) || !strings.Contains(got, `"key `+Mask+`"`) {
		t.Fatal("a piece of the credential in a listing was not masked")
	}
	hidden := strings.Replace(text, `"key-1500"`, `"key `+splitEvery(liveToken, "\u200b", 10)+`"`, 1)
	if got := r.Redact(hidden); strings.Contains(StripControl(got), liveToken) || !strings.Contains(got, `"key `+Mask+`"`) {
		t.Fatal("a split token in a listing was not masked")
	}
}

func TestHasUnsafeMatchesStripControl(t *testing.T) {
	inputs := []string{"", "plain ascii text that is longer than sixteen bytes", "clé 鍵 🔑 and more text here",
		"\xff\xfe invalid", strings.Repeat("a", 15) + "\x00", strings.Repeat("a", 16) + "\x7f", strings.Repeat("é", 9) + "\u200b",
		"\u00e9, \u00df and \u00a9 are visible", "\u0301 a combining accent is visible", strings.Repeat("b", 31) + "\u0085"}
	for _, sep := range splitters {
		for pad := range 20 {
			inputs = append(inputs, strings.Repeat("x", pad)+sep+strings.Repeat("y", 20))
		}
	}
	for _, in := range inputs {
		if got, want := hasUnsafe(in), StripControl(in) != in; got != want {
			t.Errorf("hasUnsafe(%q) = %v, StripControl changes it: %v", in, got, want)
		}
	}
}
