package destination

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/secret"
)

// The README's section of command recipes (issue 13), between these lines.
const (
	recipesStart = "<!-- recipes:start (tested by destination/recipes_test.go) -->"
	recipesEnd   = "<!-- recipes:end -->"
)

// fakeTool stands in for a real CLI (gh, vault, …). It records its argv,
// stdin and environment in a new numbered folder of ../rec (next to the
// folder it runs from), then, as kubectl, prints the Secret that
// `create --dry-run=client -o yaml` would print, so a pipeline into
// `kubectl apply -f -` carries what the real one would.
const fakeTool = `#!/bin/sh
rec="$(dirname "$0")/../rec"
n=1
while ! mkdir "$rec/$n" 2>/dev/null; do
	n=$((n+1))
	[ "$n" -lt 100 ] || exit 97
done
out="$rec/$n"
basename "$0" > "$out/tool"
printf '%s\0' "$@" > "$out/argv"
env > "$out/env"
cat > "$out/stdin"
[ "$(basename "$0")" = kubectl ] || exit 0
key=
for a in "$@"; do
	case $a in --from-file=*) kv=${a#--from-file=}; key=${kv%%=*} ;; esac
done
[ -n "$key" ] || exit 0
printf 'apiVersion: v1\nkind: Secret\ndata:\n  %s: %s\n' "$key" "$(base64 < "$out/stdin" | tr -d '\n')"
`

// recipeGitHubCred is the GitHub credential of recipeEnv: it shares no 16
// characters with the other test secrets, so the redactor does not drop it
// as one of them and only childEnv's own rule can keep it from a tool.
const recipeGitHubCred = "ghp_RecipeGitHubCredentialZYXWVUT98765"

// kubectlScript is the kubectl recipe's shell pipeline.
const kubectlScript = "kubectl create secret generic neon-api-key --namespace ci --from-file=NEON_API_KEY=/dev/stdin" +
	" --dry-run=client -o yaml | kubectl apply -f -"

// toolRun is one run of a stand-in: the tool, its arguments after the
// program name, and what it read on stdin.
type toolRun struct {
	tool  string
	args  []string
	stdin string
}

// wantRecipe is a recipe as the README must document it.
type wantRecipe struct {
	name string
	argv []string // the destination's argv
	env  []string // its env: list
	runs []toolRun
}

// direct is a recipe whose program is the tool itself, reading the token on
// stdin.
func direct(name string, env []string, argv ...string) wantRecipe {
	return wantRecipe{name: name, argv: argv, env: env,
		runs: []toolRun{{tool: argv[0], args: argv[1:], stdin: testToken}}}
}

// wantRecipes lists every recipe the README must hold (issue 13), each with
// its exact argv: a recipe changed, missing or added fails the test.
func wantRecipes() []wantRecipe {
	secretYAML := "apiVersion: v1\nkind: Secret\ndata:\n  NEON_API_KEY: " +
		base64.StdEncoding.EncodeToString([]byte(testToken)) + "\n"
	return []wantRecipe{
		direct("gh-repo", nil, "gh", "secret", "set", "NEON_API_KEY", "--repo", "acme/shop"),
		direct("gh-environment", nil, "gh", "secret", "set", "NEON_API_KEY", "--env", "production", "--repo", "acme/shop"),
		direct("gh-org", nil, "gh", "secret", "set", "NEON_API_KEY", "--org", "acme", "--visibility", "private"),
		direct("glab", nil, "glab", "variable", "update", "NEON_API_KEY", "--repo", "acme/shop", "--masked"),
		direct("vercel", nil, "vercel", "env", "add", "NEON_API_KEY", "production", "--force", "--sensitive", "--cwd", "/srv/shop"),
		direct("doppler", nil, "doppler", "secrets", "set", "NEON_API_KEY", "--project", "shop", "--config", "prd", "--silent"),
		direct("vault", []string{"VAULT_ADDR"}, "vault", "kv", "patch", "secret/ci", "neon_api_key=-"),
		direct("aws", []string{"AWS_PROFILE", "AWS_REGION"},
			"aws", "secretsmanager", "put-secret-value", "--secret-id", "neon/ci", "--secret-string", "file:///dev/stdin"),
		direct("op", []string{"OP_SERVICE_ACCOUNT_TOKEN"}, "op", "document", "edit", "neon-api-key", "-", "--vault", "CI"),
		{
			name: "kubectl",
			argv: []string{"sh", "-c", kubectlScript},
			env:  []string{"KUBECONFIG"},
			runs: []toolRun{
				{tool: "kubectl", stdin: testToken, args: []string{"create", "secret", "generic", "neon-api-key", "--namespace", "ci",
					"--from-file=NEON_API_KEY=/dev/stdin", "--dry-run=client", "-o", "yaml"}},
				{tool: "kubectl", stdin: secretYAML, args: []string{"apply", "-f", "-"}},
			},
		},
	}
}

