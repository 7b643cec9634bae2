package secret

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// TestLimitForgetsOldest: a process redactor limited to n learned values
// (remote mode) holds at most n of the tokens minted through its requests'
// scoped redactors, forgets the oldest first, keeps the values it held
// before the limit (its own credential), and still masks a forgotten Neon
// token by its shape. Without a limit (stdio, CLI) it forgets nothing.
func TestLimitForgetsOldest(t *testing.T) {
	const n, extra = 8, 13
	const own = "process-own-credential-QWERTYUIOPzxcv"
	const neonShaped = "napi_firstmintedAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	mint := func(r *Redactor) {
		// Each token comes from a request: its scoped redactor passes it on.
		r.Scoped("request-credential-ASDFGHJKLmnbv").Add(neonShaped)
		for i := range n + extra {
			r.Scoped("request-credential-ASDFGHJKLmnbv").Add(minted(i))
		}
	}
	limited := NewRedactor(own)
	limited.Limit(n)
	mint(limited)
	unlimited := NewRedactor(own)
	mint(unlimited)

	if got := len(limited.values); got > 1+n {
		t.Fatalf("the limited redactor holds %d values, want at most %d (its own and %d learned)", got, 1+n, n)
	}
	if got := len(limited.pieces.skel); got > (1+n)*len(minted(0)) {
		t.Fatalf("the limited redactor's piece index holds %d windows: it kept forgotten values' pieces", got)
	}
	tests := []struct {
		name string
		r    *Redactor
		in   string
		want bool // masked
	}{
		{"the newest minted token", limited, "x " + minted(n+extra-1), true},
		{"a piece of the newest minted token", limited, "x " + minted(n + extra - 1)[3:25], true},
		{"the credential held before the limit", limited, "x " + own, true},
		{"a piece of that credential", limited, "x " + own[4:24], true},
		{"the oldest minted token, forgotten", limited, "x " + minted(0), false},
		{"a piece of it, forgotten", limited, "x " + minted(0)[3:25], false},
		{"a forgotten Neon token, by its shape", limited, "x " + neonShaped, true},
		{"without a limit, the oldest minted token", unlimited, "x " + minted(0), true},
		{"without a limit, a piece of it", unlimited, "x " + minted(0)[3:25], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.r.Redact(tt.in)
			if masked := strings.Contains(got, Mask); masked != tt.want {
				t.Fatalf("Redact(%q) = %q, masked %v, want %v", tt.in, got, masked, tt.want)
			}
		})
	}
}

// minted is the i-th of distinct random-looking tokens: no two share a run
// of 16 characters, so each is masked by its own value or pieces only.
func minted(i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprint(i)))
	return "minted-" + hex.EncodeToString(sum[:16])
}

// TestLimitKeepsAtMostN: whatever the number of values learned, the count
// never exceeds the limit, and the last one learned is always masked.
func TestLimitKeepsAtMostN(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 7, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := NewRedactor()
			r.Limit(n)
			for i := range 3*n + 5 {
				v := minted(i)
				r.Add(v)
				if len(r.learned) > n || len(r.values) > n {
					t.Fatalf("after %d values: %d learned, %d held; want at most %d", i+1, len(r.learned), len(r.values), n)
				}
				if !r.Contains(v) {
					t.Fatalf("the value just learned (%d) is not masked", i)
				}
			}
		})
	}
}

// BenchmarkRedactHolding measures what each minted token a redactor keeps
// costs every text it redacts (a 25 KB listing and a 1 KB answer): the
// reason the process redactor of remote mode keeps a bounded number.
func BenchmarkRedactHolding(b *testing.B) {
	for _, size := range []int{4, 100} {
		text := benchKeyListJSON(size, 0)
		for _, held := range []int{0, 16, 64, 256, 1024, 4096} {
			b.Run(fmt.Sprintf("%dKB/%d_tokens", len(text)>>10, held), func(b *testing.B) {
				r := NewRedactor()
				for i := range held {
					r.Add(minted(i))
				}
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					_ = r.Redact(text)
				}
			})
		}
	}
}

// BenchmarkAddAtLimit measures registering a minted token with a process
// redactor that is at its limit: the oldest quarter is forgotten and the
// piece index rebuilt once every limit/4 tokens, under the write lock.
func BenchmarkAddAtLimit(b *testing.B) {
	for _, limit := range []int{256, 1024, 4096} {
		b.Run(fmt.Sprint(limit), func(b *testing.B) {
			r := NewRedactor()
			r.Limit(limit)
			i := 0
			for ; i < limit; i++ {
				r.Add(minted(i))
			}
			for b.Loop() {
				r.Add(minted(i))
				i++
			}
		})
	}
}
