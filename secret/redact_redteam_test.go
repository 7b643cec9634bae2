package secret

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// forceExact makes r and its parents run the exact pass on every text, as
// Redact did before the piece index was trusted to find covered values
// alone: the oracle the redactor that skips it is compared with.
func forceExact(r *Redactor) {
	for at := r; at != nil; at = at.parent {
		at.mu.Lock()
		at.uncovered = 1 << 30
		at.mu.Unlock()
	}
}

// TestRedactValueAtTheEdgeOfAMask: a held value that begins with the end
// of Mask ("D]…") or ends with its start ("…[R") can stand in a text whose
// Mask swallows its edge ("[REDACTE" + value). The piece index reads the
// text either side of a Mask apart, so it sees fewer than 16 of the value's
// characters, finds nothing, and the exact pass must still run: otherwise
// 15 characters of the secret are shown.
func TestRedactValueAtTheEdgeOfAMask(t *testing.T) {
	tests := []struct {
		name, value, text string
	}{
		{"value starts with the mask's end", "D]abcdefghijklmno", "[REDACTE" + "D]abcdefghijklmno" + " tail"},
		{"value starts with more of the mask's end", "TED]Zq8xT2mK9vR4wL", "x [REDAC" + "TED]Zq8xT2mK9vR4wL"},
		{"value ends with the mask's start", "Zq8xT2mK9vR4wL7[R", "x Zq8xT2mK9vR4wL7[R" + "EDACTED] tail"},
		{"both edges", "D]Zq8xT2mK9vR4w[RE", "[REDACTE" + "D]Zq8xT2mK9vR4w[RE" + "DACTED]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRedactor(tt.value)
			oracle := NewRedactor(tt.value)
			forceExact(oracle)
			got, want := r.Redact(tt.text), oracle.Redact(tt.text)
			if got != want {
				t.Fatalf("Redact(%q) = %q, want %q (the value masked)", tt.text, got, want)
			}
		})
	}
}

// TestRedactSkippingTheExactPassMasksAsMuch compares Redact with the exact
// pass forced on, over random texts built from held values (with
// punctuation a bearer token may hold, repeating skeletons, brackets,
// values inside other values, Unicode and Masks around them), for a plain
// redactor, a Scoped one (values held by the child, by the parent, or
// both) and a parent with a Limit that has forgotten some: the outputs
// must be equal.
func TestRedactSkippingTheExactPassMasksAsMuch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 1500 {
		pool := randomValues(rng)
		build := func() *Redactor {
			parent := NewRedactor(pool[0])
			if round%3 == 2 {
				parent.Limit(2)
			}
			parent.Add(pool[1 : len(pool)/2]...)
			if round%3 == 0 {
				parent.Add(pool[len(pool)/2:]...)
				return parent
			}
			return parent.Scoped(pool[len(pool)/2:]...)
		}
		r, oracle := build(), build()
		forceExact(oracle)
		for range 20 {
			text := randomText(rng, pool)
			got, want := r.Redact(text), oracle.Redact(text)
			if got != want {
				t.Fatalf("round %d, values %q:\nRedact(%q)\n = %q\nwant %q (exact pass forced)", round, pool, text, got, want)
			}
		}
	}
}

// randomValues returns 2 to 7 secret values of the kinds that could escape
// the piece index: the first one random, each other one random, a part of
// an earlier one, or a repeat of a short run.
func randomValues(rng *rand.Rand) []string {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
	const bearer = "-._~+/="
	edges := []string{"", "", "", "D]", "ED]", "]", "[", "[R", "[RED", "é", "\u200b"}
	n := 2 + rng.IntN(6)
	values := make([]string, 0, n)
	for len(values) < n {
		var b strings.Builder
		b.WriteString(edges[rng.IntN(len(edges))])
		switch k := rng.IntN(4); {
		case k == 0 && len(values) > 0: // a part of an earlier value
			prev := values[rng.IntN(len(values))]
			from := rng.IntN(len(prev)/2 + 1)
			b.WriteString(prev[from:])
		case k == 1: // a repeating skeleton
			run := randomRun(rng, alnum, 2+rng.IntN(5))
			b.WriteString(strings.Repeat(run, 3+rng.IntN(8)))
		default:
			size := 12 + rng.IntN(30)
			for range size {
				if rng.IntN(6) == 0 {
					b.WriteByte(bearer[rng.IntN(len(bearer))])
				} else {
					b.WriteByte(alnum[rng.IntN(len(alnum))])
				}
			}
		}
		b.WriteString(edges[rng.IntN(len(edges))])
		values = append(values, b.String())
	}
	return values
}