// recipeBlock is one ```yaml block of the recipes section and the text
// after it, up to the next block.
type recipeBlock struct {
	line       int // of the block's first YAML line in README.md
	yaml, note string
}

func recipeBlocks(readme string) ([]recipeBlock, error) {
	start, end := strings.Index(readme, recipesStart), strings.Index(readme, recipesEnd)
	if start < 0 || end < start {
		return nil, fmt.Errorf("README.md has no %s … %s section", recipesStart, recipesEnd)
	}
	section := readme[start:end]
	firstLine := strings.Count(readme[:start], "\n") + 1
	yamlFence := regexp.MustCompile("(?ms)^```yaml\n(.*?)^```\n")
	found := yamlFence.FindAllStringSubmatchIndex(section, -1)
	blocks := make([]recipeBlock, len(found))
	for i, m := range found {
		noteEnd := len(section)
		if i+1 < len(found) {
			noteEnd = found[i+1][0]
		}
		blocks[i] = recipeBlock{
			line: firstLine + strings.Count(section[:m[2]], "\n"),
			yaml: section[m[2]:m[3]],
			note: section[m[1]:noteEnd],
		}
	}
	return blocks, nil
}

// recipeProblems checks every recipe of readme against wantRecipes: each
// parses as a config of one command destination, says what the tool reads
// from stdin and what auth it needs, has the argv and env: expected, and
// delivers the token to stand-ins of the tools on stdin only.
func recipeProblems(t *testing.T, readme string) []string {
	t.Helper()
	blocks, err := recipeBlocks(readme)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	got := map[string]Spec{}
	for _, b := range blocks {
		cfg, err := Parse([]byte(b.yaml), "README.md", "/home/ann")
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("README.md line %d: the recipe does not parse: %v", b.line, err))
			continue
		case len(cfg.Destinations) != 1 || cfg.Destinations[0].Kind != KindCommand:
			problems = append(problems, fmt.Sprintf("README.md line %d: a recipe is one command destination, got %d destinations", b.line, len(cfg.Destinations)))
			continue
		}
		spec := cfg.Destinations[0]
		if !strings.Contains(b.note, "\n- stdin: ") || !strings.Contains(b.note, "\n- auth: ") {
			problems = append(problems, fmt.Sprintf("recipe %q: the lines after it must say what the tool reads (- stdin: …) and its auth (- auth: …)", spec.Name))
		}
		if _, dup := got[spec.Name]; dup {
			problems = append(problems, fmt.Sprintf("recipe %q: documented twice", spec.Name))
		}
		got[spec.Name] = spec
	}
	for _, w := range wantRecipes() {
		spec, ok := got[w.name]
		delete(got, w.name)
		if !ok {
			problems = append(problems, fmt.Sprintf("recipe %q is missing from README.md", w.name))
			continue
		}
		problems = append(problems, checkRecipe(t, w, spec)...)
	}
	for name := range got {
		problems = append(problems, fmt.Sprintf("README.md has a recipe %q this test does not know: add it to wantRecipes", name))
	}
	slices.Sort(problems)
	return problems
}

