package destination

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"syscall"
)

// dotenvDest sets one variable in a .env file, keeping every other line,
// comment and their order.
type dotenvDest struct {
	name string
	spec DotenvSpec
}

func (d *dotenvDest) Name() string { return d.name }
func (d *dotenvDest) Kind() Kind   { return KindDotenv }
func (d *dotenvDest) Target() string {
	return fmt.Sprintf("%s in %s (its value replaced, other lines kept)", d.spec.Var, d.spec.Path)
}

func (d *dotenvDest) Preflight(ctx context.Context) error {
	if err := checkWritablePath(d.spec.Path); err != nil {
		return err
	}
	// Delivery reads it to keep its other lines.
	content, err := readDotenv(d.spec.Path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", d.spec.Path, err)
	}
	if err := checkQuotesClose(parseDotenv(string(content))); err != nil {
		return fmt.Errorf("%s: %w", d.spec.Path, err)
	}
	return nil
}

// checkQuotesClose refuses a file with a quoted value that never closes (a
// typo such as FOO="bar): it swallows every later line, so a new
// assignment would land inside it, and replacing it would drop them.
func checkQuotesClose(entries []entry) error {
	for _, e := range entries {
		if e.open {
			return fmt.Errorf("line %d opens a quote (%c) that never closes: fix the file first", e.line, e.quote)
		}
	}
	return nil
}

func (d *dotenvDest) Deliver(ctx context.Context, token string) (string, error) {
	path := d.spec.Path
	mode, err := existingMode(path, 0o600)
	if err != nil {
		return "", err
	}
	old, err := readDotenv(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	updated, err := setDotenv(old, d.spec.Var, token)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if err := writeAtomic(path, updated, mode); err != nil {
		return "", err
	}
	back, err := readDotenv(path)
	if err != nil {
		return "", mayBeWritten(fmt.Errorf("read %s back: %w", path, err))
	}
	if vals := dotenvValues(back, d.spec.Var); len(vals) == 0 || !allEqual(vals, token) {
		return "", mayBeWritten(fmt.Errorf("%s does not hold the new %s after writing it (another program changed it?)", path, d.spec.Var))
	}
	return "written and read back", nil
}

// maxDotenv is the largest .env neonkeys rewrites. A .env is a few
// hundred bytes; a bigger file is a path pointing at the wrong thing (a
// log, a dump), which must not be read whole and rewritten.
const maxDotenv = 1 << 20

// readDotenv reads a .env file of at most maxDotenv bytes. O_NONBLOCK: a
// named pipe swapped in after the checks cannot make the open wait.
func readDotenv(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDotenv+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxDotenv {
		return nil, fmt.Errorf("it is larger than %d KiB, so it is not a .env file (check the path in the config)", maxDotenv>>10)
	}
	return data, nil
}

func allEqual(vals []string, want string) bool {
	for _, v := range vals {
		if v != want {
			return false
		}
	}
	return true
}

// A .env entry: optional indent, optional "export ", NAME, optional blanks, '='.
var dotenvAssign = regexp.MustCompile(`^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$`)

// entry is one logical line of a .env file: a physical line, or an
// assignment whose quoted value runs over several lines.
type entry struct {
	lines []string // physical lines, without "\n" ("\r" kept)
	name  string   // the variable assigned, or ""
	quote byte     // the old value's quote, 0 for a bare value
	value string   // the value, unquoted (the first line's part for multi-line)
	line  int      // its first line, from 1
	open  bool     // its quote never closes: it runs to the end of the file
}

// parseDotenv splits content into entries. It understands what the common
// loaders accept: comments, blank lines, export, single and double quotes
// (a double-quoted value may span lines), an inline # comment after a bare
// value.
func parseDotenv(content string) []entry {
	lines := strings.Split(content, "\n")
	var out []entry
	for i := 0; i < len(lines); i++ {
		e := entry{lines: []string{lines[i]}, line: i + 1}
		m := dotenvAssign.FindStringSubmatch(strings.TrimSuffix(lines[i], "\r"))
		if m != nil {
			e.name = m[2]
			e.quote, e.value = unquoteDotenv(m[3])
			if e.quote != 0 && !closesQuote(m[3][1:], e.quote) {
				// A quoted value that goes on: take lines up to its closing quote.
				e.open = true
				for i+1 < len(lines) {
					i++
					e.lines = append(e.lines, lines[i])
					if closesQuote(lines[i], e.quote) {
						e.open = false
						break
					}
				}
			}
		}
		out = append(out, e)
	}
	return out
}

func closesQuote(s string, q byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && q == '"' {
			i++
			continue
		}
		if s[i] == q {
			return true
		}
	}
	return false
}

