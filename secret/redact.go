// Package secret is the one place that knows what a Neon secret looks like and
// where a token may go: the redactor every outgoing text passes through,
// fingerprints, token files and the cleaning of untrusted text.
package secret

import (
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Mask replaces every secret the redactor finds.
const Mask = "[REDACTED]"

// minSecretLen keeps the exact-value pass from masking short, common strings
// that a caller registered by mistake (a one-letter "key" would wreck every text).
const minSecretLen = 8

// A rule matches secrets by shape, including ones this process never saw:
// Neon tokens (napi_ + at least 16 characters), bearer values, and the places
// a key is commonly spelled out (env assignments, --api-key flags, JSON
// fields). A rule runs only when its marker is in the text, so the common
// case costs a substring scan instead of a regexp run over the whole text.
type rule struct {
	markers    []string // substrings without any of which the rule cannot match
	foldMarker bool     // look for the markers in any letter case
	re         *regexp.Regexp
}

// applies reports whether the rule's marker is in s.
func (ru rule) applies(s string) bool {
	for _, m := range ru.markers {
		if (ru.foldMarker && containsFold(s, m)) || (!ru.foldMarker && strings.Contains(s, m)) {
			return true
		}
	}
	return false
}

func rules() []rule {
	return []rule{
		{markers: []string{"napi_"}, re: regexp.MustCompile(`napi_[A-Za-z0-9]{16,}`)},
		{markers: []string{"bearer"}, foldMarker: true, re: regexp.MustCompile(`(?i)(bearer\s+)[^\s"',;\\]+`)},
		// Placeholders (<key>, [REDACTED], $VAR, ${VAR}) are advice, not secrets.
		{markers: []string{"NEON_API_KEY"}, re: regexp.MustCompile(`(NEON_API_KEY\s*[=:]\s*"?)[^\s"',;\\<\[$][^\s"',;\\]*`)},
		{markers: []string{"--api-key"}, re: regexp.MustCompile(`(--api-key[=\s]+)[^\s"',;\\\-<\[$][^\s"',;\\]*`)},
		{markers: []string{`"key"`, `"api_key"`, `"token"`}, re: regexp.MustCompile(`("(?:key|api_key|token)"\s*:\s*")[^"]+`)},
	}
}

// Redactor masks secrets in text. It knows every exact secret value the
// process holds (the credential, minted tokens), so it also masks any run of
// 16 or more characters of one, even spelled out with other characters
// between them (pieces.go), plus the shapes of secrets it has never seen. The zero value is not usable; call NewRedactor. Safe for concurrent
// use.
type Redactor struct {
	rules  []rule
	mu     sync.RWMutex
	values []string // longest first, so a value containing another is masked whole
	pieces pieceIndex
	// uncovered counts the values the piece index cannot find on its own
	// (see covered): only with one of them must the exact pass run on a
	// text in which the index found nothing.
	uncovered int
	// parent, set by Scoped, masks everything else, and learns what Add
	// registers: only the values given to Scoped die with this redactor.
	parent *Redactor
	// limit, set by Limit, bounds learned: the values added since, oldest
	// first. 0: no limit, and learned stays empty.
	limit   int
	learned []string
}

// NewRedactor returns a redactor that knows the given secret values.
func NewRedactor(values ...string) *Redactor {
	r := &Redactor{rules: rules()}
	r.Add(values...)
	return r
}

// Scoped returns a redactor that masks values as well as all that r masks,
// for as long as the caller holds it: a credential that came with one
// request (remote mode) is masked in everything that request says, and is
// not kept once the request ended. Add on the scoped redactor registers with
// r, so a token minted during the request stays masked after it.
func (r *Redactor) Scoped(values ...string) *Redactor {
	s := &Redactor{parent: r}
	s.addOwn(values)
	return s
}

// Limit makes r remember at most n of the values added from now on,
// forgetting the oldest first; the values it holds now (the process's own
// credential) stay for as long as r lives. A server that runs for months
// and mints keys for its callers (remote mode) would otherwise keep every
// token it ever minted, and check each in every text. A forgotten Neon
// token is still masked by its shape (napi_); only its exact value and its
// pieces are no longer known. A later call changes n only; n below 1 counts
// as 1. Meant for a process redactor: a Scoped one passes what Add gets to
// its parent.
func (r *Redactor) Limit(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.limit = max(n, 1)
	r.forgetOldest()
}

// forgetOldest drops the oldest learned values once there are more than
// the limit, down to three quarters of it, and rebuilds the piece index
// from the values left: the index cannot drop one value, and rebuilding it
// once per quarter of the limit keeps the cost of an Add flat. The caller
// holds r.mu.
func (r *Redactor) forgetOldest() {
	if r.limit == 0 || len(r.learned) <= r.limit {
		return
	}
	drop := len(r.learned) - (r.limit - r.limit/4)
	gone := make(map[string]bool, drop)
	for _, v := range r.learned[:drop] {
		gone[v] = true
	}
	r.learned = append([]string(nil), r.learned[drop:]...)
	kept := r.values[:0]
	r.pieces = pieceIndex{}
	r.uncovered = 0
	for _, v := range r.values {
		if !gone[v] {
			kept = append(kept, v)
			r.index(v)
		}
	}
	clear(r.values[len(kept):]) // no reference to a forgotten value stays in the array
	r.values = kept
}

// Add registers exact secret values. Values shorter than 8 bytes are ignored:
// no Neon token is that short and masking them would garble ordinary text.
func (r *Redactor) Add(values ...string) {
	if r.parent != nil {
		r.mu.RLock()
		var rest []string
		for _, v := range values {
			if !containsString(r.values, strings.TrimSpace(v)) {
				rest = append(rest, v)
			}
		}
		r.mu.RUnlock()
		if len(rest) > 0 {
			r.parent.Add(rest...)
		}
		return
	}
	r.addOwn(values)
}

// addOwn registers values with r itself.
func (r *Redactor) addOwn(values []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	added := false
	for _, v := range values {
		v = strings.TrimSpace(v)
		// A value inside Mask itself would be re-masked on every pass.
		if len(v) < minSecretLen || strings.Contains(Mask, v) || containsString(r.values, v) {
			continue
		}
		r.values = append(r.values, v)
		r.index(v)
		if r.limit > 0 {
			r.learned = append(r.learned, v)
		}
		added = true
	}
	if !added {
		return // nothing new: keep the order, and hold the lock no longer
	}
	r.forgetOldest()
	sort.Slice(r.values, func(i, j int) bool { return len(r.values[i]) > len(r.values[j]) })
}

// index adds v to the piece index, and counts it when the index cannot
// find it alone. The caller holds r.mu.
func (r *Redactor) index(v string) {
	r.pieces.add(v)
	if !covered(v) {
		r.uncovered++
	}
}

// covered reports whether the piece index finds every occurrence of v on
// its own: v's skeleton holds a whole window, and no Mask in a text can
// cut v. The index reads the text on either side of a Mask apart, and a
// Mask cuts a value that holds one, begins with its end ("D]…": in
// "[REDACTE"+v the index sees v less "D") or ends with its start ("…[R"):
// each such value holds a bracket.
func covered(v string) bool {
	return len(skeleton(v)) >= pieceLen && !strings.ContainsAny(v, "[]")
}

// Known returns a redactor that knows the secret values r knows now and
// masks only those and their pieces, without the shape rules: Known().Contains(s)
// says whether s holds a secret held at this moment, whatever r learns later
// (a create answer's token is registered while it is decoded, before it can be
// compared with the secrets held before it).
func (r *Redactor) Known() *Redactor {
	var values []string
	for at := r; at != nil; at = at.parent {
		at.mu.RLock()
		values = append(values, at.values...)
		at.mu.RUnlock()
	}
	k := &Redactor{}
	k.Add(values...)
	return k
}

// Redact returns s with every known secret value, every run of 16 or more
// characters of one (whatever characters outside [A-Za-z0-9_] stand
// between them: "n a p i _ …" is masked from its first character to its
// last), and every secret-shaped substring replaced by Mask.
//
// Text that holds invisible characters (anything StripControl removes, and
// terminal escape sequences) is also checked as a terminal would show it and as
// StripControl leaves it: a secret split by a zero-width space passes a
// plain scan, then reappears whole on screen or after a later StripControl.
// If that view holds a secret, Redact returns the view, redacted: the
// invisible characters are lost only in that case.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		// A caller that forgot its redactor still gets the shape rules:
		// slower, but never an unmasked token.
		r = NewRedactor()
	}
	out := r.redact(s)
	if !hasUnsafe(out) {
		return out
	}
	views := []string{StripControl(out)}
	if esc := stripEscapes(out); esc != out {
		views = append(views, StripControl(esc))
	}
	for _, v := range views {
		if again := r.redact(v); again != v {
			return again
		}
	}
	return out
}

