package destination

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/neonkeys/neonkeys/destination/githubtest"
)

// world is a config of every kind but self against local fakes: a GitHub
// fake, a .env file, a token file and a recording program.
type world struct {
	gh     *githubtest.Server
	env    Env
	dir    string
	dotenv string
	config string
}

func newWorld(t testing.TB, commandExtra string) *world {
	t.Helper()
	w := &world{gh: githubtest.New(t, githubCred), dir: t.TempDir()}
	w.env = testEnv(t, w.gh)
	w.dotenv = filepath.Join(w.dir, ".env")
	writeFile(t, w.dotenv, "# shop\nNEON_API_KEY=napi_old\nOTHER=1\n", 0o600)
	prog := recorder(t, w.dir, commandExtra)
	w.config = fmt.Sprintf(`destinations:
  ci:
    github: {repo: acme/shop, secret: NEON_API_KEY}
  ci-prod:
    github: {repo: acme/shop, environment: production, secret: NEON_API_KEY}
  ci-org:
    github: {org: acme, visibility: all, secret: NEON_API_KEY}
  env:
    dotenv: {path: %s, var: NEON_API_KEY}
  tokenfile:
    file: {path: %s}
  cmd:
    command: {argv: [%s, %s]}
`, w.dotenv, filepath.Join(w.dir, "neon.token"), prog, w.dir)
	return w
}

func (w *world) open(t testing.TB, names ...string) []Destination {
	t.Helper()
	return mustOpen(t, w.env, w.config, names...)
}

func statuses(rep Report) string {
	var s []string
	for _, r := range rep.Results {
		s = append(s, r.Name+"="+string(r.Status))
	}
	return strings.Join(s, " ")
}

func TestDeliverToEveryKind(t *testing.T) {
	w := newWorld(t, "")
	dests := w.open(t, "ci", "env", "cmd", "tokenfile", "ci-org")
	var seen []string
	d := Deliverer{Redactor: w.env.Redactor, OnResult: func(r Result) { seen = append(seen, r.Name) }}
	if err := d.Preflight(t.Context(), dests); err != nil {
		t.Fatal(err)
	}
	rep := d.Deliver(t.Context(), testToken, dests)
	if rep.Next() != RevokeOld || len(seen) != 5 {
		t.Fatalf("next %s, told of %v: %s", rep.Next(), seen, statuses(rep))
	}
	if s, _ := w.gh.RepoSecret("acme/shop", "NEON_API_KEY"); s.Value != testToken {
		t.Errorf("GitHub secret %q", s.Value)
	}
	if s, _ := w.gh.OrgSecret("acme", "NEON_API_KEY"); s.Value != testToken {
		t.Errorf("org secret %q", s.Value)
	}
	if got := readFile(t, w.dotenv); got != "# shop\nNEON_API_KEY="+testToken+"\nOTHER=1\n" {
		t.Errorf(".env %q", got)
	}
	if got := readFile(t, filepath.Join(w.dir, "stdin")); got != testToken {
		t.Errorf("command stdin %q", got)
	}
	if got := readFile(t, filepath.Join(w.dir, "neon.token")); got != testToken+"\n" {
		t.Errorf("token file %q", got)
	}
}

func TestPreflightNamesEachFailureAndWritesNothing(t *testing.T) {
	w := newWorld(t, "")
	w.gh.AddFault(githubtest.Fault{Method: "GET", PathSuffix: "/public-key", Status: 403, Body: `{"message":"Must have admin rights to Repository."}`})
	w.config += "  gone:\n    command: {argv: [/nonexistent/neonkeys-helper]}\n"
	dests := w.open(t, "env", "ci", "gone", "tokenfile")
	err := Deliverer{Redactor: w.env.Redactor}.Preflight(t.Context(), dests)
	var pe *PreflightError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *PreflightError", err)
	}
	for _, want := range []string{"destination ci (GitHub Actions secret NEON_API_KEY of acme/shop", "GitHub answered 403", "destination gone (the program /nonexistent/neonkeys-helper", "does not exist"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "destination env") || strings.Contains(err.Error(), "destination tokenfile") {
		t.Errorf("a passing destination is named:\n%v", err)
	}
	each := Deliverer{Redactor: w.env.Redactor}.PreflightEach(t.Context(), dests)
	if got := fmt.Sprint(each[0] == nil, each[1] == nil, each[2] == nil, each[3] == nil); got != "true false false true" {
		t.Errorf("PreflightEach passed: %s, want true false false true", got)
	}
	if w.gh.Count("PUT") != 0 || readFile(t, w.dotenv) != "# shop\nNEON_API_KEY=napi_old\nOTHER=1\n" {
		t.Error("a preflight wrote")
	}
	if _, err := os.Stat(filepath.Join(w.dir, "neon.token")); err == nil {
		t.Error("a preflight created the token file")
	}
}