// unquoteDotenv returns a value's quote and its text.
func unquoteDotenv(raw string) (byte, string) {
	raw = strings.TrimRight(raw, " \t\r")
	if raw != "" && (raw[0] == '"' || raw[0] == '\'') {
		q := raw[0]
		if j := strings.IndexByte(raw[1:], q); j >= 0 {
			return q, raw[1 : 1+j]
		}
		return q, raw[1:]
	}
	if j := strings.Index(raw, " #"); j >= 0 {
		raw = raw[:j]
	}
	return 0, strings.TrimSpace(raw)
}

// dotenvValues returns every value assigned to name, in order.
func dotenvValues(content []byte, name string) []string {
	var vals []string
	for _, e := range parseDotenv(string(content)) {
		if e.name == name {
			vals = append(vals, e.value)
		}
	}
	return vals
}

// setDotenv sets name to value in content: every assignment of name is
// replaced in place (keeping its indent, export and quote style), so no
// stale copy of the old token is left further down; with none, one line is
// appended. Every other byte is kept.
func setDotenv(content []byte, name, value string) ([]byte, error) {
	entries := parseDotenv(string(content))
	if err := checkQuotesClose(entries); err != nil {
		return nil, err
	}
	found := false
	var b strings.Builder
	for i, e := range entries {
		if e.name == name {
			found = true
			line, err := dotenvLine(e, value)
			if err != nil {
				return nil, err
			}
			b.WriteString(line)
		} else {
			b.WriteString(strings.Join(e.lines, "\n"))
		}
		if i < len(entries)-1 {
			b.WriteByte('\n')
		}
	}
	out := b.String()
	if !found {
		v, err := formatDotenvValue(value, 0)
		if err != nil {
			return nil, err
		}
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		out += name + "=" + v + "\n"
	}
	return []byte(out), nil
}

// dotenvLine rewrites entry e with value, as one physical line.
func dotenvLine(e entry, value string) (string, error) {
	first := e.lines[0]
	cr := ""
	if last := e.lines[len(e.lines)-1]; strings.HasSuffix(last, "\r") {
		cr = "\r"
	}
	m := dotenvAssign.FindStringSubmatch(strings.TrimSuffix(first, "\r"))
	v, err := formatDotenvValue(value, e.quote)
	if err != nil {
		return "", err
	}
	tail := ""
	if len(e.lines) == 1 {
		tail = inlineComment(m[3], e.quote)
	}
	return m[1] + m[2] + "=" + v + tail + cr, nil
}

// inlineComment is what follows an old value on its line, a " # note", so
// that the rewrite keeps it; "" when there is none.
func inlineComment(raw string, quote byte) string {
	var i int
	if quote == 0 {
		// A bare value ends at " #" (unquoteDotenv): abc#def is one value.
		i = strings.Index(raw, " #")
	} else {
		j := strings.IndexByte(raw[1:], quote)
		if j < 0 {
			return ""
		}
		rest := raw[j+2:]
		if k := strings.IndexByte(rest, '#'); k >= 0 && strings.TrimSpace(rest[:k]) == "" {
			return rest
		}
		return ""
	}
	if i < 0 {
		return ""
	}
	for i > 0 && (raw[i-1] == ' ' || raw[i-1] == '\t') {
		i--
	}
	return raw[i:]
}

var bareValue = regexp.MustCompile(`^[A-Za-z0-9_./+:@-]+$`)

// formatDotenvValue writes value bare when it can be, else in quotes (the
// old value's style when there was one). A value no quoting keeps intact is
// refused rather than written wrong.
func formatDotenvValue(value string, quote byte) (string, error) {
	if strings.ContainsAny(value, "\n\r\x00") {
		return "", errors.New("the token holds a line break: a .env line cannot hold it")
	}
	if quote == 0 && bareValue.MatchString(value) {
		return value, nil
	}
	if quote == '"' && !strings.ContainsAny(value, "\"\\$`") {
		return `"` + value + `"`, nil
	}
	if !strings.Contains(value, "'") {
		return "'" + value + "'", nil
	}
	return "", errors.New("the token holds a single quote: refusing to guess how this .env file escapes it")
}