// checkRecipe compares a documented recipe with w, then delivers the token
// through it (Open, Preflight, Deliver) to stand-ins of the tools placed
// first on PATH.
func checkRecipe(t *testing.T, w wantRecipe, spec Spec) []string {
	t.Helper()
	var problems []string
	fail := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf("recipe %q: ", w.name)+fmt.Sprintf(format, args...))
	}
	if !slices.Equal(spec.Command.Argv, w.argv) {
		fail("argv %q, want %q", spec.Command.Argv, w.argv)
	}
	if !slices.Equal(spec.Command.Env, w.env) {
		fail("env %q, want %q", spec.Command.Env, w.env)
	}
	dir := t.TempDir()
	bin, rec := filepath.Join(dir, "bin"), filepath.Join(dir, "rec")
	for _, d := range []string{bin, rec} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tool := range []string{"gh", "glab", "vercel", "doppler", "vault", "aws", "op", "kubectl"} {
		writeFile(t, filepath.Join(bin, tool), fakeTool, 0o755)
	}
	env := recipeEnv(bin, w.env)
	dests, err := Open([]Spec{spec}, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := dests[0].Preflight(t.Context()); err != nil {
		fail("preflight: %v", err)
		return problems
	}
	detail, err := dests[0].Deliver(t.Context(), testToken)
	if err != nil {
		fail("deliver: %v", err)
		return problems
	}
	if strings.Contains(detail, testToken) {
		fail("the detail shows the token: %q", detail)
	}
	runs, err := readRuns(rec)
	if err != nil {
		t.Fatal(err)
	}
	problems = append(problems, compareRuns(w, runs)...)
	for _, r := range runs {
		problems = append(problems, checkRunEnv(w, r, env.Getenv)...)
	}
	return problems
}

// recipeEnv is neonkeys' environment as a user of these recipes has it: its
// own credential and GitHub's in the usual variables, other tools' secrets,
// and each variable a recipe lists in env:.
func recipeEnv(bin string, listed []string) Env {
	vars := map[string]string{
		"PATH":                  bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME":                  "/home/ann",
		"LANG":                  "C.UTF-8",
		"NEON_API_KEY":          neonCredEnv,
		"NEON_API_KEY_FILE":     "/run/secrets/neon",
		"GH_TOKEN":              recipeGitHubCred,
		"GITHUB_TOKEN":          recipeGitHubCred,
		"VAULT_TOKEN":           "hvs.vaulttoken0123456789",
		"AWS_SECRET_ACCESS_KEY": "awssecret0123456789abcdef",
	}
	for _, name := range listed {
		vars[name] = "value-of-" + name
	}
	return Env{
		Getenv:   func(k string) string { return vars[k] },
		Redactor: secret.NewRedactor(neonCredEnv),
	}
}

// recordedRun is what a stand-in recorded.
type recordedRun struct {
	toolRun
	env []string // NAME=value lines
}

func readRuns(rec string) ([]recordedRun, error) {
	entries, err := os.ReadDir(rec)
	if err != nil {
		return nil, err
	}
	runs := make([]recordedRun, 0, len(entries))
	for _, e := range entries {
		read := func(name string) string {
			b, rerr := os.ReadFile(filepath.Join(rec, e.Name(), name))
			if rerr != nil && err == nil {
				err = rerr
			}
			return string(b)
		}
		r := recordedRun{toolRun: toolRun{
			tool:  strings.TrimSuffix(read("tool"), "\n"),
			args:  strings.Split(strings.TrimSuffix(read("argv"), "\x00"), "\x00"),
			stdin: read("stdin"),
		}}
		r.env = strings.Split(strings.TrimSuffix(read("env"), "\n"), "\n")
		runs = append(runs, r)
	}
	return runs, err
}

// compareRuns matches the recorded runs with the expected ones whatever
// their order (the two kubectls of a pipeline start together).
func compareRuns(w wantRecipe, runs []recordedRun) []string {
	var problems []string
	key := func(r toolRun) string { return r.tool + "\x00" + strings.Join(r.args, "\x00") }
	left := slices.Clone(runs)
	for _, want := range w.runs {
		i := slices.IndexFunc(left, func(r recordedRun) bool { return key(r.toolRun) == key(want) })
		if i < 0 {
			problems = append(problems, fmt.Sprintf("recipe %q: %s did not run with args %q", w.name, want.tool, want.args))
			continue
		}
		if got := left[i].stdin; got != want.stdin {
			problems = append(problems, fmt.Sprintf("recipe %q: %s read %q on stdin, want %q", w.name, want.tool, got, want.stdin))
		}
		left = slices.Delete(left, i, i+1)
	}
	for _, r := range left {
		problems = append(problems, fmt.Sprintf("recipe %q: unexpected run of %s with args %q", w.name, r.tool, r.args))
	}
	return problems
}

