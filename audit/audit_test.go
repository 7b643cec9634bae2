package audit_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/audit"
	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

// now is the fake's and the audit's clock.
var now = time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)

const day = 24 * time.Hour

// world is a seeded fake on the fixed clock and a key service calling it
// with the admin's personal key. Every key of the fixture is created now
// and never used, except the admin's own (used by each request).
func world(t testing.TB, opts ...neontest.Option) (*neontest.Server, *neontest.Fixture, *keys.Service) {
	t.Helper()
	srv := neontest.New(t, append([]neontest.Option{neontest.WithClock(func() time.Time { return now })}, opts...)...)
	fx := srv.Seed()
	return srv, fx, service(t, srv, fx.AdminToken)
}

func service(t testing.TB, srv *neontest.Server, token string) *keys.Service {
	t.Helper()
	api, err := neonapi.New(neonapi.Options{Token: token, BaseURL: srv.URL(), HTTPClient: srv.Client(),
		Retry: &neonapi.RetryPolicy{}, Redactor: secret.NewRedactor()})
	if err != nil {
		t.Fatal(err)
	}
	return keys.New(api, func() time.Time { return now })
}

func run(t *testing.T, svc *keys.Service, orgID string, opts audit.Options) *audit.Report {
	t.Helper()
	if opts.Thresholds == (audit.Thresholds{}) {
		opts.Thresholds = audit.Defaults()
	}
	r, err := audit.Run(context.Background(), svc, orgID, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// found returns the findings of kind about key id.
func found(r *audit.Report, kind audit.Kind, id int64) []audit.Finding {
	var out []audit.Finding
	for _, f := range r.Findings {
		if f.Kind == kind && f.Key.ID == id {
			out = append(out, f)
		}
	}
	return out
}

func describe(r *audit.Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "  %s %s key %d %q: %s\n", f.Severity, f.Kind, f.Key.ID, f.Key.Name, f.Problem)
	}
	return b.String()
}

