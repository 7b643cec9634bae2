package keys_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

// liveService is a Service on srv with token and the real clock, which the
// fake also uses for last_used_at.
func liveService(t *testing.T, srv *neontest.Server, token string) *keys.Service {
	t.Helper()
	api, err := neonapi.New(neonapi.Options{Token: token, BaseURL: srv.URL(), Redactor: secret.NewRedactor(),
		Retry: &neonapi.RetryPolicy{MaxRetries: 1, BaseDelay: time.Millisecond, MaxWait: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return keys.New(api, nil)
}

// With an organization key as the credential, list shows that
// organization's keys and says it took the organization from the key.
func TestListWithOrgKeyListsItsOrganization(t *testing.T) {
	srv := neontest.New(t)
	fx := srv.Seed()
	res, err := liveService(t, srv, fx.OrgKeyToken).List(context.Background(), keys.ListOptions{})
	if err != nil {
		t.Fatalf("List with an org key: %v", err)
	}
	if !res.OrgFromCredential || res.OrgID != fx.Org.ID || res.Total != 2 {
		t.Fatalf("got org %q (from credential %v), %d keys; want %s's 2 keys, from the credential", res.OrgID, res.OrgFromCredential, res.Total, fx.Org.ID)
	}
	for _, k := range res.Keys {
		if k.OrgID != fx.Org.ID {
			t.Errorf("key %d has org %q, want %s", k.ID, k.OrgID, fx.Org.ID)
		}
	}
}

func TestOrgKeyAskedAboutAnotherOrganization(t *testing.T) {
	srv := neontest.New(t)
	fx := srv.Seed()
	other := srv.AddOrg("Other", fx.Member.ID)
	svc := liveService(t, srv, fx.OrgKeyToken)
	ctx := context.Background()
	_, listErr := svc.List(ctx, keys.ListOptions{OrgID: other.ID})
	_, locateErr := svc.Locate(ctx, fx.OrgKeyID, other.ID)
	for name, err := range map[string]error{"List": listErr, "Locate": locateErr} {
		var mismatch *keys.OrgKeyMismatchError
		if !errors.As(err, &mismatch) || mismatch.CredentialOrgID != fx.Org.ID || mismatch.GivenOrgID != other.ID {
			t.Errorf("%s: got %v, want an OrgKeyMismatchError naming %s and %s", name, err, fx.Org.ID, other.ID)
		}
	}
}

func TestLocateTellsTheCredentialsOwnKey(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(srv *neontest.Server, fx *neontest.Fixture) (token string, id int64)
		wantSelf keys.SelfMatch
		fromCred bool
	}{
		{"the only personal key", func(_ *neontest.Server, fx *neontest.Fixture) (string, int64) { return fx.AdminToken, fx.AdminKeyID }, keys.Self, false},
		{"the personal key in use among others", func(srv *neontest.Server, fx *neontest.Fixture) (string, int64) {
			srv.AddPersonalKey(fx.Admin.ID, "spare")
			return fx.AdminToken, fx.AdminKeyID
		}, keys.LikelySelf, false},
		{"another personal key, never used", func(srv *neontest.Server, fx *neontest.Fixture) (string, int64) {
			_, id := srv.AddPersonalKey(fx.Admin.ID, "spare")
			return fx.AdminToken, id
		}, keys.NotSelf, false},
		{"another personal key, used long ago", func(srv *neontest.Server, fx *neontest.Fixture) (string, int64) {
			_, id := srv.AddPersonalKey(fx.Admin.ID, "old")
			srv.SetKeyLastUsed(id, time.Now().Add(-time.Hour), "192.0.2.1")
			return fx.AdminToken, id
		}, keys.NotSelf, false},
		{"an org key, with a personal credential", func(_ *neontest.Server, fx *neontest.Fixture) (string, int64) { return fx.AdminToken, fx.OrgKeyID }, keys.NotSelf, false},
		{"the org key itself", func(_ *neontest.Server, fx *neontest.Fixture) (string, int64) { return fx.OrgKeyToken, fx.OrgKeyID }, keys.Self, true},
		{"a project key of the org key's org", func(_ *neontest.Server, fx *neontest.Fixture) (string, int64) { return fx.OrgKeyToken, fx.ProjectKeyID }, keys.NotSelf, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := neontest.New(t)
			fx := srv.Seed()
			token, id := tt.setup(srv, fx)
			target, err := liveService(t, srv, token).Locate(context.Background(), id, "")
			if err != nil {
				t.Fatalf("Locate: %v", err)
			}
			if target.ID != id || target.Self != tt.wantSelf || target.OrgFromCredential != tt.fromCred {
				t.Fatalf("got key %d self %d from credential %v, want key %d self %d from credential %v",
					target.ID, target.Self, target.OrgFromCredential, id, tt.wantSelf, tt.fromCred)
			}
			if warn := target.SelfWarning(keys.OpRevoke); (warn != "") != (tt.wantSelf != keys.NotSelf) {
				t.Fatalf("warning %q for self %d", warn, tt.wantSelf)
			}
		})
	}
}

// An organization key cannot create the replacement: the rotation is
// refused before anything changes.
func TestCheckRotateRefusesAnOrgKeyCredential(t *testing.T) {
	srv := neontest.New(t)
	fx := srv.Seed()
	target, err := liveService(t, srv, fx.OrgKeyToken).Locate(context.Background(), fx.ProjectKeyID, "")
	if err != nil {
		t.Fatal(err)
	}
	var cannot *keys.CannotMintError
	if err := target.CheckRotate(); !errors.As(err, &cannot) || cannot.CredentialOrgID != fx.Org.ID {
		t.Fatalf("CheckRotate: %v, want a CannotMintError for %s", err, fx.Org.ID)
	}
	if len(srv.Mutations()) != 0 {
		t.Fatalf("mutations: %v", srv.Mutations())
	}
}
