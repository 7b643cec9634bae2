package destination

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

// EnvConfig names the config file when set.
const EnvConfig = "NEONKEYS_CONFIG"

// Kind is what a destination writes to.
type Kind string

// The kinds a config may use.
const (
	KindGitHub  Kind = "github"
	KindDotenv  Kind = "dotenv"
	KindFile    Kind = "file"
	KindCommand Kind = "command"
	KindSelf    Kind = "self"
)

var kinds = []Kind{KindGitHub, KindDotenv, KindFile, KindCommand, KindSelf}

// ErrNoConfig: the config file does not exist. Callers treat it as "no
// destinations configured", not as a failure, unless a name was asked for.
var ErrNoConfig = errors.New("no destinations config file")

// Config is the parsed destinations file.
type Config struct {
	Path         string // the file it was read from
	Destinations []Spec // sorted by name
	// Data is the file's content as Load read and checked it: another
	// section (audit:) is parsed from it, so the file is never read again
	// past those checks.
	Data []byte
}

// Spec is one named destination as the config file gives it. Exactly one of
// the kind fields is set. Paths are absolute, with ~ expanded.
type Spec struct {
	Name    string
	Holds   string // the key name it holds, or ""
	Kind    Kind
	GitHub  *GitHubSpec
	Dotenv  *DotenvSpec
	File    *FileSpec
	Command *CommandSpec
	Self    *SelfSpec
	Line    int // where it starts in the file, for messages
}

// GitHubSpec is an Actions secret of a repository (Repo), one of its
// environments (Repo + Environment) or an organization (Org + Visibility).
type GitHubSpec struct {
	Repo        string `yaml:"repo"`
	Environment string `yaml:"environment"`
	Org         string `yaml:"org"`
	Visibility  string `yaml:"visibility"`
	Secret      string `yaml:"secret"`
}

// DotenvSpec sets Var in the .env file at Path.
type DotenvSpec struct {
	Path string `yaml:"path"`
	Var  string `yaml:"var"`
}

// FileSpec is a token file.
type FileSpec struct {
	Path string `yaml:"path"`
}

// CommandSpec runs Argv with the token on stdin. Env names extra variables
// of neonkeys' environment passed to it (see childEnv for the base list).
type CommandSpec struct {
	Argv    []string      `yaml:"argv"`
	Env     []string      `yaml:"env"`
	Timeout time.Duration `yaml:"-"`
	RawTime string        `yaml:"timeout"`
}

// SelfSpec is the key file neonkeys runs with; it has no fields.
type SelfSpec struct{}

// The fields each kind accepts, in the order messages list them.
var kindFields = map[Kind][]string{
	KindGitHub:  {"repo", "environment", "org", "visibility", "secret"},
	KindDotenv:  {"path", "var"},
	KindFile:    {"path"},
	KindCommand: {"argv", "env", "timeout"},
	KindSelf:    {},
}

// Command timeouts: the default, and the most a config may ask for (a
// rotation waits for it with both keys live).
const (
	DefaultCommandTimeout = 60 * time.Second
	MaxCommandTimeout     = 10 * time.Minute
)

var (
	nameRe      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	repoRe      = regexp.MustCompile(`^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$`)
	orgRe       = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
	ghSecretRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	envVarRe    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	protectedEV = []string{"NEON_API_KEY", "NEON_API_KEY_FILE", "GH_TOKEN", "GITHUB_TOKEN"}
)

// ConfigPath returns where the config file is looked for:
// $NEONKEYS_CONFIG, else $XDG_CONFIG_HOME/neonkeys/config.yaml, else
// $HOME/.config/neonkeys/config.yaml.
func ConfigPath(getenv func(string) string) (string, error) {
	if p := getenv(EnvConfig); p != "" {
		return p, nil
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "neonkeys", "config.yaml"), nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", errors.New("cannot find the destinations config: set NEONKEYS_CONFIG or HOME")
	}
	return filepath.Join(home, ".config", "neonkeys", "config.yaml"), nil
}

// Load finds, checks and parses the config file. A missing file is
// ErrNoConfig (wrapped with its path). The file is refused when group or
// others may write it or when it belongs to another user (root excepted),
// as ssh refuses its config: a command destination runs a program.
func Load(getenv func(string) string) (*Config, error) {
	path, err := ConfigPath(getenv)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist", ErrNoConfig, path)
	}
	if err != nil {
		return nil, fmt.Errorf("destinations config: %w", err)
	}
	if err := checkConfigFile(path, info); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("destinations config: %w", err)
	}
	return Parse(data, path, getenv("HOME"))
}