// TestEachFindingKind sets the fake up to produce each kind of finding,
// and a near miss where it must not fire.
func TestEachFindingKind(t *testing.T) {
	type setup func(srv *neontest.Server, fx *neontest.Fixture) int64 // returns the key to look at
	tests := []struct {
		name string
		kind audit.Kind
		sev  audit.Severity
		fire bool
		set  setup
		// check looks at the finding, when it fires.
		check func(t *testing.T, f audit.Finding, fx *neontest.Fixture)
	}{
		{"never used for 31 days", audit.KindNeverUsed, audit.Low, true, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			srv.SetKeyCreatedAt(fx.OrgKeyID, now.Add(-31*day))
			return fx.OrgKeyID
		}, func(t *testing.T, f audit.Finding, fx *neontest.Fixture) {
			if f.Evidence.AgeDays != 31 || f.Evidence.LimitDays != 30 || f.Fix.Action != "revoke" {
				t.Errorf("evidence %+v, fix %+v", f.Evidence, f.Fix)
			}
		}},
		{"never used for 29 days", audit.KindNeverUsed, audit.Low, false, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			srv.SetKeyCreatedAt(fx.OrgKeyID, now.Add(-29*day))
			return fx.OrgKeyID
		}, nil},
		{"unused for 91 days", audit.KindUnused, audit.Medium, true, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			srv.SetKeyCreatedAt(fx.ProjectKeyID, now.Add(-200*day))
			srv.SetKeyLastUsed(fx.ProjectKeyID, now.Add(-91*day), "203.0.113.7")
			return fx.ProjectKeyID
		}, func(t *testing.T, f audit.Finding, fx *neontest.Fixture) {
			if f.Evidence.IdleDays != 91 || f.Evidence.AgeDays != 200 || f.Fix.Action != "revoke" {
				t.Errorf("evidence %+v, fix %+v", f.Evidence, f.Fix)
			}
		}},
		{"used 89 days ago", audit.KindUnused, audit.Medium, false, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			srv.SetKeyCreatedAt(fx.ProjectKeyID, now.Add(-60*day))
			srv.SetKeyLastUsed(fx.ProjectKeyID, now.Add(-89*day), "203.0.113.7")
			return fx.ProjectKeyID
		}, nil},
		{"older than the maximum age", audit.KindTooOld, audit.Medium, true, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			srv.SetKeyCreatedAt(fx.ProjectKeyID, now.Add(-91*day))
			srv.SetKeyLastUsed(fx.ProjectKeyID, now.Add(-time.Hour), "203.0.113.7")
			return fx.ProjectKeyID
		}, func(t *testing.T, f audit.Finding, fx *neontest.Fixture) {
			want := fmt.Sprintf("neonkeys rotate %d --org-id %s", fx.ProjectKeyID, fx.Org.ID)
			if f.Fix.Command != want || f.Fix.Tool != "rotate_api_key" || f.Fix.Args.KeyID != fx.ProjectKeyID || f.Fix.Args.OrgID != fx.Org.ID {
				t.Errorf("fix %+v, want %q and rotate_api_key", f.Fix, want)
			}
		}},
		{"younger than the maximum age", audit.KindTooOld, audit.Medium, false, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			srv.SetKeyCreatedAt(fx.ProjectKeyID, now.Add(-89*day))
			srv.SetKeyLastUsed(fx.ProjectKeyID, now.Add(-time.Hour), "203.0.113.7")
			return fx.ProjectKeyID
		}, nil},
		{"creator left the organization", audit.KindCreatorLeft, audit.High, true, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			bob := srv.AddUser("Bob Leaver")
			srv.AddOrgMember(fx.Org.ID, bob.ID, true)
			srv.SetKeyCreator(fx.OrgKeyID, bob.ID)
			srv.RemoveOrgMember(fx.Org.ID, bob.ID)
			return fx.OrgKeyID
		}, func(t *testing.T, f audit.Finding, fx *neontest.Fixture) {
			if f.Evidence.CreatorStatus != "not_a_member" || !strings.Contains(f.Problem, "Bob Leaver") || f.Fix.Action != "rotate" {
				t.Errorf("evidence %+v, problem %q, fix %+v", f.Evidence, f.Problem, f.Fix)
			}
		}},
		{"creator deactivated", audit.KindCreatorLeft, audit.High, true, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			bob := srv.AddUser("Bob Gone")
			srv.AddOrgMember(fx.Org.ID, bob.ID, true)
			srv.SetKeyCreator(fx.OrgKeyID, bob.ID)
			srv.DeactivateUser(bob.ID, now.Add(-2*day))
			return fx.OrgKeyID
		}, func(t *testing.T, f audit.Finding, fx *neontest.Fixture) {
			if f.Evidence.CreatorStatus != "deactivated" || f.Evidence.DeactivatedAt == nil || !f.Evidence.DeactivatedAt.Equal(now.Add(-2*day)) {
				t.Errorf("evidence %+v", f.Evidence)
			}
		}},
		{"creator still a member", audit.KindCreatorLeft, audit.High, false, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			bob := srv.AddUser("Bob Stays")
			srv.AddOrgMember(fx.Org.ID, bob.ID, false)
			srv.SetKeyCreator(fx.OrgKeyID, bob.ID)
			return fx.OrgKeyID
		}, nil},
		{"rotation left half done, old key used since", audit.KindRotationUnfinished, audit.High, true, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			srv.SetKeyCreatedAt(fx.ProjectKeyID, now.Add(-100*day))
			_, id := srv.AddOrgKey(fx.Org.ID, keys.RotatedName("shop-deploy", now.Add(-2*day)), fx.OrgProject.ID)
			srv.SetKeyCreatedAt(id, now.Add(-2*day))
			srv.SetKeyLastUsed(fx.ProjectKeyID, now.Add(-time.Hour), "198.51.100.4")
			return fx.ProjectKeyID
		}, func(t *testing.T, f audit.Finding, fx *neontest.Fixture) {
			e := f.Evidence
			if e.ReplacedBy == nil || e.UsedSinceReplaced == nil || !*e.UsedSinceReplaced || e.LastUsedFromOldKey != "198.51.100.4" {
				t.Fatalf("evidence %+v", e)
			}
			if f.Fix.Action != "revoke" || !strings.Contains(f.Fix.Note, "198.51.100.4") {
				t.Errorf("fix %+v: want a revoke after switching 198.51.100.4", f.Fix)
			}
		}},
		{"rotation left half done, old key idle since", audit.KindRotationUnfinished, audit.High, true, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			srv.SetKeyCreatedAt(fx.ProjectKeyID, now.Add(-100*day))
			srv.SetKeyLastUsed(fx.ProjectKeyID, now.Add(-3*day), "198.51.100.4")
			_, id := srv.AddOrgKey(fx.Org.ID, keys.RotatedName("shop-deploy", now.Add(-2*day)), fx.OrgProject.ID)
			srv.SetKeyCreatedAt(id, now.Add(-2*day))
			return fx.ProjectKeyID
		}, func(t *testing.T, f audit.Finding, fx *neontest.Fixture) {
			if u := f.Evidence.UsedSinceReplaced; u == nil || *u {
				t.Errorf("used_since_replaced %v, want false", u)
			}
		}},
		{"rotated name in another project", audit.KindRotationUnfinished, audit.High, false, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			other := srv.AddProject("other", fx.Org.ID)
			srv.AddOrgKey(fx.Org.ID, keys.RotatedName("shop-deploy", now.Add(-2*day)), other.ID)
			return fx.ProjectKeyID
		}, nil},
		{"a suffix that is not a rotation time", audit.KindRotationUnfinished, audit.High, false, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			srv.AddOrgKey(fx.Org.ID, "shop-deploy-rotated-yesterday", fx.OrgProject.ID)
			return fx.ProjectKeyID
		}, nil},
		{"two live keys with one name", audit.KindDuplicateName, audit.Low, true, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			_, id := srv.AddOrgKey(fx.Org.ID, "ci", "")
			return id
		}, func(t *testing.T, f audit.Finding, fx *neontest.Fixture) {
			if !slices.Equal(f.Evidence.SameNameKeyIDs, []int64{fx.OrgKeyID}) {
				t.Errorf("same_name_key_ids %v, want [%d]", f.Evidence.SameNameKeyIDs, fx.OrgKeyID)
			}
		}},
		{"one name in two scopes", audit.KindDuplicateName, audit.Low, false, func(srv *neontest.Server, fx *neontest.Fixture) int64 {
			_, id := srv.AddPersonalKey(fx.Admin.ID, "ci")
			return id
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx, svc := world(t)
			id := tt.set(srv, fx)
			r := run(t, svc, "", audit.Options{})
			got := found(r, tt.kind, id)
			switch {
			case tt.fire && len(got) != 1:
				t.Fatalf("%d %s findings about key %d, want 1; report:\n%s", len(got), tt.kind, id, describe(r))
			case !tt.fire && len(got) != 0:
				t.Fatalf("%s fired about key %d; report:\n%s", tt.kind, id, describe(r))
			case !tt.fire:
				if len(r.Findings) != 0 {
					t.Errorf("a near miss found something else:\n%s", describe(r))
				}
				return
			}
			f := got[0]
			if f.Severity != tt.sev || f.Key.ID != id || f.Problem == "" {
				t.Errorf("finding %+v: want severity %s", f, tt.sev)
			}
			if tt.check != nil {
				tt.check(t, f, fx)
			}
		})
	}
}

