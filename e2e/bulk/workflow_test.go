package bulk

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/neonkeys/neonkeys/destination/githubtest"
	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// workflowFile is the scheduled rotation README.md points to.
const workflowFile = "../../examples/rotate-neon-keys.yml"

// workflow is what the test reads of a GitHub Actions workflow.
type workflow struct {
	Jobs map[string]job `yaml:"jobs"`
}

type job struct {
	Defaults struct {
		Run struct {
			Shell string `yaml:"shell"`
		} `yaml:"run"`
	} `yaml:"defaults"`
	Env   map[string]string `yaml:"env"`
	Steps []step            `yaml:"steps"`
}

type step struct {
	Name string            `yaml:"name"`
	ID   string            `yaml:"id"`
	Uses string            `yaml:"uses"`
	If   string            `yaml:"if"`
	Env  map[string]string `yaml:"env"`
	Run  string            `yaml:"run"`
}

// stepResult is one step's run; ran is false for a step its if: skipped.
type stepResult struct {
	ran            bool
	code           int
	stdout, stderr string
}

// runner plays the part of GitHub Actions for one job of the workflow: a
// workspace holding the checkout (the config group-writable), the
// runner's files (GITHUB_PATH, GITHUB_STEP_SUMMARY) and a fake gh that
// serves a release built from the binary under test, so the install step
// runs as written, checksum check included. Each run: step goes to bash as
// Actions runs it with shell: bash (bash --noprofile --norc -eo pipefail).
type runner struct {
	t         *testing.T
	world     *harness.CLIWorld
	gh        *githubtest.Server
	workspace string
	temp      string
	summary   string
	pathFile  string
	release   string
	// exprs are the values of the ${{ }} expressions the workflow may use.
	exprs map[string]string
	base  []string
}

const workflowGitHubCred = "ghp_workflowtestcredential0123456789ab"

// runnerArch is RUNNER_ARCH for this machine, as Actions spells it.
func runnerArch(t *testing.T) string {
	if runtime.GOOS != "linux" {
		t.Skip("the workflow installs the Linux build; this test runs on Linux only")
	}
	switch runtime.GOARCH {
	case "amd64":
		return "X64"
	case "arm64":
		return "ARM64"
	}
	t.Skipf("no Actions runner is %s", runtime.GOARCH)
	return ""
}

func readWorkflow(t *testing.T) job {
	t.Helper()
	data, err := os.ReadFile(workflowFile)
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", workflowFile, err)
	}
	j, ok := wf.Jobs["rotate"]
	if !ok {
		t.Fatalf("%s has no job rotate", workflowFile)
	}
	if j.Defaults.Run.Shell != "bash" {
		t.Fatalf("the job's run steps use shell %q; the test runs them as shell: bash", j.Defaults.Run.Shell)
	}
	return j
}

func newRunner(t *testing.T, version string) *runner {
	t.Helper()
	arch := runnerArch(t)
	// The plain build: the steps are about what the program users install
	// does, and a -race build is several times bigger to pack and slower.
	w := harness.NewCLIWorld(t, harness.PlainBinary(t))
	r := &runner{t: t, world: w, gh: githubtest.New(t, workflowGitHubCred), workspace: t.TempDir(), temp: t.TempDir(), release: t.TempDir()}
	home := t.TempDir()
	r.summary = filepath.Join(r.temp, "step_summary.md")
	r.pathFile = filepath.Join(r.temp, "github_path")
	for _, f := range []string{r.summary, r.pathFile} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The checkout: the committed config as git leaves it under umask
	// 002 (a self-hosted runner's, for one): group-writable, which
	// neonkeys refuses until the workflow's chmod.
	cfg, err := os.ReadFile("../../examples/neonkeys-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(r.workspace, "examples"), 0o755); err != nil {
		t.Fatal(err)
	}
	checkout := filepath.Join(r.workspace, "examples", "neonkeys-config.yaml")
	if err := os.WriteFile(checkout, cfg, 0o664); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(checkout, 0o664); err != nil { // past this process's umask
		t.Fatal(err)
	}
	fakeBin := t.TempDir()
	r.writeFakeGH(fakeBin)
	r.writeRelease(version, strings.ToLower(map[string]string{"X64": "amd64", "ARM64": "arm64"}[arch]))
	r.base = harness.Env(
		"PATH="+fakeBin+":"+os.Getenv("PATH"),
		"HOME="+home,
		"XDG_STATE_HOME="+filepath.Join(home, "state"),
		"RUNNER_TEMP="+r.temp,
		"RUNNER_ARCH="+arch,
		"GITHUB_WORKSPACE="+r.workspace,
		"GITHUB_PATH="+r.pathFile,
		"GITHUB_STEP_SUMMARY="+r.summary,
		"GITHUB_API_URL="+r.gh.URL,
		"NEON_API_HOST="+w.Srv.URL(),
		"FAKE_RELEASE_DIR="+r.release,
	)
	r.exprs = map[string]string{
		"github.workspace":           r.workspace,
		"github.token":               "ghs_actionsjobtoken0123456789",
		"secrets.GH_TOKEN":           workflowGitHubCred,
		"inputs.older_than || '90d'": "90d", // a scheduled run has no inputs
		"secrets.NEON_API_KEY":       "",    // set by the test: the key the job runs with
	}
	return r
}

