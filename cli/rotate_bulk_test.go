package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/destination/githubtest"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// bulkConfig: svc-a goes to a .env file, svc-b to a token file, svc-c to
// a GitHub secret; nothing holds svc-d.
const bulkConfig = `destinations:
  a-env:
    dotenv: {path: ~/a.env, var: NEON_API_KEY}
    holds: svc-a
  b-file:
    file: {path: ~/b.token}
    holds: svc-b
  c-ci:
    github: {repo: acme/c, secret: NEON_API_KEY}
    holds: svc-c
`

// bulkWorld is a destWorld with four organization keys created at created
// (100 days ago, unless a golden file needs a fixed time), svc-a to svc-d,
// by name.
type bulkWorld struct {
	*destWorld
	ids map[string]int64
}

func newBulkWorld(t *testing.T, opts ...neontest.Option) *bulkWorld {
	t.Helper()
	return newBulkWorldAt(t, time.Now().Add(-100*24*time.Hour), opts...)
}

func newBulkWorldAt(t *testing.T, created time.Time, opts ...neontest.Option) *bulkWorld {
	t.Helper()
	w := &bulkWorld{destWorld: newDestWorld(t, opts...), ids: map[string]int64{}}
	w.writeConfig(bulkConfig)
	for _, name := range []string{"svc-a", "svc-b", "svc-c", "svc-d"} {
		_, w.ids[name] = w.srv.AddOrgKey(w.fx.Org.ID, name, "")
		w.srv.SetKeyCreatedAt(w.ids[name], created)
	}
	return w
}

// failGitHub makes GitHub refuse every secret write with 422 (it stored
// nothing: the new key is withdrawn, the old one kept).
func (w *bulkWorld) failGitHub() {
	w.gh.AddFault(githubtest.Fault{Method: http.MethodPut, PathSuffix: "/NEON_API_KEY", Status: http.StatusUnprocessableEntity, Body: `{"message":"Bad request"}`})
}

func (w *bulkWorld) homeFile(name string) string {
	w.t.Helper()
	b, err := os.ReadFile(filepath.Join(w.home, name))
	if err != nil {
		w.t.Fatal(err)
	}
	return strings.TrimSpace(strings.TrimPrefix(string(b), "NEON_API_KEY="))
}

// row is the result table's line of key name, split in columns.
func row(t *testing.T, stdout, name string) []string {
	t.Helper()
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == name {
			return f
		}
	}
	t.Fatalf("no row for %s in:\n%s", name, stdout)
	return nil
}

// TestBulkRotateMixedRun: of four keys older than 90 days, two rotate to
// their destinations, one fails at delivery (GitHub refuses: its new key
// is withdrawn, the old one stays) and one no destination holds is skipped
// with the reason; the run goes on past the failure, the result table says
// so, the failed key's next steps follow, and the exit code is 1.
func TestBulkRotateMixedRun(t *testing.T) {
	w := newBulkWorld(t)
	w.failGitHub()
	r := w.run("rotate", "--older-than", "90d", "--yes")
	wantCode(t, r, ExitFailed)
	noTokenIn(t, r)
	for _, req := range w.srv.Requests() {
		if strings.HasSuffix(req.Path, "/members") {
			t.Errorf("a bulk rotation listed members (%s): it judges no creators", req.Path)
		}
	}

	for name, status := range map[string]string{"svc-a": "rotated", "svc-b": "rotated", "svc-c": "failed", "svc-d": "skipped"} {
		if got := row(t, r.stdout, name)[4]; got != status {
			t.Errorf("%s: status %q, want %q\n%s", name, got, status, r.stdout)
		}
	}
	for _, name := range []string{"svc-a", "svc-b"} {
		if w.live(w.ids[name]) {
			t.Errorf("%s: the old key is still live", name)
		}
	}
	if tok := w.homeFile("a.env"); !w.works(tok) {
		t.Error("a.env does not hold a working key")
	}
	if tok := w.homeFile("b.token"); !w.works(tok) {
		t.Error("b.token does not hold a working key")
	}
	if !w.live(w.ids["svc-c"]) || !w.live(w.ids["svc-d"]) {
		t.Error("svc-c or svc-d lost its old key")
	}
	live := 0
	for _, k := range w.srv.Keys() {
		if k.ID > w.ids["svc-d"] && !k.Revoked {
			live++
		}
	}
	if live != 2 {
		t.Errorf("%d new keys live, want 2 (svc-c's was withdrawn)", live)
	}
	for _, want := range []string{
		"no destination holds it (add holds: svc-d",
		"c-ci (github): failed",
		"Rotated 2 of 3 key(s); 1 failed, 1 skipped.",
	} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("output lacks %q:\n%s\n%s", want, r.stdout, r.stderr)
		}
	}
	if !regexp.MustCompile(`Key \d+ "svc-c": no destination received the new token`).MatchString(r.stderr) {
		t.Errorf("stderr does not explain svc-c:\n%s", r.stderr)
	}
}

