package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/destination/githubtest"
)

// TestDestinationsCommand: the list of the configured destinations, and
// what a person sees without a config, with a broken one, with --check.
func TestDestinationsCommand(t *testing.T) {
	tests := []struct {
		name   string
		config string // "" : no file
		mode   os.FileMode
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{name: "no config: empty list, the path named", args: []string{"-o", "json"}, code: 0,
			stdout: []string{`"destinations": []`, "config.yaml"}, stderr: []string{"No destinations:", "config.yaml does not exist"}},
		{name: "the list", config: "three", mode: 0o600, code: 0,
			stdout: []string{"NAME", "shop-ci     github   shop-deploy  GitHub Actions secret NEON_API_KEY of acme/shop", "slow-cmd    command  -"}},
		{name: "--check passes", config: "three", mode: 0o600, args: []string{"--check"}, code: 0,
			stdout: []string{"CHECK", "shop-env    dotenv   shop-deploy  passed"}},
		{name: "a malformed config: its errors, exit 2", config: "destinations:\n  x:\n    gitlab: {repo: a/b}\n  y:\n    dotenv: {var: K}\n", mode: 0o600, code: 2,
			stderr: []string{"config.yaml:3: destination \"x\": unknown field \"gitlab\"", "config.yaml:5: destination \"y\": dotenv: path is missing"}},
		{name: "a config others may write is refused", config: "three", mode: 0o620, code: 2,
			stderr: []string{"writable by group or others"}},
		{name: "--api-key is refused", args: []string{"--api-key", "-"}, code: 2,
			stderr: []string{"destinations does not take --api-key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newDestWorld(t)
			switch tt.config {
			case "":
			case "three":
				w.writeConfig(w.threeDestinations())
			default:
				w.writeConfig(tt.config)
			}
			if tt.config != "" {
				if err := os.Chmod(w.env["NEONKEYS_CONFIG"], tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			r := w.run(append([]string{"destinations"}, tt.args...)...)
			wantCode(t, r, tt.code)
			for _, want := range tt.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if n := w.gh.Count(http.MethodPut); n != 0 {
				t.Errorf("destinations wrote %d GitHub secrets", n)
			}
		})
	}
}

// TestCreateToDestinations: create --to asks before it overwrites (off a
// terminal it needs --yes), then writes the token there and nowhere else.
func TestCreateToDestinations(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		noFile  bool
		code    int
		created bool
		stderr  string
	}{
		{name: "off a terminal without --yes: refused, nothing created", args: []string{"--to", "shop-ci"}, code: 2,
			stderr: "refusing to create a key whose token overwrites shop-ci without --yes"},
		{name: "--yes delivers", args: []string{"--to", "shop-ci", "--to", "shop-env", "--yes"}, code: 0, created: true,
			stderr: "every destination holds the new key"},
		{name: "--out with --to refused", args: []string{"--to", "shop-ci", "--out", "k", "--yes"}, code: 2,
			stderr: "--out cannot be combined with destinations"},
		{name: "an unknown name refused", args: []string{"--to", "shop-cj", "--yes"}, code: 2, stderr: `no destination "shop-cj"`},
		{name: "no config file", args: []string{"--to", "shop-ci", "--yes"}, noFile: true, code: 2,
			stderr: "write the destinations config first"},
		{name: "first destination fails: the key is withdrawn", args: []string{"--to", "broken-cmd", "--yes"}, code: 1, created: true,
			stderr: "was revoked again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newDestWorld(t)
			if !tt.noFile {
				w.writeConfig(w.threeDestinations())
			}
			t.Chdir(w.home)
			r := w.run(append([]string{"create", "--name", "shop-ci-2", "--project-id", w.fx.OrgProject.ID}, tt.args...)...)
			wantCode(t, r, tt.code)
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
			if got := mutations(w.srv, http.MethodPost) > 0; got != tt.created {
				t.Errorf("a key was created: %v, want %v", got, tt.created)
			}
			noTokenIn(t, r)
			if tt.code != 0 {
				return
			}
			token := w.githubValue()
			if token == "" || token != w.dotenvValue() || !w.works(token) {
				t.Errorf("the destinations do not hold one working token")
			}
			if !strings.Contains(r.stdout, "the new key napi_…"+token[len(token)-4:]) {
				t.Errorf("stdout lacks the fingerprint:\n%s", r.stdout)
			}
		})
	}
}

