package secret

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRedact checks the redactor's promises on any text: no registered
// secret, no 16-character piece of one and no napi_ token shape survives,
// not in the result, not after a later StripControl, not as a terminal
// shows it (invisible characters and ANSI sequences gone), nor in any of
// these once every character outside [A-Za-z0-9_] is dropped (a secret
// spelled out); and redacting twice changes nothing more. The registered secret is drawn from a token
// alphabet, as every real credential is.
func FuzzRedact(f *testing.F) {
	f.Add("Authorization: Bearer "+liveToken, legacyToken)
	f.Add(`{"key":"`+liveToken+`","name":"ci"}`, "napi_0123456789abcdefXYZ")
	f.Add("NEON_API_KEY="+legacyToken+" neonkeys list --api-key -", legacyToken)
	f.Add("napi_napi_aaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa")
	f.Add("REDACTED [REDACTED] bearer bearer x", "REDACTED")
	f.Add("name "+liveToken[:20]+"\u200b"+liveToken[20:], liveToken)
	f.Add("echo "+legacyToken[3:48]+" cut", legacyToken)
	f.Add(splitEvery("napi_q7w8e9r0t1y2u3i4o5p6a7s8d9f0", "\x1b[0m", 6), legacyToken)
	// Invisible outside Cc and Cf: grapheme joiner, variation selectors,
	// fillers, blanks, every 15 characters.
	for _, sep := range []string{"\u034f", "\ufe0f", "\U000e0100", "\u3164", "\u2800", "\u00a0", "\u2028"} {
		f.Add("name "+splitEvery(legacyToken, sep, 15), legacyToken)
	}
	// Spelled out: separators that are not invisible (a red team's
	// unassigned, noncharacter, private-use, combining and emoji
	// separators, ASCII punctuation) every 1 to 15 characters.
	for i, sep := range []string{"\u0378", "\U0001d455", "\uffff", "\ufdd0", "\U0010ffff", "\ue000", "\u0cbc",
		"\U0001f3fb", "\ufffc", " ", "-", ".", ", ", "\n", "\U0001f511", "\u0301", "\x1b[0m "} {
		f.Add(`{"name":"ci `+splitEvery(legacyToken, sep, 1+i%15)+`"}`, legacyToken)
		f.Add("key "+splitEvery(mintedToken, sep, 15-i%15)+" end", mintedToken)
	}
	f.Fuzz(func(t *testing.T, text, value string) {
		r := NewRedactor()
		registered := strings.TrimSpace(value)
		tokenLike := len(registered) >= minSecretLen && !strings.Contains(Mask, registered) &&
			strings.Trim(registered, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == ""
		if tokenLike {
			r.Add(registered)
			text += " " + value + text // make sure the secret occurs
		}
		pieces := map[string]bool{} // every 16-character piece of the secret
		for i := 0; tokenLike && i+pieceLen <= len(registered); i++ {
			pieces[registered[i:i+pieceLen]] = true
		}
		once := r.Redact(text)
		for view, v := range map[string]string{"result": once, "StripControl": StripControl(once), "terminal": terminalView(once)} {
			if tokenLike && strings.Contains(v, registered) {
				t.Fatalf("registered secret %q survives in the %s view %q", registered, view, v)
			}
			if m := tokenShape.FindString(v); m != "" {
				t.Fatalf("token shape %q survives in the %s view %q", m, view, v)
			}
			for i := 0; tokenLike && i+pieceLen <= len(v); i++ {
				if pieces[v[i:i+pieceLen]] {
					t.Fatalf("a piece %q of the secret survives in the %s view %q", v[i:i+pieceLen], view, v)
				}
			}
		}
		if msg := spelledOutPiece(once, registered); tokenLike && msg != "" {
			t.Fatalf("Redact(%q) = %q: %s", text, once, msg)
		}
		if twice := r.Redact(once); twice != once {
			t.Fatalf("not idempotent:\n once %q\ntwice %q", once, twice)
		}
	})
}

// FuzzStripControl checks StripControl against its contract, written out
// from the Unicode property tables (invisibleByContract, not the product's
// isUnsafeRune): exactly the invisible runes go, everything else stays in
// order; the result is stable; hasUnsafe agrees with it.
func FuzzStripControl(f *testing.F) {
	f.Add("\x1b[31mred\x1b[0m")
	f.Add("safe\rEVIL\u202egnp.exe")
	f.Add("ad\u200bmin\u200d\ufeff")
	f.Add("clé 鍵 🔑 " + liveToken)
	f.Add("clé\u200b 鍵\u3164 🔑\u00a0 visible text around invisible text stays")
	f.Add("\xff\xfe invalid utf-8 \x1b")
	f.Add("ad\u034fmin\ufe0f\U000e0100 \u3164\uffa0\u115f\u1160\u2800")
	f.Add("no\u00a0break\u2028line\u3000wide\u180e\U000e0041\u17b4 \u0600 \ufffa \U00013430")
	f.Fuzz(func(t *testing.T, s string) {
		got := StripControl(s)
		if utf8.ValidString(s) {
			want := strings.Map(func(r rune) rune {
				if invisibleByContract(r) {
					return -1
				}
				return r
			}, s)
			if got != want {
				t.Fatalf("StripControl(%q) = %q, want %q", s, got, want)
			}
		}
		for _, r := range got {
			if invisibleByContract(r) {
				t.Fatalf("StripControl(%q) = %q keeps %U", s, got, r)
			}
		}
		if again := StripControl(got); again != got {
			t.Fatalf("not stable: %q then %q", got, again)
		}
		if hasUnsafe(s) != (got != s) {
			t.Fatalf("hasUnsafe(%q) = %v, but StripControl gives %q", s, hasUnsafe(s), got)
		}
	})
}

// FuzzTokenFileName checks that no key name escapes the directory or makes
// a hidden or oddly named file.
func FuzzTokenFileName(f *testing.F) {
	f.Add("../../etc/passwd")
	f.Add("/abs/path")
	f.Add("...")
	f.Add("")
	f.Add("ci-" + liveToken)
	f.Add("name\x00with\nnul\u202e")
	f.Fuzz(func(t *testing.T, name string) {
		dir := filepath.Join(string(filepath.Separator)+"srv", "secrets")
		got, err := TokenFileName(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		assertInside(t, dir, got)
		if base := filepath.Base(got); base == ".token" || len(base) > 255 {
			t.Fatalf("bad file name %q", base)
		}
	})
}