// TestBulkRotatePlanThenOneQuestion: at a terminal the plan (every key,
// its new name and destinations, or why it is skipped) comes before the
// one question, which wants the number of keys; a wrong number three times
// changes nothing.
func TestBulkRotatePlanThenOneQuestion(t *testing.T) {
	tests := []struct {
		name    string
		answer  string
		prompts int
		code    int
		posts   int
	}{
		{"the number of keys", "3\n", 1, ExitOK, 3},
		{"a wrong number three times", "4\nyes\n2\n", 3, ExitUsage, 0},
		{"end of input", "", 1, ExitUsage, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newBulkWorld(t)
			r := runCLI(t, runOpts{env: w.env, interactive: true, stdin: strings.NewReader(tt.answer)}, "rotate", "--older-than", "90d")
			wantCode(t, r, tt.code)
			prompt := strings.Index(r.stderr, "Type the number of keys to rotate to confirm: ")
			if prompt < 0 || strings.Count(r.stderr, "Type the number") != tt.prompts {
				t.Fatalf("prompt missing or repeated wrongly:\n%s", r.stderr)
			}
			plan := r.stderr[:prompt]
			for _, want := range []string{"Rotate these 3 key(s) older than 90d?", "svc-a-rotated-", "a-env", "b-file", "c-ci", "skipped: no destination holds it"} {
				if !strings.Contains(plan, want) {
					t.Errorf("the plan before the prompt lacks %q:\n%s", want, plan)
				}
			}
			if got := mutations(w.srv, http.MethodPost); got != tt.posts {
				t.Errorf("%d keys created, want %d", got, tt.posts)
			}
		})
	}
}

// TestBulkRotateExitCodes: each command line refused before anything
// changed exits 2 and creates nothing; a run with nothing to rotate, or
// everything rotated, exits 0.
func TestBulkRotateExitCodes(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		code  int
		want  string
		setup func(w *bulkWorld)
	}{
		{"an ID and --older-than", []string{"rotate", "12", "--older-than", "90d", "--yes"}, ExitUsage, "not both", nil},
		{"neither", []string{"rotate", "--yes"}, ExitUsage, "needs a key ID", nil},
		{"an ID with --only-held", []string{"rotate", "12", "--only-held", "--yes"}, ExitUsage, "--only-held only applies with --older-than", nil},
		{"not an age", []string{"rotate", "--older-than", "soon", "--yes"}, ExitUsage, "is not an age", nil},
		{"--include-unheld without --out-dir", []string{"rotate", "--older-than", "90d", "--include-unheld", "--yes"}, ExitUsage, "needs --out-dir", nil},
		{"--out-dir without --include-unheld", []string{"rotate", "--older-than", "90d", "--out-dir", ".", "--yes"}, ExitUsage, "add --include-unheld", nil},
		{"--out-dir missing", []string{"rotate", "--older-than", "90d", "--include-unheld", "--out-dir", "/nonexistent/x", "--yes"}, ExitUsage, "not an existing folder", nil},
		{"--only-held and --include-unheld", []string{"rotate", "--older-than", "90d", "--only-held", "--include-unheld", "--out-dir", ".", "--yes"}, ExitUsage, "contradict", nil},
		{"--to", []string{"rotate", "--older-than", "90d", "--to", "a-env", "--yes"}, ExitUsage, "--to cannot be combined", nil},
		{"--name", []string{"rotate", "--older-than", "90d", "--name", "x", "--yes"}, ExitUsage, "--name cannot be combined", nil},
		{"no terminal, no --yes", []string{"rotate", "--older-than", "90d"}, ExitUsage, "refusing to rotate 3 key(s) without --yes", nil},
		{"an organization key cannot create", []string{"rotate", "--older-than", "90d", "--yes"}, ExitUsage, "only a personal key", func(w *bulkWorld) {
			w.env["NEON_API_KEY"] = w.fx.OrgKeyToken
		}},
		{"nothing old enough", []string{"rotate", "--older-than", "200d", "--yes"}, ExitOK, "Nothing to rotate", nil},
		{"every planned key rotated", []string{"rotate", "--older-than", "90d", "--only-held", "--yes"}, ExitOK, "Rotated 3 of 3 key(s); 0 failed, 0 skipped.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newBulkWorld(t)
			if tt.setup != nil {
				tt.setup(w)
			}
			r := w.run(tt.args...)
			wantCode(t, r, tt.code)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, r.stderr)
			}
			if tt.code == ExitUsage && len(w.srv.Mutations()) != 0 {
				t.Errorf("refused, yet %d requests changed something", len(w.srv.Mutations()))
			}
		})
	}
}