// TestStaleKeyIsNotAlsoDueForRotation: an unused key older than the
// maximum age is reported once, to be revoked, not also rotated; the old
// key of an unfinished rotation only for that.
func TestStaleKeyIsNotAlsoDueForRotation(t *testing.T) {
	srv, fx, svc := world(t)
	srv.SetKeyCreatedAt(fx.OrgKeyID, now.Add(-400*day))
	srv.SetKeyCreatedAt(fx.ProjectKeyID, now.Add(-400*day))
	_, id := srv.AddOrgKey(fx.Org.ID, keys.RotatedName("shop-deploy", now.Add(-day)), fx.OrgProject.ID)
	srv.SetKeyCreatedAt(id, now.Add(-day))
	r := run(t, svc, "", audit.Options{})
	var kinds []string
	for _, f := range r.Findings {
		kinds = append(kinds, fmt.Sprintf("%d:%s", f.Key.ID, f.Kind))
	}
	want := []string{fmt.Sprintf("%d:rotation_unfinished", fx.ProjectKeyID), fmt.Sprintf("%d:never_used", fx.OrgKeyID)}
	if !slices.Equal(kinds, want) {
		t.Fatalf("findings %v, want %v (worst first)", kinds, want)
	}
	if r.Counts != (audit.Counts{High: 1, Low: 1}) || r.AtLeast(audit.Medium) != 1 || r.AtLeast(audit.Low) != 2 {
		t.Errorf("counts %+v", r.Counts)
	}
}