// TestDeliverCommand: deliver writes a token it reads from a file (or a
// pipe) to the destinations named, after checking them; it refuses what
// is not a Neon token and never prints the token.
func TestDeliverCommand(t *testing.T) {
	const notToken = "hunter2-not-a-neon-token-at-all-0123456789"
	tests := []struct {
		name    string
		content string // of the token file; "" : the member's token
		args    []string
		stdin   string
		setup   func(w *destWorld)
		code    int
		written bool // shop-env holds the token afterwards
		stderr  []string
	}{
		{name: "from a file", args: []string{"--to", "shop-env", "--to", "vault-ci"}, code: 0, written: true,
			stderr: []string{"Every destination holds the token napi_…"}},
		{name: "from stdin", args: []string{"--to", "shop-env"}, stdin: "TOKEN\n", code: 0, written: true},
		{name: "not a Neon token", content: notToken, args: []string{"--to", "shop-env"}, code: 2,
			stderr: []string{"is not a Neon token: it does not start with napi_", "nothing was delivered"}},
		{name: "a failed check writes nothing", args: []string{"--to", "shop-env", "--to", "shop-ci"}, code: 1,
			setup: func(w *destWorld) {
				w.gh.AddFault(githubtest.Fault{Method: http.MethodGet, PathSuffix: "/public-key", Status: 403})
			},
			stderr: []string{"GitHub answered 403", "nothing was written"}},
		{name: "a failed first delivery: the next step names every destination left", args: []string{"--to", "broken-cmd", "--to", "shop-env"}, code: 1,
			stderr: []string{"exited with status 1", "--to broken-cmd --to shop-env"}},
		{name: "an unknown destination", args: []string{"--to", "nope"}, code: 2, stderr: []string{`no destination "nope"`}},
		{name: "--to is required", code: 2, stderr: []string{`"to" not set`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newDestWorld(t)
			w.writeConfig(w.threeDestinations())
			if tt.setup != nil {
				tt.setup(w)
			}
			content := tt.content
			if content == "" {
				content = w.fx.MemberToken
			}
			file := filepath.Join(w.home, "new.token")
			if err := os.WriteFile(file, []byte(content+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"deliver", "--token-file", file}, tt.args...)
			if tt.stdin != "" {
				args[2] = "-"
			}
			r := runCLI(t, runOpts{env: w.env, stdin: strings.NewReader(strings.ReplaceAll(tt.stdin, "TOKEN", content))}, args...)
			wantCode(t, r, tt.code)
			for _, want := range tt.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if got := w.dotenvValue() == content; got != tt.written {
				t.Errorf("shop-env holds the token: %v, want %v", got, tt.written)
			}
			noTokenIn(t, r, content)
			if n := len(w.srv.Mutations()); n != 0 {
				t.Errorf("deliver sent %d mutations to Neon", n)
			}
		})
	}
}

