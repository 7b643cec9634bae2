package handoff_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/destination/githubtest"
	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

const githubCred = "ghp_handofftestcredential0123456789"

// world is a fake Neon API, a fake GitHub, a home folder and a config file
// with destinations of every file kind and GitHub.
type world struct {
	t       *testing.T
	srv     *neontest.Server
	fx      *neontest.Fixture
	gh      *githubtest.Server
	home    string
	vars    map[string]string
	red     *secret.Redactor
	keyFile string // NEON_API_KEY_FILE, holding the admin's token
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, srv: neontest.New(t), gh: githubtest.New(t, githubCred), home: t.TempDir()}
	w.fx = w.srv.Seed()
	w.keyFile = filepath.Join(w.home, "neon.key")
	if err := os.WriteFile(w.keyFile, []byte(w.fx.AdminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.vars = map[string]string{
		"PATH":              os.Getenv("PATH"),
		"HOME":              w.home,
		"XDG_STATE_HOME":    filepath.Join(w.home, "state"),
		"GH_TOKEN":          githubCred,
		"GITHUB_API_URL":    w.gh.URL,
		"NEON_API_KEY_FILE": w.keyFile,
	}
	w.red = secret.NewRedactor(w.fx.AdminToken)
	return w
}

func (w *world) getenv(k string) string { return w.vars[k] }

// service is a keys.Service on the admin's credential.
func (w *world) service() *keys.Service {
	w.t.Helper()
	api, err := neonapi.New(neonapi.Options{
		Token: w.fx.AdminToken, BaseURL: w.srv.URL(), Timeout: 10 * time.Second,
		Retry:    &neonapi.RetryPolicy{MaxRetries: 1, BaseDelay: time.Millisecond, MaxWait: time.Millisecond},
		Redactor: w.red,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return keys.New(api, nil)
}

// open parses config yaml (paths relative to the home folder) and opens the
// named destinations.
func (w *world) open(yaml string, names ...string) []destination.Destination {
	w.t.Helper()
	cfg, err := destination.Parse([]byte(yaml), filepath.Join(w.home, "config.yaml"), w.home)
	if err != nil {
		w.t.Fatal(err)
	}
	specs, err := cfg.Lookup(names...)
	if err != nil {
		w.t.Fatal(err)
	}
	dests, err := destination.Open(specs, destination.Env{Getenv: w.getenv, Redactor: w.red, CredentialFile: w.keyFile})
	if err != nil {
		w.t.Fatal(err)
	}
	return dests
}

func (w *world) runner() handoff.Runner {
	return handoff.Runner{Keys: w.service(), Deliverer: destination.Deliverer{Redactor: w.red}, Getenv: w.getenv}
}

// rotatePlan rotates the seed's project-scoped key "shop-deploy".
func (w *world) rotatePlan(dests []destination.Destination) handoff.Plan {
	w.t.Helper()
	svc := w.service()
	target, err := svc.Locate(context.Background(), w.fx.ProjectKeyID, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return handoff.Plan{Request: svc.RotateRequest(target.Key, "shop-deploy-2"), Old: &target.Key, Destinations: dests}
}

func (w *world) live(id int64) bool {
	k, ok := w.srv.Key(id)
	return ok && !k.Revoked
}

// newKeyID is the id of the key named name, revoked or not.
func (w *world) newKeyID(name string) int64 {
	for _, k := range w.srv.Keys() {
		if k.Name == name {
			return k.ID
		}
	}
	return 0
}

func (w *world) read(rel string) string {
	w.t.Helper()
	b, err := os.ReadFile(filepath.Join(w.home, rel))
	if err != nil {
		w.t.Fatal(err)
	}
	return string(b)
}

// mintedToken recovers the new token from a destination that got it.
func (w *world) mintedToken() string {
	s, ok := w.gh.RepoSecret("acme/shop", "NEON_API_KEY")
	if !ok {
		w.t.Fatal("the GitHub secret was not set")
	}
	return s.Value
}

const threeDests = `
destinations:
  shop-ci:
    github: {repo: acme/shop, secret: NEON_API_KEY}
  shop-env:
    dotenv: {path: ~/shop/.env, var: NEON_API_KEY}
  shop-file:
    file: {path: ~/shop/token}
  me:
    self: {}
  recorder:
    command: {argv: [sh, -c, 'cat > "$HOME/received"']}
  broken:
    command: {argv: [sh, -c, 'cat >/dev/null; exit 1']}
`

func (w *world) mkShop() {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Join(w.home, "shop"), 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.home, "shop", ".env"), []byte("# shop\nDATABASE_URL=postgres://x\nNEON_API_KEY=napi_old\n"), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// TestEveryDestinationGetsTheTokenThenTheOldKeyGoes: the whole path of a
// rotation to three destinations: each holds the same new token (GitHub's
// sealed value opened by the fake), the .env keeps its other lines, and
// only then is the old key revoked.
func TestEveryDestinationGetsTheTokenThenTheOldKeyGoes(t *testing.T) {
	w := newWorld(t)
	w.mkShop()
	plan := w.rotatePlan(w.open(threeDests, "shop-ci", "shop-env", "shop-file"))
	out, err := w.runner().Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Complete() || out.Revoked == nil || out.New.Token != "" {
		t.Fatalf("outcome %+v: want complete, old revoked, no token kept", out)
	}
	token := w.mintedToken()
	if !strings.HasPrefix(token, "napi_") || !w.live(out.New.ID) || w.live(w.fx.ProjectKeyID) {
		t.Fatalf("token %q, new key live %v, old key live %v", token, w.live(out.New.ID), w.live(w.fx.ProjectKeyID))
	}
	if got, want := w.read("shop/.env"), "# shop\nDATABASE_URL=postgres://x\nNEON_API_KEY="+token+"\n"; got != want {
		t.Errorf(".env = %q, want %q", got, want)
	}
	if got := strings.TrimSpace(w.read("shop/token")); got != token {
		t.Errorf("token file holds %q, want the new token", got)
	}
	if steps := out.NextSteps(); len(steps) != 0 {
		t.Errorf("a complete rotation leaves steps: %q", steps)
	}
}

// TestPreflightFailureMintsNothing: GitHub refusing the public key (403)
// stops the rotation before any create, and the error names the
// destination.
func TestPreflightFailureMintsNothing(t *testing.T) {
	w := newWorld(t)
	w.mkShop()
	w.gh.AddFault(githubtest.Fault{Method: http.MethodGet, PathSuffix: "/public-key", Status: http.StatusForbidden, Body: `{"message":"Resource not accessible by integration"}`})
	before := len(w.srv.Keys())
	_, err := w.runner().Run(context.Background(), w.rotatePlan(w.open(threeDests, "shop-env", "shop-ci")))
	var pf *destination.PreflightError
	if !errors.As(err, &pf) || !strings.Contains(err.Error(), "shop-ci") {
		t.Fatalf("err = %v, want a preflight error naming shop-ci", err)
	}
	if n := len(w.srv.Mutations()); n != 0 || len(w.srv.Keys()) != before {
		t.Fatalf("%d mutations, %d keys (was %d): a failed preflight must mint nothing", n, len(w.srv.Keys()), before)
	}
	if !strings.Contains(w.read("shop/.env"), "NEON_API_KEY=napi_old") {
		t.Error("the .env changed")
	}
}

// TestFirstDeliveryFailingWithdrawsTheNewKey: nothing holds the new token,
// so it is revoked again and the old key keeps working.
func TestFirstDeliveryFailingWithdrawsTheNewKey(t *testing.T) {
	w := newWorld(t)
	w.mkShop()
	out, err := w.runner().Run(context.Background(), w.rotatePlan(w.open(threeDests, "broken", "shop-env")))
	if err != nil {
		t.Fatal(err)
	}
	newID := w.newKeyID("shop-deploy-2")
	if out.Next != destination.Withdraw || !out.Withdrawn() || out.Complete() {
		t.Fatalf("outcome %+v, want the new key withdrawn", out)
	}
	if newID == 0 || w.live(newID) || !w.live(w.fx.ProjectKeyID) {
		t.Fatalf("new key %d live %v, old key live %v: want new revoked, old live", newID, w.live(newID), w.live(w.fx.ProjectKeyID))
	}
	if !strings.Contains(w.read("shop/.env"), "NEON_API_KEY=napi_old") {
		t.Error("the second destination was written after the first failed")
	}
	if out.Report.Results[1].Status != destination.NotTried {
		t.Errorf("second destination %+v, want not tried", out.Report.Results[1])
	}
}

// TestLaterDeliveryFailingKeepsBothKeysAndRescuesTheToken: GitHub answers
// 500 to the second of three deliveries: both keys stay live, the token is
// in a rescue file (0600), and the next steps name the failed destination,
// the rescue file and the revoke of the old key.
func TestLaterDeliveryFailingKeepsBothKeysAndRescuesTheToken(t *testing.T) {
	w := newWorld(t)
	w.mkShop()
	w.gh.AddFault(githubtest.Fault{Method: http.MethodPut, PathSuffix: "/NEON_API_KEY", Status: http.StatusInternalServerError, Body: `{"message":"boom"}`})
	out, err := w.runner().Run(context.Background(), w.rotatePlan(w.open(threeDests, "shop-env", "shop-ci", "shop-file")))
	if err != nil {
		t.Fatal(err)
	}
	if out.Next != destination.Rescue || out.Complete() || out.Revoked != nil || !out.KeptOld {
		t.Fatalf("outcome %+v, want both keys kept and a rescue", out)
	}
	if !w.live(out.New.ID) || !w.live(w.fx.ProjectKeyID) {
		t.Fatal("both keys must stay live")
	}
	if out.RescueErr != nil || !strings.HasPrefix(out.RescuePath, filepath.Join(w.home, "state", "neonkeys", "rescue")) {
		t.Fatalf("rescue %q, %v", out.RescuePath, out.RescueErr)
	}
	info, err := os.Stat(out.RescuePath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("rescue file: %v, mode %v", err, info.Mode())
	}
	rescued, _ := os.ReadFile(out.RescuePath)
	if env := w.read("shop/.env"); !strings.Contains(env, "NEON_API_KEY="+strings.TrimSpace(string(rescued))) {
		t.Errorf("the rescue file and the .env disagree: %q / %q", rescued, env)
	}
	if got := strings.TrimSpace(w.read("shop/token")); got != strings.TrimSpace(string(rescued)) {
		t.Errorf("the third destination was not delivered after the second failed")
	}
	steps := strings.Join(out.NextSteps(), "\n")
	for _, want := range []string{"neonkeys deliver --token-file " + out.RescuePath + " --to shop-ci", handoff.RevokeCommand(*out.Old), "rm " + out.RescuePath} {
		if !strings.Contains(steps, want) {
			t.Errorf("next steps %q lack %q", steps, want)
		}
	}
	if strings.Contains(steps, "shop-env") {
		t.Errorf("next steps %q name a destination that holds the new token", steps)
	}
}

// TestKeepOldLeavesTheOldKeyAndSaysHowToRevokeIt: --keep-old.
func TestKeepOldLeavesTheOldKeyAndSaysHowToRevokeIt(t *testing.T) {
	w := newWorld(t)
	w.mkShop()
	plan := w.rotatePlan(w.open(threeDests, "shop-file"))
	plan.KeepOld = true
	out, err := w.runner().Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Complete() || !out.KeptOld || out.Revoked != nil || !w.live(w.fx.ProjectKeyID) || !w.live(out.New.ID) {
		t.Fatalf("outcome %+v: want complete with the old key kept live", out)
	}
	if steps := out.NextSteps(); len(steps) != 1 || !strings.Contains(steps[0], handoff.RevokeCommand(*out.Old)) {
		t.Errorf("steps %q, want the revoke command of the old key", steps)
	}
}

// TestSelfSwitchesTheRunningCredential: rotating the key neonkeys runs
// with, to self: the key file holds the new token, the old key is revoked,
// and the same service goes on working.
func TestSelfSwitchesTheRunningCredential(t *testing.T) {
	w := newWorld(t)
	r := w.runner()
	svc := r.Keys
	target, err := svc.Locate(context.Background(), w.fx.AdminKeyID, "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Run(context.Background(), handoff.Plan{
		Request: svc.RotateRequest(target.Key, "laptop-2"), Old: &target.Key, Destinations: w.open(threeDests, "me", "recorder"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Complete() || !out.SwitchedCredential || w.live(w.fx.AdminKeyID) {
		t.Fatalf("outcome %+v: want complete, switched, old key revoked", out)
	}
	file := strings.TrimSpace(w.read("neon.key"))
	if file == w.fx.AdminToken || file != w.read("received") {
		t.Fatalf("key file %q, recorder %q: want the same new token", file, w.read("received"))
	}
	if _, err := svc.List(context.Background(), keys.ListOptions{}); err != nil {
		t.Fatalf("the service stopped working after rotating its own key: %v", err)
	}
}

// cancelAfter is a real destination that cancels the run once it has
// delivered: a Ctrl-C between two deliveries.
type cancelAfter struct {
	destination.Destination
	cancel context.CancelFunc
}

func (c cancelAfter) Deliver(ctx context.Context, token string) (string, error) {
	defer c.cancel()
	return c.Destination.Deliver(ctx, token)
}

// TestInterruptBetweenDeliveriesKeepsBothKeys: the second delivery never
// starts; both keys stay live and the rescue file lets the person finish.
func TestInterruptBetweenDeliveriesKeepsBothKeys(t *testing.T) {
	w := newWorld(t)
	w.mkShop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dests := w.open(threeDests, "shop-file", "shop-env")
	dests[0] = cancelAfter{dests[0], cancel}
	out, err := w.runner().Run(ctx, w.rotatePlan(dests))
	if err != nil {
		t.Fatal(err)
	}
	if out.Next != destination.Rescue || !out.Report.Cancelled || out.Report.Results[1].Status != destination.NotTried {
		t.Fatalf("outcome %+v, want a rescue with the second not tried", out)
	}
	if !w.live(out.New.ID) || !w.live(w.fx.ProjectKeyID) || out.RescuePath == "" {
		t.Fatalf("both keys must stay live and the token be rescued: %+v", out)
	}
}

// TestInterruptAfterEveryDeliveryKeepsTheOldKey: interrupted once every
// destination has the token, the old key is not revoked (it can be later;
// a revoked key cannot come back).
func TestInterruptAfterEveryDeliveryKeepsTheOldKey(t *testing.T) {
	w := newWorld(t)
	w.mkShop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dests := w.open(threeDests, "shop-file")
	dests[0] = cancelAfter{dests[0], cancel}
	out, err := w.runner().Run(ctx, w.rotatePlan(dests))
	if err != nil {
		t.Fatal(err)
	}
	if out.Complete() || !out.Interrupted || !out.KeptOld || !w.live(w.fx.ProjectKeyID) {
		t.Fatalf("outcome %+v: want the old key kept after an interruption", out)
	}
}

// TestRunPreflightsUnlessTheCallerJustDid: Run checks the destinations
// again before minting, except when the plan says its caller did so
// moments before in the same call (Preflighted). The fake GitHub answers
// one public-key read (its only GET) per preflight and one per delivery.
func TestRunPreflightsUnlessTheCallerJustDid(t *testing.T) {
	for _, tt := range []struct {
		name        string
		preflighted bool
		wantReads   int
	}{
		{"checks again", false, 2},
		{"just checked", true, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			plan := w.rotatePlan(w.open(threeDests, "shop-ci"))
			plan.Preflighted = tt.preflighted
			out, err := w.runner().Run(context.Background(), plan)
			if err != nil {
				t.Fatal(err)
			}
			if !out.Complete() {
				t.Fatalf("the rotation did not complete: %s", out.Summary())
			}
			if got := w.gh.Count(http.MethodGet); got != tt.wantReads {
				t.Errorf("GitHub's public key was read %d times, want %d", got, tt.wantReads)
			}
		})
	}
}