func checkConfigFile(path string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("destinations config %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("destinations config %s is writable by group or others (mode %04o): refusing it, since a command destination runs a program; run chmod go-w %s",
			path, perm, ShellQuote(path))
	}
	if uid, ok := fileOwner(info); ok && uid != os.Getuid() && uid != 0 {
		return fmt.Errorf("destinations config %s belongs to another user (uid %d): refusing it, since a command destination runs a program", path, uid)
	}
	return nil
}

// Parse checks and decodes a config file's content. path names it in
// messages, and relative paths in it are resolved against its folder; home
// expands a leading ~. Every malformed field is reported, each with its line.
func Parse(data []byte, path, home string) (*Config, error) {
	p := parser{path: path, dir: filepath.Dir(path), home: home}
	cfg := &Config{Path: path, Data: data}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return cfg, nil // an empty file: no destinations
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, p.errAt(root, "", "the file must be a mapping with a destinations: key")
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		if key.Value == "audit" {
			continue // audit's thresholds: package audit reads them (audit/config.go)
		}
		if key.Value != "destinations" {
			p.add(p.errAt(key, "", "unknown field %q (the top-level fields are destinations and audit)", key.Value))
			continue
		}
		cfg.Destinations = p.destinations(val)
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	sort.Slice(cfg.Destinations, func(i, j int) bool { return cfg.Destinations[i].Name < cfg.Destinations[j].Name })
	return cfg, nil
}

type parser struct {
	path, dir, home string
	errs            []error
}

func (p *parser) add(err error) { p.errs = append(p.errs, err) }

func (p *parser) errAt(n *yaml.Node, dest, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if dest != "" {
		msg = fmt.Sprintf("destination %q: %s", dest, msg)
	}
	return fmt.Errorf("%s:%d: %s", p.path, n.Line, msg)
}

func (p *parser) destinations(n *yaml.Node) []Spec {
	if n.Tag == "!!null" {
		return nil // "destinations:" with none under it yet
	}
	if n.Kind != yaml.MappingNode {
		p.add(p.errAt(n, "", "destinations must be a mapping of names to destinations"))
		return nil
	}
	var specs []Spec
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		name := key.Value
		switch {
		case !nameRe.MatchString(name):
			p.add(p.errAt(key, "", "destination name %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", secret.StripControl(name)))
			continue
		case seen[name]:
			p.add(p.errAt(key, name, "defined twice"))
			continue
		}
		seen[name] = true
		if spec, ok := p.destination(name, val); ok {
			specs = append(specs, spec)
		}
	}
	return specs
}

// destination decodes one entry: exactly one kind, and an optional holds.
func (p *parser) destination(name string, n *yaml.Node) (Spec, bool) {
	spec := Spec{Name: name, Line: n.Line}
	if n.Kind != yaml.MappingNode {
		p.add(p.errAt(n, name, "must be a mapping with one kind (%s)", kindList()))
		return spec, false
	}
	before := len(p.errs)
	var kindNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		switch {
		case key.Value == "holds":
			spec.Holds = p.holds(name, val)
		case slices.Contains(kinds, Kind(key.Value)):
			if kindNode != nil {
				p.add(p.errAt(key, name, "has two kinds, %s and %s: a destination has exactly one (define two destinations)", spec.Kind, key.Value))
				continue
			}
			spec.Kind, kindNode = Kind(key.Value), val
		default:
			p.add(p.errAt(key, name, "unknown field %q: a destination has one kind (%s) and optionally holds", secret.StripControl(key.Value), kindList()))
		}
	}
	if kindNode == nil {
		if len(p.errs) == before {
			p.add(p.errAt(n, name, "has no kind: give one of %s", kindList()))
		}
		return spec, false
	}
	p.kind(&spec, kindNode)
	return spec, len(p.errs) == before
}

func kindList() string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// holds must be a key name, as Neon accepts it (keys.CheckName).
func (p *parser) holds(name string, n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.add(p.errAt(n, name, "holds must be the name of a Neon API key"))
		return ""
	}
	if err := keys.CheckName(n.Value); err != nil {
		p.add(p.errAt(n, name, "holds: %v", err))
		return ""
	}
	return n.Value
}