// The first delivery failing certainly: nothing else is tried, nothing
// holds the new token, the caller withdraws it.
func TestFirstDeliveryFailingWithdraws(t *testing.T) {
	w := newWorld(t, "")
	w.gh.AddFault(githubtest.Fault{Method: "PUT", PathSuffix: "/actions/secrets/NEON_API_KEY", Status: 422, Body: `{"message":"Bad key"}`})
	rep := Deliverer{Redactor: w.env.Redactor}.Deliver(t.Context(), testToken, w.open(t, "ci", "env", "cmd"))
	if got := statuses(rep); got != "ci=failed env=not tried cmd=not tried" || rep.Next() != Withdraw {
		t.Fatalf("%s, next %s", got, rep.Next())
	}
	if readFile(t, w.dotenv) != "# shop\nNEON_API_KEY=napi_old\nOTHER=1\n" {
		t.Error("the .env file was written after the first delivery failed")
	}
}

// A first delivery that may have written is not a clean failure: keep both.
func TestFirstDeliveryUncertainRescues(t *testing.T) {
	w := newWorld(t, "")
	w.gh.AddFault(githubtest.Fault{Method: "PUT", PathSuffix: "/actions/secrets/NEON_API_KEY", Status: 502})
	rep := Deliverer{Redactor: w.env.Redactor}.Deliver(t.Context(), testToken, w.open(t, "ci", "env"))
	if got := statuses(rep); got != "ci=uncertain env=delivered" || rep.Next() != Rescue {
		t.Fatalf("%s, next %s", got, rep.Next())
	}
}

func TestLaterFailuresRescue(t *testing.T) {
	cases := []struct {
		name, commandExtra string
		fault              *githubtest.Fault
		names              []string
		want               string
	}{
		{"GitHub 500 on the second of three", "", &githubtest.Fault{Method: "PUT", PathSuffix: "/environments/production/secrets/NEON_API_KEY", Status: 500},
			[]string{"ci", "ci-prod", "env"}, "ci=delivered ci-prod=uncertain env=delivered"},
		{"a command exiting 1", "exit 1", nil,
			[]string{"env", "cmd", "ci"}, "env=delivered cmd=failed ci=delivered"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, c.commandExtra)
			if c.fault != nil {
				w.gh.AddFault(*c.fault)
			}
			rep := Deliverer{Redactor: w.env.Redactor}.Deliver(t.Context(), testToken, w.open(t, c.names...))
			if got := statuses(rep); got != c.want || rep.Next() != Rescue {
				t.Fatalf("%s, next %s; want %s, rescue", got, rep.Next(), c.want)
			}
			if got := strings.Join(rep.Names(Failed, Uncertain, NotTried), ","); got != c.names[1] {
				t.Errorf("without the new token for sure: %s", got)
			}
		})
	}
}

// Ctrl-C between two deliveries: the next one never starts.
func TestCancelBetweenDeliveries(t *testing.T) {
	w := newWorld(t, "")
	ctx, cancel := context.WithCancel(t.Context())
	d := Deliverer{Redactor: w.env.Redactor, OnResult: func(Result) { cancel() }}
	rep := d.Deliver(ctx, testToken, w.open(t, "env", "cmd", "tokenfile"))
	if got := statuses(rep); got != "env=delivered cmd=not tried tokenfile=not tried" || !rep.Cancelled || rep.Next() != Rescue {
		t.Fatalf("%s, cancelled %v, next %s", got, rep.Cancelled, rep.Next())
	}
	if _, err := os.Stat(filepath.Join(w.dir, "stdin")); err == nil {
		t.Error("the command ran after the cancellation")
	}
}

// The fake answers no PUT until three are in flight together: the three
// GitHub deliveries after the first succeed only if they run concurrently.
func TestGitHubDeliveriesRunConcurrently(t *testing.T) {
	w := newWorld(t, "")
	w.gh.HoldPuts(3)
	rep := Deliverer{Redactor: w.env.Redactor}.Deliver(t.Context(), testToken, w.open(t, "env", "ci", "ci-prod", "ci-org"))
	if rep.Next() != RevokeOld {
		t.Fatalf("%s", statuses(rep))
	}
}

func TestGitHubGroupsKeepOneSecretSequential(t *testing.T) {
	w := newWorld(t, "")
	w.config += "  ci-again:\n    github: {repo: ACME/shop, secret: NEON_API_KEY}\n"
	groups := githubGroups(w.open(t, "ci", "env", "ci-org", "ci-again"), 1)
	if got := fmt.Sprint(groups); got != "[[1 4] [3]]" {
		t.Fatalf("groups %s, want [[1 4] [3]]", got)
	}
}