// TestEveryOrganizationAudited: personal keys and each organization's keys
// are audited, or only one organization's with orgID.
func TestEveryOrganizationAudited(t *testing.T) {
	srv, fx, svc := world(t)
	second := srv.AddOrg("Beta", fx.Admin.ID)
	_, betaKey := srv.AddOrgKey(second.ID, "beta-ci", "")
	srv.SetKeyCreatedAt(betaKey, now.Add(-40*day))
	srv.SetKeyCreatedAt(fx.MemberKeyID, now.Add(-40*day)) // another user's personal key: never listed
	_, old := srv.AddPersonalKey(fx.Admin.ID, "old-laptop")
	srv.SetKeyCreatedAt(old, now.Add(-40*day))

	r := run(t, svc, "", audit.Options{})
	if r.Orgs != 2 || r.Audited != 2+2+1 {
		t.Fatalf("audited %d keys in %d organizations, want 5 in 2", r.Audited, r.Orgs)
	}
	if len(found(r, audit.KindNeverUsed, betaKey)) != 1 || len(found(r, audit.KindNeverUsed, old)) != 1 || len(r.Findings) != 2 {
		t.Fatalf("report:\n%s", describe(r))
	}

	one := run(t, svc, second.ID, audit.Options{})
	if one.Orgs != 1 || one.Audited != 1 || len(one.Findings) != 1 || one.Findings[0].Key.ID != betaKey {
		t.Fatalf("--org-id %s: %d keys, report:\n%s", second.ID, one.Audited, describe(one))
	}
}

// TestMembersUnreadableIsAGap: an organization whose members cannot be
// listed is said to be unchecked, and its keys are audited all the same.
func TestMembersUnreadableIsAGap(t *testing.T) {
	srv, fx, svc := world(t)
	srv.SetKeyCreatedAt(fx.OrgKeyID, now.Add(-31*day))
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/organizations/" + fx.Org.ID + "/members", Status: http.StatusForbidden, Message: "not allowed"})
	r := run(t, svc, "", audit.Options{})
	if len(r.Gaps) != 1 || r.Gaps[0].OrgID != fx.Org.ID || r.Gaps[0].Kind != audit.GapMembers || !strings.Contains(r.Gaps[0].Reason, "not checked") {
		t.Fatalf("gaps %+v, want the members of %s", r.Gaps, fx.Org.ID)
	}
	if !r.Complete() {
		t.Errorf("every key was audited, but the report says it is incomplete")
	}
	if len(found(r, audit.KindNeverUsed, fx.OrgKeyID)) != 1 {
		t.Fatalf("the organization's keys were not audited:\n%s", describe(r))
	}
}

// TestNothingReadableFails: when no key list could be read (a revoked
// credential) the audit fails instead of reporting a clean account.
func TestNothingReadableFails(t *testing.T) {
	srv, fx, svc := world(t)
	srv.RevokeKey(fx.AdminKeyID)
	if _, err := audit.Run(context.Background(), svc, "", audit.Options{Thresholds: audit.Defaults()}); neonapi.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("err = %v, want the 401", err)
	}
}

// TestOrganizationKeyAuditsItsOrganization: with an organization key as
// the credential, its organization is audited once (Neon refuses it the
// personal keys).
func TestOrganizationKeyAuditsItsOrganization(t *testing.T) {
	srv, fx, _ := world(t)
	srv.SetKeyCreatedAt(fx.ProjectKeyID, now.Add(-31*day))
	r := run(t, service(t, srv, fx.OrgKeyToken), "", audit.Options{})
	if r.Audited != 2 || r.Orgs != 1 || len(r.Gaps) != 0 {
		t.Fatalf("audited %d keys in %d organizations, gaps %+v", r.Audited, r.Orgs, r.Gaps)
	}
	if len(found(r, audit.KindNeverUsed, fx.ProjectKeyID)) != 1 {
		t.Fatalf("report:\n%s", describe(r))
	}
	// Should Neon refuse such a key the list of organizations, nothing
	// is missing: its own was listed.
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/users/me/organizations", Status: http.StatusNotFound, Message: "not allowed for organization API keys"})
	if r := run(t, service(t, srv, fx.OrgKeyToken), "", audit.Options{}); r.Audited != 2 || len(r.Gaps) != 0 {
		t.Fatalf("refused the organizations: audited %d keys, gaps %+v", r.Audited, r.Gaps)
	}
}

