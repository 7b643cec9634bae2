package keys_test

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

var rotateNow = time.Date(2025, 6, 1, 10, 20, 30, 0, time.UTC)

// setup starts a seeded fake and a Service calling it with token (the
// admin's personal key when empty).
func setup(t *testing.T) (*neontest.Server, *neontest.Fixture, func(token string) *keys.Service) {
	t.Helper()
	srv := neontest.New(t)
	fx := srv.Seed()
	svc := func(token string) *keys.Service {
		if token == "" {
			token = fx.AdminToken
		}
		api, err := neonapi.New(neonapi.Options{
			Token: token, BaseURL: srv.URL(), UserAgent: "neonkeys/test", Timeout: 10 * time.Second,
			Retry:    &neonapi.RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond, MaxWait: time.Second},
			Redactor: secret.NewRedactor(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return keys.New(api, func() time.Time { return rotateNow })
	}
	return srv, fx, svc
}

func names(ks []keys.Key) []string {
	out := make([]string, 0, len(ks))
	for _, k := range ks {
		out = append(out, k.Name)
	}
	sort.Strings(out)
	return out
}

func TestList(t *testing.T) {
	srv, fx, svc := setup(t)
	srv.AddPersonalKey(fx.Admin.ID, "Deploy-Prod")
	srv.AddPersonalKey(fx.Admin.ID, "deploy-staging")
	srv.AddOrgKey(fx.Org.ID, "shop-reader", fx.OrgProject.ID)
	other := srv.AddProject("other", fx.Org.ID)
	srv.AddOrgKey(fx.Org.ID, "other-deploy", other.ID)
	s := svc("")
	ctx := context.Background()

	tests := []struct {
		name      string
		opts      keys.ListOptions
		want      []string
		wantTotal int
		wantOrg   string
		wantScope string
	}{
		{"personal", keys.ListOptions{}, []string{"Deploy-Prod", "deploy-staging", "laptop"}, 3, "", keys.ScopePersonal},
		{"org", keys.ListOptions{OrgID: fx.Org.ID}, []string{"ci", "other-deploy", "shop-deploy", "shop-reader"}, 4, fx.Org.ID, ""},
		{"project resolves the org", keys.ListOptions{ProjectID: fx.OrgProject.ID}, []string{"shop-deploy", "shop-reader"}, 2, fx.Org.ID, keys.ScopeProject},
		{"name contains is case-insensitive", keys.ListOptions{NameContains: "DEPLOY"}, []string{"Deploy-Prod", "deploy-staging"}, 2, "", keys.ScopePersonal},
		{"limit keeps the total", keys.ListOptions{OrgID: fx.Org.ID, Limit: 1}, nil, 4, fx.Org.ID, ""},
		{"limit with filter", keys.ListOptions{OrgID: fx.Org.ID, NameContains: "deploy", Limit: 1}, nil, 2, fx.Org.ID, ""},
		{"no match", keys.ListOptions{NameContains: "nothing"}, []string{}, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.List(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != tt.wantTotal {
				t.Fatalf("Total %d, want %d", res.Total, tt.wantTotal)
			}
			if tt.opts.Limit > 0 {
				if len(res.Keys) != tt.opts.Limit {
					t.Fatalf("%d keys, want Limit %d", len(res.Keys), tt.opts.Limit)
				}
			} else if got := names(res.Keys); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("keys %v, want %v", got, tt.want)
			}
			for _, k := range res.Keys {
				if k.OrgID != tt.wantOrg {
					t.Errorf("key %s OrgID %q, want %q", k.Name, k.OrgID, tt.wantOrg)
				}
				if tt.wantScope != "" && k.Scope() != tt.wantScope {
					t.Errorf("key %s scope %q, want %q", k.Name, k.Scope(), tt.wantScope)
				}
			}
		})
	}
}

func TestListProjectErrors(t *testing.T) {
	srv, fx, svc := setup(t)
	s := svc("")
	ctx := context.Background()
	_, err := s.List(ctx, keys.ListOptions{ProjectID: fx.PersonalProject.ID})
	var notInOrg *keys.ProjectNotInOrgError
	if !errors.As(err, &notInOrg) || notInOrg.ProjectID != fx.PersonalProject.ID {
		t.Fatalf("err = %v, want ProjectNotInOrgError", err)
	}
	_, err = s.List(ctx, keys.ListOptions{ProjectID: "no-such-project"})
	if !neonapi.IsNotFound(err) {
		t.Fatalf("err = %v, want 404", err)
	}
	if n := len(srv.Mutations()); n != 0 {
		t.Fatalf("a list made %d mutations", n)
	}
}

func TestScopeText(t *testing.T) {
	tests := []struct {
		key         keys.Key
		scope, text string
	}{
		{keys.Key{}, keys.ScopePersonal, "personal"},
		{keys.Key{OrgID: "org-a"}, keys.ScopeOrganization, "organization org-a"},
		{keys.Key{APIKey: neonapi.APIKey{ProjectID: "p-1"}, OrgID: "org-a"}, keys.ScopeProject, "project p-1 in organization org-a"},
	}
	for _, tt := range tests {
		if tt.key.Scope() != tt.scope || tt.key.ScopeText() != tt.text {
			t.Errorf("%+v: scope %q text %q", tt.key, tt.key.Scope(), tt.key.ScopeText())
		}
	}
}

func TestFind(t *testing.T) {
	srv, fx, svc := setup(t)
	// A second org where the admin is a plain member: its keys are not
	// listable, and Find must carry on past it.
	stranger := srv.AddUser("Stranger")
	elsewhere := srv.AddOrg("Elsewhere", stranger.ID)
	srv.AddOrgMember(elsewhere.ID, fx.Admin.ID, false)
	_, foreignID := srv.AddOrgKey(elsewhere.ID, "foreign", "")
	s := svc("")
	ctx := context.Background()

	tests := []struct {
		name    string
		id      int64
		orgID   string
		wantOrg string
		wantPrj string
	}{
		{"personal", fx.AdminKeyID, "", "", ""},
		{"org key without org id", fx.OrgKeyID, "", fx.Org.ID, ""},
		{"project key without org id", fx.ProjectKeyID, "", fx.Org.ID, fx.OrgProject.ID},
		{"org key with org id", fx.OrgKeyID, fx.Org.ID, fx.Org.ID, ""},
		{"member can still find keys of an org it belongs to", foreignID, "", elsewhere.ID, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := s.Locate(ctx, tt.id, tt.orgID)
			if err != nil {
				t.Fatal(err)
			}
			if k.ID != tt.id || k.OrgID != tt.wantOrg || k.ProjectID != tt.wantPrj {
				t.Fatalf("found %+v", k)
			}
		})
	}
}

