package tools_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/server"
	"github.com/neonkeys/neonkeys/tools"
)

const toolDay = 24 * time.Hour

// auditGoldenEnv is newGoldenEnv with one finding of each severity: the
// shop-deploy key's rotation left half done (high, the old key used
// since), the personal key laptop older than 90 days (medium; the
// server's own key, used by every request), and the org key ci created
// 40 days ago and last used an hour ago (kept) next to a second,
// never-used org-wide key "ci" (low, twice: a duplicate name and never used).
func auditGoldenEnv(t *testing.T, o ...envOption) *env {
	t.Helper()
	e := newGoldenEnv(t, o...)
	f, fx := e.fake, e.fx
	f.SetKeyCreatedAt(fx.ProjectKeyID, goldenClock.Add(-100*toolDay))
	_, rotated := f.AddOrgKey(fx.Org.ID, keys.RotatedName("shop-deploy", goldenClock.Add(-2*toolDay)), fx.OrgProject.ID)
	f.SetKeyCreatedAt(rotated, goldenClock.Add(-2*toolDay))
	f.SetKeyLastUsed(fx.ProjectKeyID, goldenClock.Add(-time.Hour), "198.51.100.4")
	f.SetKeyCreatedAt(fx.AdminKeyID, goldenClock.Add(-120*toolDay))
	f.SetKeyCreatedAt(fx.OrgKeyID, goldenClock.Add(-40*toolDay))
	_, dup := f.AddOrgKey(fx.Org.ID, "ci", "")
	f.SetKeyCreatedAt(dup, goldenClock.Add(-31*toolDay))
	return e
}

// TestGoldenAuditAPIKeys pins audit_api_keys' structuredContent.
func TestGoldenAuditAPIKeys(t *testing.T) {
	e := auditGoldenEnv(t)
	res := e.call(e.client(), tools.NameAudit, `{}`)
	if res.IsError {
		t.Fatal(text(res))
	}
	validateOutput(t, e, tools.NameAudit, res)
	checkGolden(t, "testdata", "audit_api_keys", stableJSON(t, res.StructuredContent, e.fx, ""))
	for _, want := range []string{
		"Audited 5 keys in 1 organization: 1 high, 1 medium, 2 low finding(s).",
		fmt.Sprintf(`[high] rotation_unfinished: key %d "shop-deploy" (project %s in organization %s)`, e.fx.ProjectKeyID, e.fx.OrgProject.ID, e.fx.Org.ID),
		fmt.Sprintf("Fix: revoke_api_key {key_id: %d, org_id: %s}", e.fx.ProjectKeyID, e.fx.Org.ID),
		fmt.Sprintf("Fix: rotate_api_key {key_id: %d}", e.fx.AdminKeyID),
		"ask before calling any fix",
	} {
		if !strings.Contains(text(res), want) {
			t.Errorf("text lacks %q:\n%s", want, text(res))
		}
	}
	if len(e.mutations()) != 0 {
		t.Fatalf("the audit sent %d mutating requests", len(e.mutations()))
	}
}