// writeFakeGH puts a gh on PATH that answers release download from the
// release folder, and logs what it was asked.
func (r *runner) writeFakeGH(dir string) {
	script := `#!/bin/sh
echo "$*" >> "$FAKE_RELEASE_DIR/gh.log"
if [ "$1" != release ] || [ "$2" != download ]; then echo "fake gh: unexpected: $*" >&2; exit 64; fi
shift 3
while [ $# -gt 0 ]; do
  case "$1" in
    --pattern) cp "$FAKE_RELEASE_DIR/$2" . || exit 1; shift 2 ;;
    *) shift ;;
  esac
done
`
	if err := os.WriteFile(filepath.Join(dir, "gh"), []byte(script), 0o755); err != nil {
		r.t.Fatal(err)
	}
}

// writeRelease lays out a release as .goreleaser.yaml names it: the
// archive of this platform holding the binary under test, and the
// checksums file (with another platform's line, which the step must not
// take for its own).
func (r *runner) writeRelease(version, arch string) {
	bin, err := os.ReadFile(r.world.Bin)
	if err != nil {
		r.t.Fatal(err)
	}
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // a valid level: no error
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"neonkeys", 0o755, bin}, {"LICENSE", 0o644, []byte("licence\n")}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: time.Unix(0, 0)}); err != nil {
			r.t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			r.t.Fatal(err)
		}
	}
	if err := errors.Join(tw.Close(), gz.Close()); err != nil {
		r.t.Fatal(err)
	}
	archive := fmt.Sprintf("neonkeys_%s_linux_%s.tar.gz", version, arch)
	sum := sha256.Sum256(buf.Bytes())
	sums := fmt.Sprintf("%s  neonkeys_%s_darwin_arm64.tar.gz\n%s  %s\n", strings.Repeat("0", 64), version, hex.EncodeToString(sum[:]), archive)
	for name, data := range map[string][]byte{archive: buf.Bytes(), fmt.Sprintf("neonkeys_%s_checksums.txt", version): []byte(sums)} {
		if err := os.WriteFile(filepath.Join(r.release, name), data, 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

var exprRe = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// expand replaces each ${{ expression }} of s with its value; an
// expression the test does not know fails it, so the workflow cannot
// depend on something this test does not play.
func (r *runner) expand(s string) string {
	return exprRe.ReplaceAllStringFunc(s, func(m string) string {
		e := exprRe.FindStringSubmatch(m)[1]
		v, ok := r.exprs[e]
		if !ok {
			r.t.Fatalf("the workflow uses ${{ %s }}, which this test does not provide", e)
		}
		return v
	})
}

// shouldRun applies a step's if: as Actions does: without one, a step
// runs only while every earlier step succeeded.
func (r *runner) shouldRun(s step, failed bool) bool {
	switch strings.TrimSpace(s.If) {
	case "":
		return !failed
	case "${{ !cancelled() }}", "${{ always() }}":
		return true
	}
	r.t.Fatalf("step %q: if: %q is not one this test plays", s.Name, s.If)
	return false
}

// run runs every step of j in order and returns each run: step's result by
// id (else name).
func (r *runner) run(j job) map[string]stepResult {
	results := map[string]stepResult{}
	failed := false
	for i, s := range j.Steps {
		key := s.ID
		if key == "" {
			key = s.Name
		}
		switch {
		case s.Uses != "":
			// The checkout is the workspace newRunner prepared; no other
			// action may stand in a step this test cannot run.
			if !strings.HasPrefix(s.Uses, "actions/checkout@") {
				r.t.Fatalf("step %d uses %s, which this test cannot play", i, s.Uses)
			}
			continue
		case !r.shouldRun(s, failed):
			results[key] = stepResult{}
			continue
		}
		res := r.runStep(i, j.Env, s)
		results[key] = res
		if res.code != 0 {
			failed = true
		}
	}
	return results
}

func (r *runner) runStep(i int, jobEnv map[string]string, s step) stepResult {
	script := filepath.Join(r.t.TempDir(), fmt.Sprintf("step%d.sh", i))
	if err := os.WriteFile(script, []byte(s.Run), 0o600); err != nil {
		r.t.Fatal(err)
	}
	env := append([]string{}, r.base...)
	for _, vars := range []map[string]string{jobEnv, s.Env} {
		for k, v := range vars {
			env = append(env, k+"="+r.expand(v))
		}
	}
	env = append(env, "PATH="+r.path())
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Dir, cmd.Env = r.workspace, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := stepResult{ran: true, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		r.t.Fatalf("step %q: %v", s.Name, err)
	}
	return res
}

// path is PATH as Actions sets it for a step: what earlier steps added to
// GITHUB_PATH, the latest first, then the runner's.
func (r *runner) path() string {
	data, err := os.ReadFile(r.pathFile)
	if err != nil {
		r.t.Fatal(err)
	}
	var dirs []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line != "" {
			dirs = append([]string{line}, dirs...)
		}
	}
	for _, kv := range r.base {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			dirs = append(dirs, p)
		}
	}
	return strings.Join(dirs, ":")
}