func TestFindNotFound(t *testing.T) {
	srv, fx, svc := setup(t)
	s := svc("")
	ctx := context.Background()
	tests := []struct {
		name      string
		id        int64
		orgID     string
		wantOrg   string
		searched  bool
		wantInMsg string
	}{
		{"nowhere", 424242, "", "", true, "organizations"},
		{"member's personal key is not ours", fx.MemberKeyID, "", "", true, "personal"},
		{"not in the given org", fx.AdminKeyID, fx.Org.ID, fx.Org.ID, false, fx.Org.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Locate(ctx, tt.id, tt.orgID)
			var nf *keys.NotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("err = %v (%T), want *NotFoundError", err, err)
			}
			if nf.ID != tt.id || nf.OrgID != tt.wantOrg || nf.SearchedOrgs != tt.searched {
				t.Fatalf("NotFoundError %+v", nf)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Fatalf("%q lacks %q", err, tt.wantInMsg)
			}
		})
	}
	if n := len(srv.Mutations()); n != 0 {
		t.Fatalf("Find made %d mutations", n)
	}
}

func TestFindPassesAPIErrors(t *testing.T) {
	_, fx, svc := setup(t)
	_, err := svc("napi_notavalidtoken000000000000000").Locate(context.Background(), fx.AdminKeyID, "")
	if neonapi.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("err = %v, want the 401", err)
	}
}

