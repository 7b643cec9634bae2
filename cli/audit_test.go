package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

const auditDay = 24 * time.Hour

// auditWorld is a seeded fake with one finding of each severity: the
// shop-deploy key's rotation left half done (high), the org key ci never
// used for 40 days (low), and a personal key older than 90 days and used
// yesterday (medium). The CLI's clock is the real one, so ages are set
// relative to it.
func auditWorld(t *testing.T) (*neontest.Server, *neontest.Fixture, map[string]string, int64) {
	t.Helper()
	srv, fx, env := fakeEnv(t)
	now := time.Now()
	srv.SetKeyCreatedAt(fx.OrgKeyID, now.Add(-40*auditDay))
	srv.SetKeyCreatedAt(fx.ProjectKeyID, now.Add(-100*auditDay))
	_, rotated := srv.AddOrgKey(fx.Org.ID, keys.RotatedName("shop-deploy", now.Add(-2*auditDay)), fx.OrgProject.ID)
	srv.SetKeyCreatedAt(rotated, now.Add(-2*auditDay))
	srv.SetKeyLastUsed(fx.ProjectKeyID, now.Add(-auditDay), "198.51.100.4")
	_, old := srv.AddPersonalKey(fx.Admin.ID, "old-laptop")
	srv.SetKeyCreatedAt(old, now.Add(-120*auditDay))
	srv.SetKeyLastUsed(old, now.Add(-auditDay), "203.0.113.5")
	env["NEONKEYS_CONFIG"] = filepath.Join(t.TempDir(), "none.yaml") // never the developer's own
	return srv, fx, env, old
}

// auditTimes are what differs from run to run in an audit: times and
// dates, and the rotation time in a rotated name.
var auditTimes = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`rotated-\d{8}T\d{6}Z`), "rotated-<time>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`), "<time>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d UTC`), "<time>"},
}

func stableAudit(s string, fx *neontest.Fixture) string {
	s = stable(s, fx, "")
	for _, r := range auditTimes {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}

// TestGoldenAudit pins audit -o json: the tool's structuredContent, the
// findings worst first, each with its evidence and fix.
func TestGoldenAudit(t *testing.T) {
	_, fx, env, _ := auditWorld(t)
	r := runCLI(t, runOpts{env: env}, "audit", "-o", "json")
	wantCode(t, r, ExitOK)
	checkGolden(t, "audit", stableAudit(r.stdout, fx))
	if !strings.Contains(r.stderr, "Audited 5 key(s) (1 organization(s)): 1 high, 1 medium, 1 low.") {
		t.Errorf("stderr lacks the summary:\n%s", r.stderr)
	}
}

// TestAuditTable: the table names each finding and the command that
// fixes it, and a line of evidence each.
func TestAuditTable(t *testing.T) {
	_, fx, env, old := auditWorld(t)
	r := runCLI(t, runOpts{env: env}, "audit")
	wantCode(t, r, ExitOK)
	for _, want := range []string{
		"SEVERITY  FINDING",
		fmt.Sprintf("high      rotation_unfinished  %d  shop-deploy", fx.ProjectKeyID),
		fmt.Sprintf("neonkeys revoke %d --org-id %s", fx.ProjectKeyID, fx.Org.ID),
		fmt.Sprintf("neonkeys rotate %d\n", old),
		fmt.Sprintf("neonkeys revoke %d --org-id %s", fx.OrgKeyID, fx.Org.ID),
		"It was used since (last from 198.51.100.4): something still holds the old token.",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestAuditFailOn: --fail-on makes a CI gate: exit 1 when a finding of
// that severity or worse exists, 0 otherwise; a wrong severity is usage.
func TestAuditFailOn(t *testing.T) {
	_, _, env, _ := auditWorld(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"audit"}, ExitOK, ""},
		{[]string{"audit", "--fail-on", "high"}, ExitFailed, "1 finding(s) of severity high or worse (--fail-on high)"},
		{[]string{"audit", "--fail-on", "LOW", "-o", "json"}, ExitFailed, "3 finding(s) of severity low or worse"},
		{[]string{"audit", "--fail-on", "high", "--org-id", "org-nothing-here"}, ExitFailed, "not an organization member"},
		{[]string{"audit", "--fail-on", "severe"}, ExitUsage, `--fail-on: "severe" is not a severity`},
		{[]string{"audit", "--max-age", "soon"}, ExitUsage, `"soon" is not an age`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, runOpts{env: env}, tt.args...)
			wantCode(t, r, tt.code)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, r.stderr)
			}
		})
	}
	// Without the half-done rotation, the gate on high passes, unless some
	// keys could not be listed; members that could not be are only said.
	srv0, fx0, env0, _ := auditWorld(t)
	for _, k := range srv0.LiveKeys() {
		if strings.Contains(k.Name, "-rotated-") {
			srv0.RevokeKey(k.ID)
		}
	}
	srv0.Inject(neontest.Fault{Method: "GET", Path: "/organizations/" + fx0.Org.ID + "/members", Status: 403, Message: "no"})
	r := runCLI(t, runOpts{env: env0}, "audit", "--fail-on", "high")
	wantCode(t, r, ExitOK)
	if !strings.Contains(r.stderr, "Not audited: the members of organization "+fx0.Org.ID) {
		t.Errorf("stderr lacks the gap:\n%s", r.stderr)
	}
	srv0.Inject(neontest.Fault{Method: "GET", Path: "/organizations/" + fx0.Org.ID + "/api_keys", Status: 500, Message: "boom"})
	r = runCLI(t, runOpts{env: env0}, "audit", "--fail-on", "high")
	wantCode(t, r, ExitFailed)
	if !strings.Contains(r.stderr, "the audit is incomplete") {
		t.Errorf("stderr lacks why the gate failed:\n%s", r.stderr)
	}
	// Without the half-done rotation, the gate on high passes.
	srv, _, env2, _ := auditWorld(t)
	for _, k := range srv.LiveKeys() {
		if strings.Contains(k.Name, "-rotated-") {
			srv.RevokeKey(k.ID)
		}
	}
	r = runCLI(t, runOpts{env: env2}, "audit", "--fail-on", "high")
	wantCode(t, r, ExitOK)
}

// TestAuditThresholds: the config file's audit: section sets the
// thresholds, a flag overrides it, and a config file neonkeys refuses is
// a usage error.
func TestAuditThresholds(t *testing.T) {
	_, fx, env, old := auditWorld(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	write := func(content string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(cfg, mode); err != nil {
			t.Fatal(err)
		}
	}
	env["NEONKEYS_CONFIG"] = cfg
	write("audit:\n  never_used: 60d\n  max_age: 200d\ndestinations:\n  ci-env:\n    dotenv: {path: x.env, var: NEON_API_KEY}\n    holds: old-laptop\n", 0o600)

	kinds := func(args ...string) map[string]bool {
		t.Helper()
		r := runCLI(t, runOpts{env: env}, append([]string{"audit", "-o", "json"}, args...)...)
		wantCode(t, r, ExitOK)
		var rep struct {
			Findings []struct {
				Kind string `json:"kind"`
				Key  struct {
					ID int64 `json:"id"`
				} `json:"key"`
				HeldBy []string `json:"held_by"`
			} `json:"findings"`
			Thresholds map[string]int `json:"thresholds"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, f := range rep.Findings {
			out[fmt.Sprintf("%s %d %v", f.Kind, f.Key.ID, f.HeldBy)] = true
		}
		return out
	}
	got := kinds()
	if got[fmt.Sprintf("never_used %d []", fx.OrgKeyID)] || got[fmt.Sprintf("too_old %d [ci-env]", old)] || len(got) != 1 {
		t.Errorf("with never_used 60d and max_age 200d: %v, want only the unfinished rotation", got)
	}
	got = kinds("--never-used", "20d", "--max-age", "100d")
	if !got[fmt.Sprintf("never_used %d []", fx.OrgKeyID)] || !got[fmt.Sprintf("too_old %d [ci-env]", old)] {
		t.Errorf("flags over the config: %v, want never_used and too_old held by ci-env", got)
	}

	write("audit:\n  max_age: soon\n", 0o600)
	r := runCLI(t, runOpts{env: env}, "audit")
	wantCode(t, r, ExitUsage)
	if !strings.Contains(r.stderr, "config.yaml:2: audit: max_age") {
		t.Errorf("stderr does not name the line:\n%s", r.stderr)
	}
	write("audit:\n  max_age: 30d\n", 0o622)
	r = runCLI(t, runOpts{env: env}, "audit")
	wantCode(t, r, ExitUsage)
	if !strings.Contains(r.stderr, "writable by group or others") {
		t.Errorf("a group-writable config was not refused:\n%s", r.stderr)
	}
}