// The token reaches no text a caller may show: GitHub quoting the value in
// a 422 or a 500, a program echoing its stdin on stderr and stdout.
func TestTokenInNoResultText(t *testing.T) {
	w := newWorld(t, "echo \"stdin was $(cat \"$out/stdin\")\"; echo \"bad $(cat \"$out/stdin\")\" >&2; exit 3")
	quote := `{"message":"Invalid value ` + githubtest.Value + `","errors":[{"value":"` + githubtest.Value + `"}]}`
	w.gh.AddFault(githubtest.Fault{Method: "PUT", PathSuffix: "/environments/production/secrets/NEON_API_KEY", Status: 422, Body: quote})
	w.gh.AddFault(githubtest.Fault{Method: "PUT", PathSuffix: "/orgs/acme/actions/secrets/NEON_API_KEY", Status: 500, Body: quote})
	var told []string
	var mu sync.Mutex
	d := Deliverer{Redactor: w.env.Redactor, OnResult: func(r Result) {
		mu.Lock()
		defer mu.Unlock()
		told = append(told, fmt.Sprintf("%+v", r))
	}}
	rep := d.Deliver(t.Context(), testToken, w.open(t, "env", "ci-prod", "ci-org", "cmd"))
	if got := statuses(rep); got != "env=delivered ci-prod=failed ci-org=uncertain cmd=failed" {
		t.Fatalf("%s", got)
	}
	for _, r := range rep.Results {
		noToken(t, r.Name, r.Err, r.Detail, r.Target)
	}
	noToken(t, "progress", told...)
	if !strings.Contains(rep.Results[1].Err, "Invalid value [REDACTED]") || !strings.Contains(rep.Results[3].Err, "bad [REDACTED]") {
		t.Errorf("errors do not show the masked quote: %q, %q", rep.Results[1].Err, rep.Results[3].Err)
	}
}

func TestReportNext(t *testing.T) {
	r := func(s ...Status) Report {
		var rep Report
		for _, st := range s {
			rep.Results = append(rep.Results, Result{Status: st})
		}
		return rep
	}
	cases := []struct {
		rep  Report
		want Next
	}{
		{r(Delivered, Delivered), RevokeOld},
		{r(Failed, NotTried), Withdraw},
		{r(NotTried, NotTried), Withdraw},
		{r(Uncertain, NotTried), Rescue},
		{r(Delivered, Failed), Rescue},
		{r(Delivered, NotTried), Rescue},
	}
	for _, c := range cases {
		if got := c.rep.Next(); got != c.want {
			t.Errorf("%s: %s, want %s", statuses(c.rep), got, c.want)
		}
	}
}

func TestWriteRescue(t *testing.T) {
	state := t.TempDir()
	getenv := func(k string) string { return map[string]string{"XDG_STATE_HOME": state, "HOME": "/nowhere"}[k] }
	path, err := WriteRescue(getenv, 1000004, "shop-ci-rotated-20261201T230405Z", testToken)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(state, "neonkeys", "rescue", "1000004-shop-ci-rotated-20261201T230405Z.token"); path != want {
		t.Errorf("path %s, want %s", path, want)
	}
	info, _ := os.Stat(path)
	dinfo, _ := os.Stat(filepath.Dir(path))
	if readFile(t, path) != testToken+"\n" || info.Mode().Perm() != 0o600 || dinfo.Mode().Perm() != 0o700 {
		t.Errorf("rescue file mode %o, folder %o", info.Mode().Perm(), dinfo.Mode().Perm())
	}
	if _, err := WriteRescue(getenv, 1000004, "shop-ci-rotated-20261201T230405Z", testToken); err == nil {
		t.Error("a second rescue file overwrote the first")
	}
}

// Target is what a preview and a confirmation show: what each delivery
// overwrites.
func TestTargetsSayWhatIsOverwritten(t *testing.T) {
	w := newWorld(t, "")
	w.env.CredentialFile = "/run/neon.key"
	w.config += "  me:\n    self: true\n"
	want := map[string]string{
		"ci":        "GitHub Actions secret NEON_API_KEY of acme/shop (its value replaced)",
		"ci-prod":   "GitHub Actions secret NEON_API_KEY of acme/shop, environment production (its value replaced)",
		"ci-org":    "GitHub Actions secret NEON_API_KEY of the organization acme (visibility all; its value replaced)",
		"env":       "NEON_API_KEY in " + w.dotenv + " (its value replaced, other lines kept)",
		"tokenfile": "token file " + filepath.Join(w.dir, "neon.token") + " (replaced)",
		"cmd":       "the program " + filepath.Join(w.dir, "record.sh") + " " + w.dir + " (the token on its stdin)",
		"me":        "neonkeys' own key file /run/neon.key (replaced; neonkeys switches to the new token)",
	}
	for _, d := range w.open(t, "ci", "ci-prod", "ci-org", "env", "tokenfile", "cmd", "me") {
		if got := d.Target(); got != want[d.Name()] {
			t.Errorf("%s: %q, want %q", d.Name(), got, want[d.Name()])
		}
	}
}