func TestResolve(t *testing.T) {
	srv, fx, svc := setup(t)
	s := svc("")
	ctx := context.Background()
	other := srv.AddOrg("Other", fx.Admin.ID)

	got, err := s.Resolve(ctx, keys.CreateRequest{Name: "k", ProjectID: fx.OrgProject.ID})
	if err != nil || got.OrgID != fx.Org.ID || got.Scope() != keys.ScopeProject {
		t.Fatalf("Resolve = %+v, %v", got, err)
	}
	if got.ScopeText() != "project "+fx.OrgProject.ID+" in organization "+fx.Org.ID {
		t.Fatalf("ScopeText %q", got.ScopeText())
	}
	got, err = s.Resolve(ctx, keys.CreateRequest{Name: "k", OrgID: fx.Org.ID})
	if err != nil || got.Scope() != keys.ScopeOrganization {
		t.Fatalf("org-wide Resolve = %+v, %v", got, err)
	}

	_, err = s.Resolve(ctx, keys.CreateRequest{Name: "k", ProjectID: fx.PersonalProject.ID})
	var notInOrg *keys.ProjectNotInOrgError
	if !errors.As(err, &notInOrg) {
		t.Fatalf("personal project: err = %v", err)
	}
	_, err = s.Resolve(ctx, keys.CreateRequest{Name: "k", ProjectID: fx.OrgProject.ID, OrgID: other.ID})
	if err == nil || !strings.Contains(err.Error(), other.ID) || !strings.Contains(err.Error(), fx.Org.ID) {
		t.Fatalf("mismatched org: err = %v", err)
	}
	if _, err = s.Resolve(ctx, keys.CreateRequest{Name: " ", ProjectID: fx.OrgProject.ID}); err == nil {
		t.Fatal("an empty name must be refused")
	}
	if n := len(srv.Mutations()); n != 0 {
		t.Fatalf("Resolve made %d mutations", n)
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"ci", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("é", 64), true}, // 64 characters, 128 bytes
		{strings.Repeat("a", 65), false},
		{"", false},
		{"   \t", false},
		{"bad\xffutf8", false},
	}
	for _, tt := range tests {
		if err := keys.CheckName(tt.name); (err == nil) != tt.ok {
			t.Errorf("CheckName(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestRotatedName(t *testing.T) {
	now := time.Date(2025, 6, 1, 10, 20, 30, 0, time.FixedZone("CEST", 2*3600))
	const suffix = "-rotated-20250601T082030Z" // UTC
	later := now.Add(time.Hour)
	tests := []struct {
		name, old, want string
	}{
		{"simple", "ci", "ci" + suffix},
		{"empty", "", "neon-api-key" + suffix},
		{"long name cut to 64", strings.Repeat("x", 80), strings.Repeat("x", 64-len(suffix)) + suffix},
		{"multibyte cut on runes", strings.Repeat("鍵", 80), strings.Repeat("鍵", 64-len(suffix)) + suffix},
		{"earlier suffix replaced", "ci-rotated-20240101T000000Z", "ci" + suffix},
		{"lookalike suffix kept", "ci-rotated-soon", "ci-rotated-soon" + suffix},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := keys.RotatedName(tt.old, now)
			if got != tt.want {
				t.Fatalf("RotatedName(%q) = %q, want %q", tt.old, got, tt.want)
			}
			if err := keys.CheckName(got); err != nil {
				t.Fatalf("rotated name %q is not a valid name: %v", got, err)
			}
		})
	}
	// Rotating a rotated key again does not stack suffixes, even when cut.
	name := strings.Repeat("n", 70)
	for range 3 {
		name = keys.RotatedName(name, later)
	}
	if strings.Count(name, "-rotated-") != 1 || !strings.HasSuffix(name, "-rotated-20250601T092030Z") {
		t.Fatalf("after three rotations: %q", name)
	}
}