// redact is one pass over s as it is: exact values, pieces of them (in a
// row or spelled out), shapes.
func (r *Redactor) redact(s string) string {
	r.mu.RLock()
	// The piece index finds every covered value wherever it stands, so the
	// exact pass (a scan of the text per value: the cost of a redactor
	// holding many tokens) runs only when the index found something, or
	// when a value escapes it. It runs first then, so a value is masked
	// whole, with its characters outside the skeleton's alphabet.
	masked := r.pieces.mask(s)
	if masked != s || r.uncovered > 0 {
		for _, v := range r.values {
			if strings.Contains(s, v) {
				s = strings.ReplaceAll(s, v, Mask)
			}
		}
		masked = r.pieces.mask(s)
	}
	s = masked
	r.mu.RUnlock()
	if r.parent != nil {
		return r.parent.redact(s)
	}
	for _, ru := range r.rules {
		if !ru.applies(s) {
			continue
		}
		if ru.re.NumSubexp() == 0 {
			s = ru.re.ReplaceAllLiteralString(s, Mask)
		} else {
			s = ru.re.ReplaceAllString(s, "${1}"+Mask)
		}
	}
	return s
}

// Contains reports whether s holds a secret the redactor would mask.
func (r *Redactor) Contains(s string) bool { return r.Redact(s) != s }

// containsFold reports whether s holds the lowercase ASCII word sub in any
// case, without copying s (a 3 MB key list must not be lowered to scan it).
func containsFold(s, sub string) bool {
	first := sub[0] &^ 0x20 // upper case
	for i := 0; i+len(sub) <= len(s); i++ {
		j := strings.IndexAny(s[i:], string([]byte{first, first | 0x20}))
		if j < 0 {
			return false
		}
		i += j
		if i+len(sub) <= len(s) && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func containsString(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// Writer returns an io.Writer that redacts each write before passing it to w.
// Every log line of the program is written in one Write call (slog handlers
// and fmt.Fprint* do so), so a secret is never split across two writes.
func (r *Redactor) Writer(w io.Writer) io.Writer { return &redactingWriter{r: r, w: w} }

type redactingWriter struct {
	mu sync.Mutex
	r  *Redactor
	w  io.Writer
}

func (rw *redactingWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if _, err := io.WriteString(rw.w, rw.r.Redact(string(p))); err != nil {
		return 0, err
	}
	// Report the caller's length: the redacted text may be shorter or longer.
	return len(p), nil
}