// TestHeldByDestinations: a finding names the destinations whose holds
// matches the key, and a revoke fix warns about them.
func TestHeldByDestinations(t *testing.T) {
	srv, fx, svc := world(t)
	srv.SetKeyCreatedAt(fx.OrgKeyID, now.Add(-31*day))
	cfg, err := destination.Parse([]byte("destinations:\n  ci-env:\n    dotenv: {path: /tmp/x.env, var: NEON_API_KEY}\n    holds: ci\naudit:\n  never_used: 60d\n"), "/tmp/config.yaml", "/home/u")
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, svc, "", audit.Options{Destinations: cfg})
	got := found(r, audit.KindNeverUsed, fx.OrgKeyID)
	if len(got) != 1 || !slices.Equal(got[0].HeldBy, []string{"ci-env"}) || !strings.Contains(got[0].Fix.Note, "ci-env") {
		t.Fatalf("findings %+v", got)
	}
}

// TestThresholdsChangeWhatFires: a longer never-used threshold silences
// the finding.
func TestThresholdsChangeWhatFires(t *testing.T) {
	srv, fx, svc := world(t)
	srv.SetKeyCreatedAt(fx.OrgKeyID, now.Add(-31*day))
	th := audit.Defaults()
	th.NeverUsed = 60 * day
	if r := run(t, svc, "", audit.Options{Thresholds: th}); len(r.Findings) != 0 || r.Thresholds.NeverUsed != 60 {
		t.Fatalf("thresholds %+v, report:\n%s", r.Thresholds, describe(r))
	}
}

// TestNoTokenInAReport: a report holds no token, even when a key name is
// token-shaped or holds the credential.
func TestNoTokenInAReport(t *testing.T) {
	srv, fx, svc := world(t)
	_, id := srv.AddOrgKey(fx.Org.ID, "leak "+fx.AdminToken, "")
	srv.SetKeyCreatedAt(id, now.Add(-31*day))
	r := run(t, svc, "", audit.Options{})
	text := fmt.Sprintf("%+v", r)
	if strings.Contains(text, fx.AdminToken) || strings.Contains(text, fx.OrgKeyToken) || len(r.Findings) != 1 {
		t.Fatalf("report holds a token or lacks the finding:\n%s", text)
	}
}

// TestDuplicateKeepsTheKeyInUse: of two keys with one name, the one used
// last is kept (no finding), the other is reported with it as the keeper.
func TestDuplicateKeepsTheKeyInUse(t *testing.T) {
	srv, fx, svc := world(t)
	_, older := srv.AddOrgKey(fx.Org.ID, "deploy", "")
	_, newer := srv.AddOrgKey(fx.Org.ID, "deploy", "")
	srv.SetKeyLastUsed(older, now.Add(-time.Hour), "192.0.2.1")
	r := run(t, svc, "", audit.Options{})
	if len(found(r, audit.KindDuplicateName, older)) != 0 || len(found(r, audit.KindDuplicateName, newer)) != 1 {
		t.Fatalf("want only the unused key %d reported, keeping %d:\n%s", newer, older, describe(r))
	}
	if f := found(r, audit.KindDuplicateName, newer)[0]; !strings.Contains(f.Fix.Note, fmt.Sprintf("Keep key %d", older)) {
		t.Errorf("note %q does not name the key to keep", f.Fix.Note)
	}
}

// TestUnlistedKeysMakeTheAuditIncomplete: an organization whose keys
// cannot be listed is a gap of kind keys, and the report is incomplete
// (a CI gate must not pass on it); the rest is audited.
func TestUnlistedKeysMakeTheAuditIncomplete(t *testing.T) {
	srv, fx, svc := world(t)
	_, old := srv.AddPersonalKey(fx.Admin.ID, "old")
	srv.SetKeyCreatedAt(old, now.Add(-31*day))
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/organizations/" + fx.Org.ID + "/api_keys", Status: http.StatusInternalServerError, Message: "boom"})
	r := run(t, svc, "", audit.Options{})
	if len(r.Gaps) != 1 || r.Gaps[0].Kind != audit.GapKeys || r.Gaps[0].OrgID != fx.Org.ID || r.Complete() {
		t.Fatalf("gaps %+v, complete %v: want the keys of %s missing", r.Gaps, r.Complete(), fx.Org.ID)
	}
	if len(found(r, audit.KindNeverUsed, old)) != 1 {
		t.Fatalf("the personal keys were not audited:\n%s", describe(r))
	}
}