func (r *runner) readSummary() string {
	data, err := os.ReadFile(r.summary)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(data)
}

// rotationWorld seeds the keys the committed config names, all 100 days
// old: shop-deploy (the seed's project key), shop-staging (an org key) and
// neon-key-rotation, the personal key the job runs with. laptop, the
// admin's other personal key, is young and left alone.
func rotationWorld(t *testing.T, r *runner) map[string]int64 {
	t.Helper()
	srv, fx := r.world.Srv, r.world.Fx
	ids := map[string]int64{"shop-deploy": fx.ProjectKeyID}
	_, ids["shop-staging"] = srv.AddOrgKey(fx.Org.ID, "shop-staging", "")
	var token string
	token, ids["neon-key-rotation"] = srv.AddPersonalKey(fx.Admin.ID, "neon-key-rotation")
	r.exprs["secrets.NEON_API_KEY"] = token
	for _, id := range ids {
		srv.SetKeyCreatedAt(id, time.Now().Add(-100*24*time.Hour))
	}
	return ids
}

func live(srv *neontest.Server, id int64) bool {
	k, ok := srv.Key(id)
	return ok && !k.Revoked
}

// works reports whether token authenticates with the fake Neon API.
func (r *runner) works(token string) bool {
	r.t.Helper()
	return r.world.Run(r.t, "", harness.Env("NEON_API_HOST="+r.world.Srv.URL(), "NEON_API_KEY="+token), "whoami").Code == 0
}

// secrets are the values the fake GitHub holds for the three destinations
// of the committed config.
func (r *runner) secrets() map[string]string {
	out := map[string]string{}
	if s, ok := r.gh.RepoSecret("acme/shop", "NEON_API_KEY"); ok {
		out["shop-ci"] = s.Value
	}
	if s, ok := r.gh.EnvSecret("acme/shop", "staging", "NEON_API_KEY"); ok {
		out["shop-staging"] = s.Value
	}
	if s, ok := r.gh.RepoSecret("acme/key-rotation", "NEON_API_KEY"); ok {
		out["key-rotation"] = s.Value
	}
	return out
}

// noTokenIn fails when s holds a token: any piece of one, or one of known.
func noTokenIn(t *testing.T, where, s string, known ...string) {
	t.Helper()
	if m := anyToken.FindString(s); m != "" {
		t.Errorf("%s holds a token (%s…):\n%s", where, m[:9], s)
	}
	for _, k := range known {
		if k != "" && strings.Contains(s, k) {
			t.Errorf("%s holds a secret (%s…)", where, k[:8])
		}
	}
}

