package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Mutation is one planted bug: in File, the text From (which must occur
// exactly once) becomes To, and the tests of Packages should then fail.
type Mutation struct {
	ID       string   `yaml:"id"`
	File     string   `yaml:"file"`     // relative to the module root
	From     string   `yaml:"from"`     // the exact original text
	To       string   `yaml:"to"`       // its replacement
	Packages []string `yaml:"packages"` // go test patterns, e.g. ./tools
	// Run narrows the tests of some packages: package pattern -> go test
	// -run filter (a package not named here runs all its tests).
	Run  map[string]string `yaml:"run"`
	Desc string            `yaml:"desc"` // the bug, in one line
}

// loadMutations reads and checks the list: unknown fields, missing fields and
// duplicate ids are errors, so a typo cannot silently drop a mutation.
func loadMutations(path string) ([]Mutation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the mutation list: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var ms []Mutation
	if err := dec.Decode(&ms); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	seen := map[string]bool{}
	for i, m := range ms {
		if err := m.check(); err != nil {
			return nil, fmt.Errorf("%s: entry %d (%q): %w", path, i+1, m.ID, err)
		}
		if seen[m.ID] {
			return nil, fmt.Errorf("%s: id %q is used twice", path, m.ID)
		}
		seen[m.ID] = true
	}
	return ms, nil
}

func (m Mutation) check() error {
	switch {
	case m.ID == "":
		return errors.New("no id")
	case m.File == "":
		return errors.New("no file")
	case m.From == "":
		return errors.New("no from")
	case m.From == m.To:
		return errors.New("from and to are the same")
	case len(m.Packages) == 0:
		return errors.New("no packages")
	case m.Desc == "":
		return errors.New("no desc")
	}
	for pkg := range m.Run {
		if !slices.Contains(m.Packages, pkg) {
			return fmt.Errorf("run names %s, which is not in packages", pkg)
		}
	}
	return nil
}

// testGroup is one go test invocation: packages that share a -run filter.
type testGroup struct {
	run  string
	pkgs []string
}

// groups splits m's packages by their -run filter, in a stable order.
func (m Mutation) groups() []testGroup {
	var out []testGroup
	for _, p := range m.Packages {
		i := slices.IndexFunc(out, func(g testGroup) bool { return g.run == m.Run[p] })
		if i < 0 {
			out = append(out, testGroup{run: m.Run[p]})
			i = len(out) - 1
		}
		out[i].pkgs = append(out[i].pkgs, p)
	}
	return out
}

// selectMutations keeps the ones named in ids (all when ids is empty).
func selectMutations(ms []Mutation, ids []string) ([]Mutation, error) {
	if len(ids) == 0 {
		return ms, nil
	}
	byID := map[string]Mutation{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	out := make([]Mutation, 0, len(ids))
	for _, id := range ids {
		m, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("no mutation with id %q", id)
		}
		out = append(out, m)
	}
	return out, nil
}

// apply returns the mutated content of m's file. An error means the mutation
// no longer applies (the code changed): the audit reports it as broken.
func apply(root string, m Mutation) ([]byte, error) {
	src, err := os.ReadFile(filepath.Join(root, m.File))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", m.File, err)
	}
	if n := bytes.Count(src, []byte(m.From)); n > 1 {
		return nil, fmt.Errorf("%s holds %q %d times: make the snippet unique", m.File, firstLine(m.From), n)
	} else if n == 1 {
		return bytes.Replace(src, []byte(m.From), []byte(m.To), 1), nil
	}
	// gofmt realigns a struct literal or a const block when a field is
	// added: the same code with other spacing still counts.
	loc := spacingInsensitive(m.From).FindAllIndex(src, 2)
	switch len(loc) {
	case 1:
		return slices.Concat(src[:loc[0][0]], []byte(m.To), src[loc[0][1]:]), nil
	case 0:
		return nil, fmt.Errorf("%s no longer holds %q", m.File, firstLine(m.From))
	default:
		return nil, fmt.Errorf("%s holds %q more than once (spacing aside): make the snippet unique", m.File, firstLine(m.From))
	}
}

// spacingInsensitive matches s with any run of blanks (spaces, tabs,
// newlines) standing for any other non-empty run.
func spacingInsensitive(s string) *regexp.Regexp {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(strings.Join(words, `\s+`))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