// checkRunEnv: the token is in no argument and no variable, the
// credentials of neonkeys and GitHub and other tools' unlisted secrets are
// absent, and each variable the recipe lists arrives with its value.
func checkRunEnv(w wantRecipe, r recordedRun, getenv func(string) string) []string {
	var problems []string
	fail := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf("recipe %q, %s: ", w.name, r.tool)+fmt.Sprintf(format, args...))
	}
	for _, a := range r.args {
		if strings.Contains(a, testToken[5:25]) {
			fail("the token is in argv: %q", r.args)
		}
	}
	names := make([]string, 0, len(r.env))
	for _, kv := range r.env {
		name, value, _ := strings.Cut(kv, "=")
		names = append(names, name)
		if strings.Contains(value, testToken[5:25]) || strings.Contains(value, neonCredEnv[5:25]) || strings.Contains(value, recipeGitHubCred[4:24]) {
			fail("%s holds a secret", name)
		}
	}
	for _, name := range []string{"NEON_API_KEY", "NEON_API_KEY_FILE", "GH_TOKEN", "GITHUB_TOKEN", "VAULT_TOKEN", "AWS_SECRET_ACCESS_KEY"} {
		if slices.Contains(names, name) {
			fail("%s reached the tool", name)
		}
	}
	for _, name := range w.env {
		if want := name + "=" + getenv(name); !slices.Contains(r.env, want) {
			fail("%s, listed in env:, did not arrive as %q", name, want)
		}
	}
	return problems
}

// TestReadmeRecipes: every recipe of README.md runs its tool with the argv
// documented, the token on stdin and in no argument or variable, and the
// credentials neonkeys holds kept from the tool.
func TestReadmeRecipes(t *testing.T) {
	readme := readFile(t, filepath.Join("..", "README.md"))
	for _, p := range recipeProblems(t, readme) {
		t.Error(p)
	}
}

// TestReadmeRecipesCheckCatchesBrokenRecipes: the check above fails when a
// recipe is changed, renamed, undocumented or handed a credential, so a
// README edit cannot quietly break a recipe.
func TestReadmeRecipesCheckCatchesBrokenRecipes(t *testing.T) {
	readme := readFile(t, filepath.Join("..", "README.md"))
	cases := []struct {
		name, old, new string
		want           []string
	}{
		{"a changed argv", "neon_api_key=-", "neon_api_key=@-", []string{`recipe "vault": argv`, `recipe "vault": vault did not run`}},
		{"a renamed recipe", "\n  vault:\n", "\n  vault-kv:\n", []string{`recipe "vault" is missing`, `recipe "vault-kv" this test does not know`}},
		{"a credential listed", "env: [VAULT_ADDR]", "env: [VAULT_ADDR, GH_TOKEN]", []string{"a credential is never passed"}},
		{"a recipe without its notes", "- stdin: the secret string;", "- the secret string;", []string{`recipe "aws": the lines after it`}},
		{"the kubectl pipeline cut", " | kubectl apply -f -", "", []string{`recipe "kubectl": argv`, `kubectl did not run with args ["apply" "-f" "-"]`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Only the recipes section changes: other sections may quote a
			// recipe too.
			start := strings.Index(readme, recipesStart)
			if start < 0 || !strings.Contains(readme[start:], c.old) {
				t.Fatalf("the recipes of README.md no longer hold %q: update this case", c.old)
			}
			broken := readme[:start] + strings.Replace(readme[start:], c.old, c.new, 1)
			problems := strings.Join(recipeProblems(t, broken), "\n")
			for _, want := range c.want {
				if !strings.Contains(problems, want) {
					t.Errorf("no problem says %q; got:\n%s", want, problems)
				}
			}
		})
	}
}