// TestAuditHostileNames: a key name holding escape sequences and the
// credential reaches neither the table nor the JSON as such.
func TestAuditHostileNames(t *testing.T) {
	srv, fx, env, _ := auditWorld(t)
	_, id := srv.AddOrgKey(fx.Org.ID, "evil\x1b]52;c;aGk=\x07\x1b[2J "+fx.AdminToken, "")
	srv.SetKeyCreatedAt(id, time.Now().Add(-40*auditDay))
	for _, out := range []string{"table", "json", "yaml"} {
		r := runCLI(t, runOpts{env: env}, "audit", "-o", out)
		wantCode(t, r, ExitOK)
		noSecrets(t, out, r.stdout+r.stderr, fx.AdminToken)
		if strings.ContainsAny(r.stdout, "\x1b\x07") || strings.Contains(r.stdout, `\u001b`) {
			t.Errorf("-o %s holds a control character:\n%q", out, r.stdout)
		}
		if !strings.Contains(r.stdout, fmt.Sprint(id)) {
			t.Errorf("-o %s lacks key %d", out, id)
		}
	}
}

// TestAuditWithoutAConfigPath: with neither NEONKEYS_CONFIG, XDG_CONFIG_HOME
// nor HOME (a bare CI container), there is no config file to read: the
// audit runs on its defaults, as every other command treats it, instead of
// refusing.
func TestAuditWithoutAConfigPath(t *testing.T) {
	_, _, env, _ := auditWorld(t)
	for _, k := range []string{"NEONKEYS_CONFIG", "XDG_CONFIG_HOME", "HOME"} {
		delete(env, k)
	}
	r := runCLI(t, runOpts{env: env}, "audit")
	wantCode(t, r, ExitOK)
}