// TestBulkRotateUnheld: --only-held leaves svc-d out of the run;
// --include-unheld rotates it into a token file (0600) in --out-dir.
func TestBulkRotateUnheld(t *testing.T) {
	t.Run("only held", func(t *testing.T) {
		w := newBulkWorld(t)
		r := w.run("rotate", "--older-than", "90d", "--only-held", "--yes")
		wantCode(t, r, ExitOK)
		if strings.Contains(r.stdout+r.stderr, "svc-d") || !w.live(w.ids["svc-d"]) {
			t.Errorf("svc-d was considered:\n%s\n%s", r.stdout, r.stderr)
		}
	})
	t.Run("include unheld", func(t *testing.T) {
		w := newBulkWorld(t)
		dir := filepath.Join(w.home, "tokens")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		r := w.run("rotate", "--older-than", "90d", "--include-unheld", "--out-dir", dir, "--yes")
		wantCode(t, r, ExitOK)
		noTokenIn(t, r)
		files, _ := filepath.Glob(filepath.Join(dir, "svc-d-rotated-*.token"))
		if len(files) != 1 || w.live(w.ids["svc-d"]) {
			t.Fatalf("token files %v, old svc-d live %v:\n%s", files, w.live(w.ids["svc-d"]), r.stderr)
		}
		st, err := os.Stat(files[0])
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("token file mode %v (%v), want 0600", st.Mode(), err)
		}
		b, _ := os.ReadFile(files[0])
		if !w.works(strings.TrimSpace(string(b))) {
			t.Error("the token file does not hold a working key")
		}
	})
}

