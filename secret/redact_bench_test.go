package secret

import (
	"fmt"
	"strings"
	"testing"
)

// benchKeyListJSON builds a GET /api_keys answer of n keys (about 300 bytes
// each, so 10,000 keys are about 3 MB). Every tokenEvery-th key name holds
// a token-shaped string (key names are untrusted); 0 means none.
func benchKeyListJSON(n, tokenEvery int) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		name := fmt.Sprintf("key-%d", i)
		if tokenEvery > 0 && i%tokenEvery == 0 {
			name = fmt.Sprintf("leaked napi_%032d", i)
		}
		fmt.Fprintf(&sb, `{"id":%d,"name":%q,"created_at":"2026-11-01T10:%02d:%02dZ",`+
			`"created_by":{"id":"8d4e0b6c-3f2a-4c1e-9b7d-%012d","name":"Ada Lovelace","image":"https://example.com/avatar/%d.png"},`+
			`"last_used_at":"2026-11-20T08:15:%02dZ","last_used_from_addr":"192.0.2.%d"}`,
			1000000+i, name, i/60%60, i%60, i, i, i%60, i%250)
	}
	sb.WriteByte(']')
	return sb.String()
}

// BenchmarkRedact measures the redactor over a large listing, the biggest
// text a tool result or a CLI error can carry: one process-wide redactor
// that knows the credential and a few minted tokens.
func BenchmarkRedact(b *testing.B) {
	cases := []struct {
		name       string
		keys       int
		tokenEvery int
		nonASCII   bool // creator names in other scripts: every rune is checked for invisibility
	}{
		{"10k_keys_clean", 10000, 0, false},
		{"10k_keys_100_secrets", 10000, 100, false},
		{"10k_keys_non_ascii", 10000, 0, true},
		{"small_clean", 3, 0, false},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			text := benchKeyListJSON(tc.keys, tc.tokenEvery)
			if tc.nonASCII {
				text = strings.ReplaceAll(text, "Ada Lovelace", "Adèle Lövelace 鍵 Ада")
			}
			r := NewRedactor(liveToken, legacyToken, "napi_minted0000000000000000000000000001")
			if tc.tokenEvery > 0 && !strings.Contains(r.Redact(text), Mask) {
				b.Fatal("the planted tokens were not masked")
			}
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				_ = r.Redact(text)
			}
		})
	}
}
