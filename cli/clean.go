package cli

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"sync"

	"github.com/neonkeys/neonkeys/secret"
)

// cleanWriter is the one way text reaches the terminal (stdout and stderr),
// except a new token: each line is redacted, then loses every control and
// invisible character but the tab (ESC, CR, OSC, bidi overrides, zero-width
// characters). A hostile API cannot drive the terminal or rewrite a line a
// person is about to approve, whatever field its text came in, even if the
// API client let it through.
//
// With holdPartial (stdout) a line is cleaned only once whole, so a secret
// split across two writes (a buffered writer flushing mid-line) is still
// seen whole. Without it (stderr) each write is cleaned at once, so a prompt
// without a newline shows; every message is written in one call.
type cleanWriter struct {
	red         *secret.Redactor
	w           io.Writer
	holdPartial bool

	mu      sync.Mutex // the MCP server logs from several goroutines
	partial []byte
}

func newCleanWriter(red *secret.Redactor, w io.Writer, holdPartial bool) *cleanWriter {
	return &cleanWriter{red: red, w: w, holdPartial: holdPartial}
}

func (c *cleanWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data := p
	if len(c.partial) > 0 {
		data = append(c.partial, p...)
		c.partial = nil
	}
	end := len(data)
	if c.holdPartial {
		end = bytes.LastIndexByte(data, '\n') + 1
		if end < len(data) {
			c.partial = append([]byte(nil), data[end:]...)
		}
	}
	if end == 0 {
		return len(p), nil
	}
	if _, err := io.WriteString(c.w, cleanLines(c.red, string(data[:end]))); err != nil {
		return 0, err
	}
	// The caller's length: the cleaned text may be shorter or longer.
	return len(p), nil
}

// Flush writes a held line that never got its newline.
func (c *cleanWriter) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.partial) == 0 {
		return nil
	}
	s := cleanLines(c.red, string(c.partial))
	c.partial = nil
	_, err := io.WriteString(c.w, s)
	return err
}

// cleanLines cleans text line by line, keeping the newlines: each line on
// its own, since the redactor may return the control-free view of a line
// (and a newline is a control character).
func cleanLines(red *secret.Redactor, text string) string {
	var b strings.Builder
	b.Grow(len(text))
	for {
		line, rest, more := strings.Cut(text, "\n")
		b.WriteString(cleanKeepTabs(red.Redact(line)))
		if !more {
			return b.String()
		}
		b.WriteByte('\n')
		text = rest
	}
}

// cleanKeepTabs is secret.StripControl except for tabs, which our own
// output uses (shell completion scripts) and which do nothing harmful.
func cleanKeepTabs(s string) string {
	if !strings.Contains(s, "\t") {
		return secret.StripControl(s)
	}
	parts := strings.Split(s, "\t")
	for i, p := range parts {
		parts[i] = secret.StripControl(p)
	}
	return strings.Join(parts, "\t")
}

// cleanStrings applies clean to every exported string reachable from v:
// struct fields, slice and array elements, pointers. A pointer or a slice is
// cleaned in place; any other value is copied first. It returns what to
// encode. Every answer passes it before it is formatted, so JSON and YAML
// hold no control character even as an escape (`\u001b`) that `jq -r`
// would turn back into one, and no name can break a table's columns or
// start a line of its own in a preview.
func cleanStrings(v any, clean func(string) string) any {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return v
	}
	if rv.Kind() != reflect.Pointer && rv.Kind() != reflect.Slice {
		p := reflect.New(rv.Type())
		p.Elem().Set(rv)
		rv = p
	}
	cleanValue(rv, clean)
	return rv.Interface()
}

func cleanValue(v reflect.Value, clean func(string) string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			cleanValue(v.Elem(), clean)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			// CanSet is false for unexported fields (time.Time's location
			// among them): nothing of ours to clean, and cheaper to skip.
			if f := v.Field(i); f.CanSet() {
				cleanValue(f, clean)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			cleanValue(v.Index(i), clean)
		}
	case reflect.String:
		if s := v.String(); v.CanSet() {
			if c := clean(s); c != s {
				v.SetString(c)
			}
		}
	}
}