// TestAuditToolArguments: thresholds, min_severity, limit and org_id
// shape the answer; counts always count every finding.
func TestAuditToolArguments(t *testing.T) {
	e := auditGoldenEnv(t)
	c := e.client()
	tests := []struct {
		args                string
		returned, total     int
		truncated, mustHave bool
		want                string
	}{
		{`{"min_severity":"high"}`, 1, 4, false, true, "Showing 1 finding of severity high or worse."},
		{`{"limit":2}`, 2, 4, true, true, "Showing the first 2, worst first."},
		{`{"never_used_days":40,"max_age_days":150}`, 2, 2, false, true, "1 high, 0 medium, 1 low"},
		{fmt.Sprintf(`{"org_id":%q,"min_severity":"medium"}`, e.fx.Org.ID), 1, 3, false, true, "Audited 4 keys in 1 organization"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			res := e.call(c, tools.NameAudit, tt.args)
			if res.IsError {
				t.Fatal(text(res))
			}
			validateOutput(t, e, tools.NameAudit, res)
			m := structuredMap(t, res)
			counts := m["counts"].(map[string]any)
			total := int(counts["high"].(float64) + counts["medium"].(float64) + counts["low"].(float64))
			if int(m["returned"].(float64)) != tt.returned || total != tt.total || m["truncated"] != tt.truncated {
				t.Errorf("returned %v of %d (truncated %v), want %d of %d (%v)", m["returned"], total, m["truncated"], tt.returned, tt.total, tt.truncated)
			}
			if !strings.Contains(text(res), tt.want) {
				t.Errorf("text lacks %q:\n%s", tt.want, text(res))
			}
		})
	}
	for _, bad := range []string{`{"min_severity":"severe"}`, `{"max_age_days":0}`, `{"org_id":"Org-X"}`, `{"confirm":true}`} {
		if res := e.call(c, tools.NameAudit, bad); !res.IsError {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// TestAuditToolNamesDestinations: a finding names the destinations of the
// server's config that hold the key.
func TestAuditToolNamesDestinations(t *testing.T) {
	cfg, err := destination.Parse([]byte("destinations:\n  laptop-env:\n    dotenv: {path: /tmp/x.env, var: NEON_API_KEY}\n    holds: laptop\n"), "/tmp/c.yaml", "/home/u")
	if err != nil {
		t.Fatal(err)
	}
	e := auditGoldenEnv(t, withOpts(func(o *server.Options) { o.Destinations = cfg }))
	res := e.call(e.client(), tools.NameAudit, `{"min_severity":"medium"}`)
	validateOutput(t, e, tools.NameAudit, res)
	if !strings.Contains(text(res), "Held by destination laptop-env.") {
		t.Fatalf("text:\n%s", text(res))
	}
}

// TestAuditToolCleansHostileNames: a key name with escape sequences and
// the credential is cleaned and redacted in the text and the structure.
func TestAuditToolCleansHostileNames(t *testing.T) {
	e := auditGoldenEnv(t)
	_, id := e.fake.AddOrgKey(e.fx.Org.ID, "evil"+tools.HostileControls+e.token, "")
	e.fake.SetKeyCreatedAt(id, goldenClock.Add(-40*toolDay))
	res := e.call(e.client(), tools.NameAudit, `{}`) // call checks the credential is nowhere
	validateOutput(t, e, tools.NameAudit, res)
	if r, bad := tools.UnsafeFor(text(res), true); bad {
		t.Fatalf("text holds %q", r)
	}
	if r, bad := tools.UnsafeFor(dump(res.StructuredContent), false); bad {
		t.Fatalf("structuredContent holds %q", r)
	}
}

// TestAuditPrompt: the prompt runs the audit, explains, and offers each
// fix behind the confirmation guard; a hostile org_id is not passed on.
func TestAuditPrompt(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	get := func(args map[string]string) string {
		t.Helper()
		req := mcp.GetPromptRequest{}
		req.Params.Name = tools.PromptAudit
		req.Params.Arguments = args
		res, err := c.GetPrompt(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		return res.Messages[0].Content.(mcp.TextContent).Text
	}
	prompt := get(nil)
	for _, want := range []string{"audit_api_keys with no arguments", "plain words", "without confirm first", "confirm: true", "held_by", "Never repeat a token"} {
		if !strings.Contains(prompt, want) {
			t.Errorf("prompt lacks %q", want)
		}
	}
	if p := get(map[string]string{"org_id": e.fx.Org.ID}); !strings.Contains(p, fmt.Sprintf("audit_api_keys with org_id %q", e.fx.Org.ID)) {
		t.Errorf("prompt does not pass org_id:\n%s", p)
	}
	p := get(map[string]string{"org_id": "x" + tools.HostileControls + e.token})
	if r, bad := tools.UnsafeFor(p, true); bad || strings.Contains(p, e.token) || strings.Contains(p, "with org_id") {
		t.Errorf("a hostile org_id reached the prompt (%q):\n%s", r, p)
	}
}