// kind checks the kind's fields by name (so a typo is reported with the
// fields that exist), decodes them and validates their values.
func (p *parser) kind(spec *Spec, n *yaml.Node) {
	if spec.Kind == KindSelf && n.Kind == yaml.ScalarNode && n.Value == "true" {
		spec.Self = &SelfSpec{} // self: true reads better than self: {}
		return
	}
	if n.Kind != yaml.MappingNode {
		p.add(p.errAt(n, spec.Name, "%s must be a mapping of %s", spec.Kind, fieldsText(spec.Kind)))
		return
	}
	allowed := kindFields[spec.Kind]
	for i := 0; i+1 < len(n.Content); i += 2 {
		if key := n.Content[i]; !slices.Contains(allowed, key.Value) {
			p.add(p.errAt(key, spec.Name, "%s: unknown field %q (it takes %s)", spec.Kind, secret.StripControl(key.Value), fieldsText(spec.Kind)))
			return
		}
	}
	var err error
	switch spec.Kind {
	case KindGitHub:
		spec.GitHub = &GitHubSpec{}
		if err = n.Decode(spec.GitHub); err == nil {
			err = checkGitHub(spec.GitHub)
		}
	case KindDotenv:
		spec.Dotenv = &DotenvSpec{}
		if err = n.Decode(spec.Dotenv); err == nil {
			err = p.checkDotenv(spec.Dotenv)
		}
	case KindFile:
		spec.File = &FileSpec{}
		if err = n.Decode(spec.File); err == nil {
			spec.File.Path, err = p.resolvePath(spec.File.Path)
		}
	case KindCommand:
		spec.Command = &CommandSpec{}
		if err = n.Decode(spec.Command); err == nil {
			err = p.checkCommand(spec.Command)
		}
	case KindSelf:
		spec.Self = &SelfSpec{}
	}
	if err != nil {
		p.add(p.errAt(n, spec.Name, "%s: %v", spec.Kind, err))
	}
}

func fieldsText(k Kind) string {
	if len(kindFields[k]) == 0 {
		return "no fields (write self: true)"
	}
	return strings.Join(kindFields[k], ", ")
}

func checkGitHub(g *GitHubSpec) error {
	switch {
	case g.Secret == "":
		return errors.New("secret is missing: the name of the Actions secret to set")
	case !ghSecretRe.MatchString(g.Secret):
		return fmt.Errorf("secret %q: GitHub secret names use letters, digits and '_', and do not start with a digit", g.Secret)
	case strings.HasPrefix(strings.ToUpper(g.Secret), "GITHUB_"):
		return fmt.Errorf("secret %q: GitHub refuses secret names starting with GITHUB_", g.Secret)
	case g.Repo == "" && g.Org == "":
		return errors.New("repo is missing: give repo: owner/name (an environment's secret: add environment:), or org: NAME for an organization secret")
	case g.Repo != "" && g.Org != "":
		return errors.New("repo and org are both given: a secret belongs to a repository or to an organization")
	}
	if g.Org != "" {
		return checkGitHubOrg(g)
	}
	if !repoRe.MatchString(g.Repo) {
		return fmt.Errorf("repo %q: want owner/name", g.Repo)
	}
	if g.Visibility != "" {
		return errors.New("visibility is only for an organization secret (org:)")
	}
	if g.Environment != "" && secret.StripControl(g.Environment) != g.Environment {
		return errors.New("environment holds control or invisible characters")
	}
	return nil
}

func checkGitHubOrg(g *GitHubSpec) error {
	switch {
	case !orgRe.MatchString(g.Org):
		return fmt.Errorf("org %q: want an organization login", g.Org)
	case g.Environment != "":
		return errors.New("environment is for a repository secret (repo:), not an organization one")
	case g.Visibility == "":
		// Explicit, since a PUT sets it: a default would silently widen or
		// narrow who sees an existing secret.
		return errors.New("visibility is missing for an organization secret: all or private")
	case g.Visibility == "selected":
		return errors.New("visibility selected is not supported (it needs the list of repositories): use all or private, or a command destination running gh secret set --org ORG --repos …")
	case g.Visibility != "all" && g.Visibility != "private":
		return fmt.Errorf("visibility %q: want all or private", g.Visibility)
	}
	return nil
}

func (p *parser) checkDotenv(d *DotenvSpec) error {
	if d.Var == "" {
		return errors.New("var is missing: the variable to set, such as NEON_API_KEY")
	}
	if !envVarRe.MatchString(d.Var) {
		return fmt.Errorf("var %q: use letters, digits and '_', not starting with a digit", d.Var)
	}
	var err error
	d.Path, err = p.resolvePath(d.Path)
	return err
}

