package secret

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// tokenShape is the Neon token shape the redactor must never let through.
var tokenShape = regexp.MustCompile(`napi_[A-Za-z0-9]{16,}`)

const (
	liveToken   = "napi_k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8o9p0z1x2c3v4b5n6m7l8k9j0h1g2f3d4s5"
	legacyToken = "b7f3e1c9d2a84f6e0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a"
)

func TestRedactExactValues(t *testing.T) {
	r := NewRedactor(liveToken, legacyToken)
	tests := []struct {
		name, in, gone string
	}{
		{"napi token in prose", "the key " + liveToken + " leaked", liveToken},
		{"legacy prefix-less token", "key=" + legacyToken + ".", legacyToken},
		{"legacy token glued to text", "x" + legacyToken + "y", legacyToken},
		{"twice in one text", legacyToken + " and " + legacyToken, legacyToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Redact(tt.in)
			if strings.Contains(got, tt.gone) {
				t.Fatalf("Redact(%q) = %q: secret still there", tt.in, got)
			}
			if !strings.Contains(got, Mask) {
				t.Fatalf("Redact(%q) = %q: no %s marker", tt.in, got, Mask)
			}
		})
	}
}

func TestRedactAddTrimsAndDeduplicates(t *testing.T) {
	r := NewRedactor()
	r.Add("  "+legacyToken+"\n", legacyToken, "")
	if got := r.Redact("a " + legacyToken + " b"); got != "a "+Mask+" b" {
		t.Fatalf("got %q", got)
	}
}

func TestRedactLongestValueFirst(t *testing.T) {
	short := "abcdefgh12"
	long := short + "ijklmnop34"
	r := NewRedactor(short, long)
	got := r.Redact("v=" + long)
	if got != "v="+Mask {
		t.Fatalf("Redact = %q, want the longer secret masked whole", got)
	}
}

func TestRedactShapes(t *testing.T) {
	r := NewRedactor() // nothing registered: shapes only
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"napi token", "token napi_abcdefghijklmnop1234 here", "token " + Mask + " here"},
		{"napi too short is not a token", "napi_abc123", "napi_abc123"},
		{"Bearer header", "Authorization: Bearer abc.def-ghi", "Authorization: Bearer " + Mask},
		{"bearer lower case", "authorization: bearer abc", "authorization: bearer " + Mask},
		{"BEARER upper case", "BEARER xyz123", "BEARER " + Mask},
		{"bearer value ends at quote", `{"h":"Bearer sk-1"}`, `{"h":"Bearer ` + Mask + `"}`},
		{"env assignment", "NEON_API_KEY=plainsecret1 make", "NEON_API_KEY=" + Mask + " make"},
		{"env assignment quoted", `NEON_API_KEY="plainsecret1"`, `NEON_API_KEY="` + Mask + `"`},
		{"env yaml style", "NEON_API_KEY: plainsecret1", "NEON_API_KEY: " + Mask},
		{"api-key flag with value", "neonkeys list --api-key plainsecret1", "neonkeys list --api-key " + Mask},
		{"api-key flag with equals", "--api-key=plainsecret1", "--api-key=" + Mask},
		{"api-key stdin dash left alone", "neonkeys list --api-key - < key.txt", "neonkeys list --api-key - < key.txt"},
		{"api-key followed by another flag", "--api-key --org-id org-1", "--api-key --org-id org-1"},
		{"json key field", `{"id":1,"key":"opaque-value"}`, `{"id":1,"key":"` + Mask + `"}`},
		{"json token field spaced", `{"token" : "opaque"}`, `{"token" : "` + Mask + `"}`},
		{"json api_key field", `{"api_key":"opaque"}`, `{"api_key":"` + Mask + `"}`},
		{"json key_name is not a secret", `{"key_name":"ci"}`, `{"key_name":"ci"}`},
		{"plain text untouched", "list of 3 keys, nothing secret", "list of 3 keys, nothing secret"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Redact(tt.in); got != tt.want {
				t.Fatalf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactNilRedactorStillMasksShapes(t *testing.T) {
	var r *Redactor
	if got := r.Redact("Bearer " + liveToken); strings.Contains(got, liveToken) {
		t.Fatalf("nil redactor leaked: %q", got)
	}
}

func TestRedactIdempotent(t *testing.T) {
	r := NewRedactor(legacyToken, "REDACTED")
	inputs := []string{
		"Bearer " + liveToken,
		"NEON_API_KEY=" + legacyToken,
		`{"key":"` + liveToken + `","token":"Bearer x"}`,
		"--api-key " + legacyToken + " --api-key -",
		"bearer bearer bearer x",
		"REDACTED and [REDACTED]",
	}
	for _, in := range inputs {
		once := r.Redact(in)
		if twice := r.Redact(once); twice != once {
			t.Errorf("not idempotent for %q:\n once %q\ntwice %q", in, once, twice)
		}
	}
}

func TestRedactShortValuesIgnored(t *testing.T) {
	r := NewRedactor("a", "key", "1234567", "   ab   ")
	in := "a key of 1234567 ab"
	if got := r.Redact(in); got != in {
		t.Fatalf("short values garbled the text: %q", got)
	}
	if r.Contains(in) {
		t.Fatal("Contains reports a secret in plain text")
	}
	r.Add("12345678")
	if !r.Contains("x 12345678 y") {
		t.Fatal("an 8-byte value is a secret and must be masked")
	}
}

func TestRedactConcurrentAddAndRedact(t *testing.T) {
	r := NewRedactor()
	const n = 50
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("legacy%040d", i)
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r.Add(tokens[i])
		}()
		go func() {
			defer wg.Done()
			_ = r.Redact("some text " + tokens[(i+1)%n])
		}()
	}
	wg.Wait()
	for _, tok := range tokens {
		if got := r.Redact("x " + tok); strings.Contains(got, tok) {
			t.Fatalf("token added concurrently not masked: %q", got)
		}
	}
}

func TestWriterRedactsEachWrite(t *testing.T) {
	r := NewRedactor(legacyToken)
	var buf bytes.Buffer
	w := r.Writer(&buf)
	line := "error: Bearer " + liveToken + " key " + legacyToken + "\n"
	n, err := fmt.Fprint(w, line)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(line) {
		t.Fatalf("Write returned %d, want the caller's length %d", n, len(line))
	}
	out := buf.String()
	if strings.Contains(out, liveToken) || strings.Contains(out, legacyToken) {
		t.Fatalf("writer leaked a secret: %q", out)
	}
	if !strings.HasPrefix(out, "error: Bearer "+Mask) || !strings.HasSuffix(out, "\n") {
		t.Fatalf("writer changed the text around the secret: %q", out)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestWriterReportsUnderlyingError(t *testing.T) {
	w := NewRedactor().Writer(failingWriter{})
	if _, err := w.Write([]byte("hello")); err == nil {
		t.Fatal("want the underlying writer's error")
	}
}

func TestWriterConcurrentLinesStayWhole(t *testing.T) {
	r := NewRedactor(legacyToken)
	var buf bytes.Buffer
	w := r.Writer(&buf)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fmt.Fprintf(w, "line %s end\n", legacyToken)
		}()
	}
	wg.Wait()
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if line != "line "+Mask+" end" {
			t.Fatalf("interleaved or unredacted line: %q", line)
		}
	}
}