func randomRun(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// randomText glues held values, parts of them, Masks and parts of Masks,
// separators and Unicode.
func randomText(rng *rand.Rand, pool []string) string {
	filler := []string{" ", "-", ".", "\n", "é", "🔑", "\u200b", Mask, "[REDACTE", "D]", "[R", "EDACTED]", "x", "ab", "\x1b[0m", `"`}
	var b strings.Builder
	for range 1 + rng.IntN(8) {
		switch rng.IntN(4) {
		case 0, 1:
			b.WriteString(pool[rng.IntN(len(pool))])
		case 2:
			v := pool[rng.IntN(len(pool))]
			from := rng.IntN(len(v))
			b.WriteString(v[from : from+rng.IntN(len(v)-from)+1])
		default:
			b.WriteString(filler[rng.IntN(len(filler))])
		}
	}
	return b.String()
}

// TestRedactLimitConcurrent: many requests add minted tokens through their
// scoped redactors to a limited process redactor while others redact; the
// race detector watches, the request's credential and the process's own
// are masked throughout (the limit forgets learned tokens only), and the
// limit holds at the end.
func TestRedactLimitConcurrent(t *testing.T) {
	parent := NewRedactor("process-own-credential-QWERTYUIOPzxcv")
	parent.Limit(16)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				s := parent.Scoped(fmt.Sprintf("request-credential-%02d-ASDFGHJKLmnbv", g))
				tok := minted(g*1000 + i)
				s.Add(tok)
				for _, text := range []string{"cred request-credential-" + fmt.Sprintf("%02d", g) + "-ASDFGHJKLmnbv", "own process-own-credential-QWERTYUIOPzxcv"} {
					if got := s.Redact(text); !strings.Contains(got, Mask) {
						errs <- fmt.Sprintf("Redact(%q) = %q", text, got)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	parent.mu.RLock()
	defer parent.mu.RUnlock()
	if len(parent.learned) > 16 {
		t.Fatalf("the limited redactor learned %d values, want at most 16", len(parent.learned))
	}
}

// FuzzRedactSkipMatchesExact is the property above on the fuzzer's texts
// and values: a parent holding one value, a Scoped child holding another,
// the text made to hold both; Redact must equal Redact with the exact pass
// forced on.
func FuzzRedactSkipMatchesExact(f *testing.F) {
	f.Add("[REDACTE", "D]abcdefghijklmno", "Zq8xT2mK9vR4wL7[R")
	f.Add("x EDACTED] y", "napi_k3j4h5g6f7d8s9a0q1w2e3r4", "abcabcabcabcabcabcabc")
	f.Add("é\u200b", "Zq8x.T2mK/9vR4+wL7pN=3bH6cJ1==", "T2mK/9vR4+wL7pN=3bH6")
	f.Fuzz(func(t *testing.T, text, parentValue, childValue string) {
		build := func() *Redactor { return NewRedactor(parentValue).Scoped(childValue) }
		r, oracle := build(), build()
		forceExact(oracle)
		for _, s := range []string{text, text + parentValue + text + childValue, childValue + text + parentValue} {
			if got, want := r.Redact(s), oracle.Redact(s); got != want {
				t.Fatalf("Redact(%q) = %q, want %q (exact pass forced)", s, got, want)
			}
		}
	})
}