// TestWorkflowRotatesOnSchedule runs the workflow's steps as a scheduled
// run: the install step checks the release's checksum and installs the
// binary, the config is locked down, the audit passes, every key the
// config holds is rotated into its GitHub secret (the job's own key last,
// into the secret the next run reads), and the job summary names the keys
// and fingerprints without a token.
func TestWorkflowRotatesOnSchedule(t *testing.T) {
	j := readWorkflow(t)
	r := newRunner(t, j.Env["NEONKEYS_VERSION"])
	ids := rotationWorld(t, r)
	res := r.run(j)

	for _, s := range j.Steps {
		if s.Run == "" {
			continue
		}
		key := s.ID
		if key == "" {
			key = s.Name
		}
		if got := res[key]; !got.ran || got.code != 0 {
			t.Errorf("step %q: ran %v, exit %d\nstdout:\n%s\nstderr:\n%s", key, got.ran, got.code, got.stdout, got.stderr)
		}
	}
	gh, _ := os.ReadFile(filepath.Join(r.release, "gh.log"))
	if !strings.Contains(string(gh), "release download v"+strings.TrimPrefix(j.Env["NEONKEYS_VERSION"], "v")+" --repo neonkeys/neonkeys") {
		t.Errorf("gh was asked %q", gh)
	}
	if st, err := os.Stat(filepath.Join(r.workspace, "examples", "neonkeys-config.yaml")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("config mode after the run: %v (%v), want 0600", st.Mode(), err)
	}
	for name, id := range ids {
		if live(r.world.Srv, id) {
			t.Errorf("%s: the old key is still live", name)
		}
	}
	secrets := r.secrets()
	for _, dest := range []string{"shop-ci", "shop-staging", "key-rotation"} {
		if !r.works(secrets[dest]) {
			t.Errorf("the %s secret does not hold a working key", dest)
		}
	}
	summary := r.readSummary()
	known := []string{r.exprs["secrets.NEON_API_KEY"], workflowGitHubCred, secrets["shop-ci"], secrets["shop-staging"], secrets["key-rotation"]}
	noTokenIn(t, "the job summary", summary, known...)
	for _, s := range res {
		noTokenIn(t, "a step's output", s.stdout+s.stderr, known...)
	}
	for _, want := range []string{"### Audit", "0 high", "3 rotated, 0 failed, 0 skipped.", "| shop-staging | rotated |", "napi_…"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q:\n%s", want, summary)
		}
	}
	rows := regexp.MustCompile(`(?m)^\| \d+ \| (\S+) \|`).FindAllStringSubmatch(summary, -1)
	if len(rows) == 0 || rows[len(rows)-1][1] != "neon-key-rotation" {
		t.Errorf("the job's own key is not rotated last:\n%s", summary)
	}
}

// TestWorkflowFailsVisibly: a destination GitHub refuses makes the Rotate
// step fail (so the job does), the other keys still rotate, and the
// summary still comes, saying which key is left undone and why, with an
// error annotation; a release whose checksum does not match stops the
// job before any key is touched.
func TestWorkflowFailsVisibly(t *testing.T) {
	t.Run("a failing destination", func(t *testing.T) {
		j := readWorkflow(t)
		r := newRunner(t, j.Env["NEONKEYS_VERSION"])
		ids := rotationWorld(t, r)
		r.gh.AddFault(githubtest.Fault{Method: http.MethodPut, PathSuffix: "/environments/staging/secrets/NEON_API_KEY", Status: http.StatusUnprocessableEntity, Body: `{"message":"Bad request"}`})
		res := r.run(j)
		if got := res["rotate"]; !got.ran || got.code != 1 {
			t.Fatalf("Rotate: ran %v, exit %d, want 1\n%s", got.ran, got.code, got.stderr)
		}
		sum := res["Summary"]
		if !sum.ran || sum.code != 0 || !strings.Contains(sum.stdout, "::error title=Neon key rotation::1 key(s) left undone") {
			t.Errorf("Summary: ran %v, exit %d, stdout:\n%s\nstderr:\n%s", sum.ran, sum.code, sum.stdout, sum.stderr)
		}
		if !live(r.world.Srv, ids["shop-staging"]) || live(r.world.Srv, ids["shop-deploy"]) || live(r.world.Srv, ids["neon-key-rotation"]) {
			t.Error("want shop-staging's old key kept and the others rotated")
		}
		summary := r.readSummary()
		noTokenIn(t, "the job summary", summary, r.exprs["secrets.NEON_API_KEY"], r.secrets()["shop-ci"])
		for _, want := range []string{"2 rotated, 1 failed, 0 skipped.", "| shop-staging | failed |", "shop-staging failed", "**shop-staging**", "no destination received the new token"} {
			if !strings.Contains(summary, want) {
				t.Errorf("the summary lacks %q:\n%s", want, summary)
			}
		}
	})
	t.Run("a checksum that does not match", func(t *testing.T) {
		j := readWorkflow(t)
		r := newRunner(t, j.Env["NEONKEYS_VERSION"])
		rotationWorld(t, r)
		archives, _ := filepath.Glob(filepath.Join(r.release, "*.tar.gz"))
		f, err := os.OpenFile(archives[0], os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.Write([]byte("tampered"))
		_ = f.Close()
		res := r.run(j)
		if got := res["install"]; got.code == 0 || !strings.Contains(got.stdout+got.stderr, "FAILED") {
			t.Errorf("install: exit %d\n%s%s", got.code, got.stdout, got.stderr)
		}
		if res["audit"].ran || res["rotate"].code == 0 || len(r.world.Srv.Mutations()) != 0 {
			t.Errorf("the job went on with an unverified binary: audit ran %v, rotate exit %d, %d mutations",
				res["audit"].ran, res["rotate"].code, len(r.world.Srv.Mutations()))
		}
		if !strings.Contains(r.readSummary(), "The rotation did not run or did not finish") {
			t.Errorf("summary:\n%s", r.readSummary())
		}
	})
}