// TestSelfKeyWarningSuggestsASelfDestination: revoking or rotating the key
// neonkeys runs with, read from NEON_API_KEY_FILE, warns before the prompt
// and says how a self destination keeps neonkeys working; rotating it to
// that self destination replaces the key file, and neonkeys goes on working.
func TestSelfKeyWarningSuggestsASelfDestination(t *testing.T) {
	tests := []struct {
		name     string
		fromFile bool
		config   string
		args     []string
		hint     string
	}{
		{name: "revoke, no self destination yet", fromFile: true, args: []string{"revoke"},
			hint: "rotate it instead: neonkeys reads its key from KEYFILE, which a self destination replaces with the new key (neonkeys then uses it): add a self destination (for example own-key: {self: true} under destinations:)"},
		{name: "rotate, a self destination configured", fromFile: true, config: "destinations:\n  mine: {self: true}\n", args: []string{"rotate"},
			hint: "To rotate it without losing access: neonkeys reads its key from KEYFILE, which a self destination replaces with the new key (neonkeys then uses it): run neonkeys rotate ID --to mine (your self destination)"},
		{name: "credential from NEON_API_KEY: no hint", args: []string{"revoke"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newDestWorld(t)
			keyFile := filepath.Join(w.home, "neon.key")
			if tt.fromFile {
				if err := os.WriteFile(keyFile, []byte(w.fx.AdminToken+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				delete(w.env, "NEON_API_KEY")
				w.env["NEON_API_KEY_FILE"] = keyFile
			}
			if tt.config != "" {
				w.writeConfig(tt.config)
			}
			args := append(tt.args, id(w.fx.AdminKeyID))
			r := runCLI(t, runOpts{env: w.env, interactive: true, stdin: strings.NewReader("no\nno\nno\n")}, args...)
			wantCode(t, r, 2)
			warn := strings.Index(r.stderr, "Warning: this is the key neonkeys is using")
			prompt := strings.Index(r.stderr, "Type the key name to confirm")
			if warn < 0 || prompt < warn {
				t.Fatalf("the warning is not before the prompt:\n%s", r.stderr)
			}
			hint := strings.NewReplacer("KEYFILE", keyFile, "ID", id(w.fx.AdminKeyID)).Replace(tt.hint)
			if tt.hint == "" {
				if strings.Contains(r.stderr, "self destination") {
					t.Errorf("a hint about a self destination without a key file:\n%s", r.stderr)
				}
				return
			}
			if i := strings.Index(r.stderr, hint); i < warn || i > prompt {
				t.Errorf("stderr lacks, between the warning and the prompt, %q:\n%s", hint, r.stderr)
			}
		})
	}
}

// TestRotateToSelfKeepsNeonkeysWorking: rotating the key neonkeys runs with
// to a self destination writes the new token to its key file, revokes the
// old key with the new credential, and says no "stops working" warning.
func TestRotateToSelfKeepsNeonkeysWorking(t *testing.T) {
	w := newDestWorld(t)
	keyFile := filepath.Join(w.home, "neon.key")
	if err := os.WriteFile(keyFile, []byte(w.fx.AdminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	delete(w.env, "NEON_API_KEY")
	w.env["NEON_API_KEY_FILE"] = keyFile
	w.writeConfig("destinations:\n  mine: {self: true}\n")
	r := w.run("rotate", id(w.fx.AdminKeyID), "--to", "mine", "--yes")
	wantCode(t, r, 0)
	if strings.Contains(r.stderr, "stops working") || !strings.Contains(r.stderr, "now holds the new key") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(data))
	if token == w.fx.AdminToken || !w.works(token) || w.live(w.fx.AdminKeyID) {
		t.Error("the key file does not hold a new working key, or the old key is live")
	}
	noTokenIn(t, r, token, w.fx.AdminToken)
	if r := w.run("list"); r.code != 0 {
		t.Errorf("neonkeys stopped working after rotating its own key: %d\n%s", r.code, r.stderr)
	}
}

// TestRotateOwnKeyToOtherDestinationsSaysNeonkeysStops: rotating the key
// neonkeys runs with to destinations that do not include its own key file
// warns before and notes after that neonkeys now gets 401.
func TestRotateOwnKeyToOtherDestinationsSaysNeonkeysStops(t *testing.T) {
	w := newDestWorld(t)
	w.writeConfig(w.threeDestinations())
	r := w.run("rotate", id(w.fx.AdminKeyID), "--to", "shop-env", "--yes")
	wantCode(t, r, 0)
	warn := strings.Index(r.stderr, "Warning: this is the key neonkeys is using")
	note := strings.Index(r.stderr, "Note: neonkeys was using this key")
	if warn < 0 || note < warn {
		t.Errorf("want the warning, then the note after the rotation:\n%s", r.stderr)
	}
}

// TestToCompletesTheConfiguredNames: shell completion of --to offers the
// names of the config, in rotate, create and deliver.
func TestToCompletesTheConfiguredNames(t *testing.T) {
	w := newDestWorld(t)
	w.writeConfig(w.threeDestinations())
	for _, args := range [][]string{
		{"__complete", "rotate", "1", "--to", ""},
		{"__complete", "create", "--name", "x", "--to", ""},
		{"__complete", "deliver", "--token-file", "f", "--to", ""},
	} {
		r := w.run(args...)
		wantCode(t, r, 0)
		if !strings.HasPrefix(r.stdout, "broken-cmd\nshop-ci\nshop-env\nslow-cmd\nvault-ci\n:4\n") {
			t.Errorf("%v completes:\n%s", args[1], r.stdout)
		}
	}
}
