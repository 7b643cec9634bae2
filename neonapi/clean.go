package neonapi

import (
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/neonkeys/neonkeys/secret"
)

// Every string the client decodes from an answer is cleaned before it
// leaves this package, whatever its field: cut to maxTextLen runes with
// cutMarker, redacted (the credential, minted tokens, token shapes) and
// stripped of control, bidi and invisible characters. A hostile or broken
// API can then neither drive a terminal, nor hide a secret, nor fill memory
// or a transcript through a field nobody thought of: new fields are covered
// without new code (cleanDecoded walks the decoded value by reflection).
//
// Struct tags of type neon say how a string field is treated:
//
//	neon:"token"  passed as is: the token of a create answer, which the
//	              caller delivers and registers with the redactor
//	neon:"id"     an identifier: the characters StripControl would remove
//	              are replaced by U+FFFD instead, so an id that held them
//	              fails the id check visibly rather than silently turning into
//	              another, valid id (ids go back into request paths)

// maxTextLen bounds, in runes, every string from the API: Neon's key names
// are at most 64 characters and its ids at most 60, so 256 keeps every real
// value whole (an avatar URL included) and cuts a hostile one long before
// it can matter.
const maxTextLen = 256

// maxURLLen bounds a URL quoted in an error.
const maxURLLen = 200

// cutMarker ends a string that was cut, so a reader sees it was.
const cutMarker = "…[cut]"

// cleanDecoded cleans every exported string reachable from v (a pointer
// to the decoded answer) in place. Tokens are registered with the redactor
// first, so a create answer that quotes its own new token in another field
// has it masked there.
func (c *Client) cleanDecoded(v any) {
	w := walker{plans: map[reflect.Type][]fieldPlan{}}
	root := reflect.ValueOf(v)
	w.walk(root, "", func(s reflect.Value, tag string) {
		if tag == "token" {
			c.redactor.Add(s.String())
		}
	})
	// The same text comes back many times in a list (created_by repeats on
	// every key): a small cache, one slot per length, cleans a repeated
	// value once. A map would cost more than it saves on unique names.
	var cache [64]struct {
		raw, clean string
		isID, set  bool
	}
	w.walk(root, "", func(s reflect.Value, tag string) {
		if tag == "token" {
			return
		}
		raw, isID := s.String(), tag == "id"
		slot := &cache[len(raw)%len(cache)]
		if !slot.set || slot.isID != isID || slot.raw != raw {
			var clean string
			if isID {
				clean = cleanID(c.redactor, raw)
			} else {
				clean = cleanText(c.redactor, raw, maxTextLen)
			}
			slot.raw, slot.clean, slot.isID, slot.set = raw, clean, isID, true
		}
		s.SetString(slot.clean)
	})
}

// walker visits every settable string reachable from a value, with the
// neon tag of the struct field that holds it. Numbers, booleans and
// time.Time (no exported fields) carry no text; the decoded types hold no
// maps (TestDecodedTypesAreWalked). It looks at each struct type once per
// walk: a 10,000-key list would otherwise spend most of its cleaning time
// in reflect.Type.Field.
type walker struct {
	plans map[reflect.Type][]fieldPlan
}

// fieldPlan is an exported struct field that can hold text.
type fieldPlan struct {
	index int
	tag   string
}

func (w walker) walk(v reflect.Value, tag string, visit func(reflect.Value, string)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem(), tag, visit)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			w.walk(v.Index(i), tag, visit)
		}
	case reflect.Struct:
		for _, f := range w.plan(v.Type()) {
			w.walk(v.Field(f.index), f.tag, visit)
		}
	case reflect.String:
		if v.CanSet() {
			visit(v, tag)
		}
	}
}

// plan lists the fields of struct type t worth a visit.
func (w walker) plan(t reflect.Type) []fieldPlan {
	if p, ok := w.plans[t]; ok {
		return p
	}
	p := []fieldPlan{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && canHoldText(f.Type) {
			p = append(p, fieldPlan{index: i, tag: f.Tag.Get("neon")})
		}
	}
	w.plans[t] = p
	return p
}

// canHoldText reports whether a value of type t can reach a string through
// exported fields. time.Time and *time.Time cannot.
func canHoldText(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return canHoldText(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && canHoldText(f.Type) {
				return true
			}
		}
	}
	return false
}

// cleanText cuts s to at most n runes, redacts it and strips control and
// invisible characters. It cuts first so a 60 MB string costs no more than
// a short one; a secret cut in two leaves at most a piece of it behind, and
// the redactor masks any piece of 16 characters or more. red may be nil
// (then only the redactor's shape rules apply).
func cleanText(red *secret.Redactor, s string, n int) string {
	if s == "" {
		return s
	}
	s = red.Redact(cutRunes(s, n))
	if !printableASCII(s) {
		s = secret.StripControl(s)
	}
	return cutRunes(s, n+len(cutMarker)) // redaction can lengthen a little
}

// printableASCII reports whether s holds only bytes 0x20 to 0x7e, which
// StripControl leaves alone: most strings from the API, checked without
// decoding runes.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// cleanID is cleanText for an identifier: what StripControl would drop is
// shown as U+FFFD, which no Neon id pattern accepts.
func cleanID(red *secret.Redactor, s string) string {
	if s == "" {
		return s
	}
	s = red.Redact(cutRunes(s, maxTextLen))
	if !printableASCII(s) && secret.StripControl(s) != s {
		var b strings.Builder
		for _, r := range s {
			if secret.StripControl(string(r)) == "" {
				r = utf8.RuneError
			}
			b.WriteRune(r)
		}
		s = b.String()
	}
	return cutRunes(s, maxTextLen+len(cutMarker))
}

// cutRunes cuts s to n runes and appends cutMarker; shorter strings are
// returned as they are. It reads at most n runes of s.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s // fewer bytes than n, so fewer runes
	}
	i := 0
	for count := 0; i < len(s); count++ {
		if count == n {
			return s[:i] + cutMarker
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s
}