func (p *parser) checkCommand(c *CommandSpec) error {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return errors.New("argv is empty: give the program and its arguments, such as [vault, kv, patch, secret/ci, neon_api_key=-]")
	}
	for _, a := range c.Argv {
		if strings.ContainsRune(a, 0) {
			return errors.New("argv holds a NUL byte")
		}
	}
	if strings.ContainsRune(c.Argv[0], '/') || strings.HasPrefix(c.Argv[0], "~") {
		prog, err := p.resolvePath(c.Argv[0])
		if err != nil {
			return fmt.Errorf("argv[0]: %w", err)
		}
		c.Argv[0] = prog
	}
	for _, name := range c.Env {
		switch {
		case !envVarRe.MatchString(name):
			return fmt.Errorf("env %q: list variable names only (their values come from neonkeys' environment)", name)
		case slices.Contains(protectedEV, name):
			return fmt.Errorf("env %s: a credential is never passed to a command", name)
		}
	}
	c.Timeout = DefaultCommandTimeout
	if c.RawTime != "" {
		d, err := time.ParseDuration(c.RawTime)
		if err != nil || d <= 0 || d > MaxCommandTimeout {
			return fmt.Errorf("timeout %q: want a duration such as 30s, at most %s", c.RawTime, MaxCommandTimeout)
		}
		c.Timeout = d
	}
	return nil
}

// resolvePath expands a leading ~/ to the home folder and resolves a
// relative path against the config file's folder, not the working directory:
// neonkeys runs from anywhere (an MCP client picks its directory). ~user and
// $VARIABLES are not expanded.
func (p *parser) resolvePath(path string) (string, error) {
	switch {
	case path == "":
		return "", errors.New("path is missing")
	case strings.ContainsRune(path, 0):
		return "", errors.New("path holds a NUL byte")
	case path == "~" || strings.HasPrefix(path, "~/"):
		if p.home == "" {
			return "", fmt.Errorf("%s: HOME is not set, so ~ cannot be expanded", path)
		}
		return filepath.Join(p.home, path[1:]), nil
	case strings.HasPrefix(path, "~"):
		return "", fmt.Errorf("%s: only ~/ is expanded (not ~user): write the full path", path)
	case filepath.IsAbs(path):
		return filepath.Clean(path), nil
	default:
		return filepath.Join(p.dir, path), nil
	}
}

// Lookup returns the named destinations in the order asked. An unknown name
// is an error that lists the configured ones.
func (c *Config) Lookup(names ...string) ([]Spec, error) {
	out := make([]Spec, 0, len(names))
	for _, name := range names {
		i := slices.IndexFunc(c.Destinations, func(s Spec) bool { return s.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("no destination %q in %s (configured: %s)", secret.StripControl(name), c.Path, c.namesText())
		}
		if slices.ContainsFunc(out, func(s Spec) bool { return s.Name == name }) {
			continue
		}
		out = append(out, c.Destinations[i])
	}
	return out, nil
}

// Names lists the configured destination names (an MCP enum is built from it).
func (c *Config) Names() []string {
	names := make([]string, len(c.Destinations))
	for i, s := range c.Destinations {
		names[i] = s.Name
	}
	return names
}

func (c *Config) namesText() string {
	if len(c.Destinations) == 0 {
		return "none"
	}
	return strings.Join(c.Names(), ", ")
}

// HeldBy returns the destinations whose holds matches keyName (see Holds).
func (c *Config) HeldBy(keyName string) []Spec {
	var out []Spec
	for _, s := range c.Destinations {
		if Holds(s.Holds, keyName) {
			out = append(out, s)
		}
	}
	return out
}

// HeldElsewhere says, for each named destination whose holds: is another
// key than keyName ("" for a new key), "NAME holds the key HOLDS": writing
// to it replaces that key's token, which then leaves that key held by
// nothing. Unknown names are left out (Lookup reports them).
func (c *Config) HeldElsewhere(keyName string, names ...string) []string {
	var out []string
	for _, s := range c.Destinations {
		if s.Holds == "" || !slices.Contains(names, s.Name) || (keyName != "" && Holds(s.Holds, keyName)) {
			continue
		}
		out = append(out, fmt.Sprintf("%s holds the key %s", s.Name, s.Holds))
	}
	return out
}

// Holds reports whether a destination with holds: holds holds the key named
// keyName: the name itself, or that name plus a rotation suffix
// "-rotated-<UTC time>", so the binding survives rotations. keys.RotatedName
// cuts a long name to fit Neon's 64 characters, so a cut prefix of holds
// matches too when it is exactly as long as that cut leaves.
func Holds(holds, keyName string) bool {
	if holds == "" {
		return false
	}
	if keyName == holds {
		return true
	}
	base, _, ok := keys.SplitRotated(keyName)
	if !ok {
		return false
	}
	if base == holds {
		return true
	}
	return utf8.RuneCountInString(base) == keys.MaxRotatedBaseLen && strings.HasPrefix(holds, base)
}

// ShellQuote makes s one word for a POSIX shell, so a printed command is
// safe to paste: a path from the environment (XDG_STATE_HOME, HOME,
// NEONKEYS_CONFIG) or a flag may hold blanks, quotes or $(...). Plain words
// are left as they are.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./@%+=:,-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