// TestBulkRotateCredentialKeyLast: the personal key neonkeys runs with is
// listed first, yet rotated last: rotated first, its revoke would make
// every later rotation fail with 401. Another personal key (spare, used an
// hour ago) is not mistaken for it.
func TestBulkRotateCredentialKeyLast(t *testing.T) {
	w := newBulkWorld(t)
	w.writeConfig(bulkConfig + "  own:\n    file: {path: ~/own.token}\n    holds: laptop\n  spare-file:\n    file: {path: ~/spare.token}\n    holds: spare\n")
	_, spare := w.srv.AddPersonalKey(w.fx.Admin.ID, "spare")
	w.srv.SetKeyLastUsed(spare, time.Now().Add(-time.Hour), "203.0.113.7")
	for _, id := range []int64{w.fx.AdminKeyID, spare} {
		w.srv.SetKeyCreatedAt(id, time.Now().Add(-100*24*time.Hour))
	}
	r := w.run("rotate", "--older-than", "90d", "--only-held", "--yes")
	wantCode(t, r, ExitOK)
	if w.live(spare) || !w.works(w.homeFile("spare.token")) {
		t.Error("spare was not rotated into spare.token")
	}
	if w.live(w.fx.AdminKeyID) || !w.works(w.homeFile("own.token")) {
		t.Error("laptop was not rotated into own.token")
	}
	rows := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if last := strings.Fields(rows[len(rows)-1]); last[1] != "laptop" {
		t.Errorf("laptop is not the last row:\n%s", r.stdout)
	}
	for _, want := range []string{"is rotated last: this looks like the key neonkeys is using", "Note: if neonkeys was using this key"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// rotatedSuffixRe is the UTC time a replacement's name ends with.
var rotatedSuffixRe = regexp.MustCompile(`-rotated-\d{8}T\d{6}Z`)

// TestGoldenBulkRotate pins the -o json answer of the mixed run (README.md
// documents it). go test ./cli/ -run TestGoldenBulkRotate -update rewrites it.
func TestGoldenBulkRotate(t *testing.T) {
	// Created 100 days before the fake's fixed clock: far older than 90
	// days whatever today is.
	w := newBulkWorldAt(t, goldenClock.Add(-100*24*time.Hour), fixedClock())
	w.srv.RevokeKey(w.fx.OrgKeyID)
	w.srv.RevokeKey(w.fx.ProjectKeyID)
	w.failGitHub()
	r := w.run("rotate", "--older-than", "90d", "--org-id", w.fx.Org.ID, "--yes", "-o", "json")
	wantCode(t, r, ExitFailed)
	noTokenIn(t, r)
	checkGolden(t, "rotate_bulk", rotatedSuffixRe.ReplaceAllString(stable(r.stdout, w.fx, w.home), "-rotated-<time>"))
}

// TestBulkRotateInterrupted: Ctrl-C while the first key's destination
// runs stops the run there: that key keeps its old key, the keys after it
// are not touched (no key created for them) and say so, and the exit code
// is 1.
func TestBulkRotateInterrupted(t *testing.T) {
	w := newBulkWorld(t)
	marker := filepath.Join(w.home, "delivering")
	w.writeConfig(strings.Replace(bulkConfig, "    dotenv: {path: ~/a.env, var: NEON_API_KEY}\n",
		"    command: {argv: [sh, -c, 'touch \"$1\"; cat >/dev/null; sleep 60', sh, "+marker+"], timeout: 120s}\n", 1))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		// Ctrl-C once svc-a's program has started: an event, not a delay.
		for {
			if _, err := os.Stat(marker); err == nil {
				cancel()
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	r := runCLI(t, runOpts{env: w.env, ctx: ctx}, "rotate", "--older-than", "90d", "--yes")
	wantCode(t, r, ExitFailed)
	if got := mutations(w.srv, http.MethodPost); got != 1 {
		t.Errorf("%d keys created, want 1 (svc-a's only)", got)
	}
	for _, name := range []string{"svc-a", "svc-b", "svc-c"} {
		if !w.live(w.ids[name]) {
			t.Errorf("%s lost its old key", name)
		}
	}
	if !strings.Contains(r.stderr, "Rotated 0 of 3 key(s); 1 failed, 2 interrupted before their turn (run the command again), 1 skipped.") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	for name, status := range map[string]string{"svc-a": "failed", "svc-b": "interrupted", "svc-c": "interrupted"} {
		if got := row(t, r.stdout, name)[4]; got != status {
			t.Errorf("%s: status %q, want %q\n%s", name, got, status, r.stdout)
		}
	}
}

// TestBulkRotateNotListed: an organization whose keys cannot be listed is
// named as not considered, on stderr and in the JSON; the keys that were
// listed still rotate.
func TestBulkRotateNotListed(t *testing.T) {
	w := newBulkWorld(t)
	other := w.srv.AddOrg("Globex", w.fx.Admin.ID)
	w.srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/organizations/" + other.ID + "/api_keys", Status: http.StatusForbidden, Count: 10})
	r := w.run("rotate", "--older-than", "90d", "--only-held", "--yes", "-o", "json")
	wantCode(t, r, ExitOK)
	var out bulkOut
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.NotListed) != 1 || out.NotListed[0].OrgID != other.ID || out.Rotated != 3 {
		t.Errorf("not_listed %+v, rotated %d", out.NotListed, out.Rotated)
	}
	if !strings.Contains(r.stderr, "Not considered: the keys of organization "+other.ID) {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

// TestBulkRotateLooksUpGitHubCredentialOnce: with the GitHub credential
// from `gh auth token`, a bulk rotation runs gh once for a key's GitHub
// destination: the checks before the question and the rotation share the
// destinations they open (a slow or prompting gh is waited for once).
func TestBulkRotateLooksUpGitHubCredentialOnce(t *testing.T) {
	w := newBulkWorld(t)
	bin := t.TempDir()
	runs := filepath.Join(bin, "runs")
	script := "#!/bin/sh\necho run >> '" + runs + "'\n[ \"$1 $2\" = 'auth token' ] && echo " + destGitHubCred + "\n"
	if err := os.WriteFile(filepath.Join(bin, "gh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	w.env["GH_TOKEN"] = ""
	w.env["PATH"] = bin + ":/usr/bin:/bin"
	r := w.run("rotate", "--older-than", "90d", "--yes")
	wantCode(t, r, ExitOK)
	if got := row(t, r.stdout, "svc-c")[4]; got != "rotated" {
		t.Fatalf("svc-c: status %q, want rotated\n%s\n%s", got, r.stdout, r.stderr)
	}
	if s, _ := w.gh.RepoSecret("acme/c", "NEON_API_KEY"); !w.works(s.Value) {
		t.Error("the GitHub secret does not hold a working key")
	}
	b, err := os.ReadFile(runs)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "run"); got != 1 {
		t.Errorf("gh ran %d times for one GitHub destination, want once", got)
	}
}
