package keys_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

func TestCreateAtEachScope(t *testing.T) {
	srv, fx, svc := setup(t)
	s := svc("")
	ctx := context.Background()
	tests := []struct {
		name      string
		req       keys.CreateRequest
		wantOrg   string
		wantPrj   string
		wantScope string
	}{
		{"personal", keys.CreateRequest{Name: "new-personal"}, "", "", keys.ScopePersonal},
		{"org-wide", keys.CreateRequest{Name: "new-org", OrgID: fx.Org.ID}, fx.Org.ID, "", keys.ScopeOrganization},
		{"project-scoped", keys.CreateRequest{Name: "new-project", ProjectID: fx.OrgProject.ID}, fx.Org.ID, fx.OrgProject.ID, keys.ScopeProject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Create(ctx, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != tt.req.Name || c.OrgID != tt.wantOrg || c.ProjectID != tt.wantPrj || c.Scope() != tt.wantScope || c.CreatedBy != (keys.Creator{ID: fx.Admin.ID, Name: "Ada Lovelace"}) {
				t.Fatalf("created %+v", c)
			}
			if !srv.TokenValid(c.Token) {
				t.Fatal("the new token does not authenticate")
			}
			info, _ := srv.Key(c.ID)
			if info.OrgID != tt.wantOrg || info.ProjectID != tt.wantPrj || info.Revoked {
				t.Fatalf("stored key %+v", info)
			}
		})
	}
}

// TestCreateNamesItsCreator: created_by is the API's object, also where no
// key listed before the create names the caller (a new organization): then
// GET /users/me does, and otherwise nothing more is asked.
func TestCreateNamesItsCreator(t *testing.T) {
	srv, fx, svc := setup(t)
	fresh := srv.AddOrg("Beta", fx.Admin.ID)
	tests := []struct {
		name   string
		req    keys.CreateRequest
		wantMe int // GET /users/me sent
	}{
		{"creator among the listed keys", keys.CreateRequest{Name: "by-list", OrgID: fx.Org.ID}, 0},
		{"no key listed", keys.CreateRequest{Name: "by-me", OrgID: fresh.ID}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.Requests())
			c, err := svc("").Create(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if c.CreatedBy != (keys.Creator{ID: fx.Admin.ID, Name: "Ada Lovelace"}) {
				t.Errorf("created_by %+v, want the admin's id and name", c.CreatedBy)
			}
			me := 0
			for _, r := range srv.Requests()[before:] {
				if r.Path == "/users/me" {
					me++
				}
			}
			if me != tt.wantMe {
				t.Errorf("%d GET /users/me, want %d", me, tt.wantMe)
			}
		})
	}
}

func TestCreateBadNameSendsNothing(t *testing.T) {
	srv, _, svc := setup(t)
	if _, err := svc("").Create(context.Background(), keys.CreateRequest{Name: strings.Repeat("a", 65)}); err == nil {
		t.Fatal("an over-long name must be refused")
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests for an invalid name", n)
	}
}

func TestCreateUnverifiedAnswerIsRevoked(t *testing.T) {
	tests := []struct {
		name   string
		req    func(fx *neontest.Fixture) keys.CreateRequest
		fault  neontest.Fault
		reason string
	}{
		{"personal without key", func(*neontest.Fixture) keys.CreateRequest { return keys.CreateRequest{Name: "nokey"} },
			neontest.Fault{OmitKey: true}, "no token"},
		{"org key with empty key", func(fx *neontest.Fixture) keys.CreateRequest {
			return keys.CreateRequest{Name: "emptykey", OrgID: fx.Org.ID}
		}, neontest.Fault{EmptyKey: true}, "no token"},
		{"project key scoped elsewhere", func(fx *neontest.Fixture) keys.CreateRequest {
			return keys.CreateRequest{Name: "wrongproject", ProjectID: fx.OrgProject.ID}
		}, neontest.Fault{WrongProjectID: "other-project-123"}, "other-project-123"},
		{"org-wide key answered as project-scoped", func(fx *neontest.Fixture) keys.CreateRequest {
			return keys.CreateRequest{Name: "widened", OrgID: fx.Org.ID}
		}, neontest.Fault{WrongProjectID: "sneaky-1"}, "instead of no project"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx, svc := setup(t)
			srv.Inject(tt.fault)
			_, err := svc("").Create(context.Background(), tt.req(fx))
			var unv *keys.WithdrawnKeyError
			if !errors.As(err, &unv) {
				t.Fatalf("err = %v (%T), want *WithdrawnKeyError", err, err)
			}
			if unv.RevokeErr != nil || !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), "revoked") {
				t.Fatalf("err = %v", err)
			}
			muts := srv.Mutations()
			if len(muts) != 2 || muts[0].Method != http.MethodPost || muts[1].Method != http.MethodDelete ||
				!strings.HasSuffix(muts[1].Path, fmt.Sprintf("/api_keys/%d", unv.KeyID)) {
				t.Fatalf("mutations: %v", muts)
			}
			info, ok := srv.Key(unv.KeyID)
			if !ok || !info.Revoked {
				t.Fatalf("key %d still live: %+v", unv.KeyID, info)
			}
			if len(srv.LiveKeys()) != 4 {
				t.Fatalf("%d live keys, want the fixture's 4", len(srv.LiveKeys()))
			}
		})
	}
}

func TestCreateUnverifiedAndRevokeFails(t *testing.T) {
	srv, _, svc := setup(t)
	srv.Inject(
		neontest.Fault{OmitKey: true},
		neontest.Fault{Method: http.MethodDelete, Status: http.StatusInternalServerError},
	)
	_, err := svc("").Create(context.Background(), keys.CreateRequest{Name: "stuck"})
	var unv *keys.WithdrawnKeyError
	if !errors.As(err, &unv) || unv.RevokeErr == nil {
		t.Fatalf("err = %v, want RevokeErr set", err)
	}
	if neonapi.StatusOf(err) != http.StatusInternalServerError {
		t.Fatal("the revoke failure must be reachable through Unwrap")
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("revoke key %d yourself", unv.KeyID)) {
		t.Fatalf("err %q does not tell the user what to do", err)
	}
	if info, _ := srv.Key(unv.KeyID); info.Revoked {
		t.Fatal("the fake revoked the key despite the injected failure")
	}
}

func TestCreateClientErrorIsNotMaybe(t *testing.T) {
	srv, fx, svc := setup(t)
	_, err := svc(fx.MemberToken).Create(context.Background(), keys.CreateRequest{Name: "x", OrgID: fx.Org.ID})
	var maybe *keys.MaybeCreatedError
	if errors.As(err, &maybe) || neonapi.StatusOf(err) != http.StatusForbidden {
		t.Fatalf("err = %v: a 403 created nothing", err)
	}
	if n := len(srv.LiveKeys()); n != 4 {
		t.Fatalf("%d live keys", n)
	}
}

func TestRevoke(t *testing.T) {
	srv, fx, svc := setup(t)
	s := svc("")
	ctx := context.Background()
	for _, k := range []keys.Key{
		{APIKey: neonapi.APIKey{ID: fx.OrgKeyID}, OrgID: fx.Org.ID},
		{APIKey: neonapi.APIKey{ID: fx.ProjectKeyID, ProjectID: fx.OrgProject.ID}, OrgID: fx.Org.ID},
	} {
		r, err := s.Revoke(ctx, k)
		if err != nil || !r.Revoked || r.ID != k.ID {
			t.Fatalf("Revoke(%d) = %+v, %v", k.ID, r, err)
		}
	}
	if srv.TokenValid(fx.OrgKeyToken) || srv.TokenValid(fx.ProjectKeyToken) {
		t.Fatal("a revoked org token still works")
	}
	_, err := s.Revoke(ctx, keys.Key{APIKey: neonapi.APIKey{ID: fx.OrgKeyID}})
	if !neonapi.IsNotFound(err) {
		t.Fatalf("org key revoked as personal: err = %v, want 404", err)
	}
	// The admin's own key last: it is the credential.
	if _, err := s.Revoke(ctx, keys.Key{APIKey: neonapi.APIKey{ID: fx.AdminKeyID}}); err != nil {
		t.Fatal(err)
	}
	if srv.TokenValid(fx.AdminToken) {
		t.Fatal("the revoked personal token still works")
	}
}

func TestRotate(t *testing.T) {
	tests := []struct {
		name string
		old  func(fx *neontest.Fixture) (keys.Key, string)
	}{
		{"personal", func(fx *neontest.Fixture) (keys.Key, string) {
			return keys.Key{APIKey: neonapi.APIKey{ID: fx.MemberKeyID, Name: "workstation"}}, fx.MemberToken
		}},
		{"org-wide", func(fx *neontest.Fixture) (keys.Key, string) {
			return keys.Key{APIKey: neonapi.APIKey{ID: fx.OrgKeyID, Name: "ci"}, OrgID: fx.Org.ID}, fx.OrgKeyToken
		}},
		{"project-scoped", func(fx *neontest.Fixture) (keys.Key, string) {
			return keys.Key{APIKey: neonapi.APIKey{ID: fx.ProjectKeyID, Name: "shop-deploy", ProjectID: fx.OrgProject.ID}, OrgID: fx.Org.ID}, fx.ProjectKeyToken
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx, svc := setup(t)
			old, oldToken := tt.old(fx)
			token := ""
			if old.OrgID == "" {
				token = oldToken // a personal key rotates itself
			}
			s := svc(token)
			res, err := s.Rotate(context.Background(), old, s.RotateRequest(old, ""), deliverNowhere)
			if err != nil {
				t.Fatal(err)
			}
			if res.RevokeErr != nil || res.Revoked == nil || !res.Revoked.Revoked {
				t.Fatalf("revoke: %+v, %v", res.Revoked, res.RevokeErr)
			}
			if !srv.TokenValid(res.New.Token) || srv.TokenValid(oldToken) {
				t.Fatalf("new token valid %v, old token valid %v", srv.TokenValid(res.New.Token), srv.TokenValid(oldToken))
			}
			if res.New.OrgID != old.OrgID || res.New.ProjectID != old.ProjectID {
				t.Fatalf("new key at %s, old at %s", res.New.ScopeText(), old.ScopeText())
			}
			info, _ := srv.Key(res.New.ID)
			if info.OrgID != old.OrgID || info.ProjectID != old.ProjectID {
				t.Fatalf("stored new key %+v", info)
			}
			if want := keys.RotatedName(old.Name, rotateNow); res.New.Name != want {
				t.Fatalf("new name %q, want %q", res.New.Name, want)
			}
			muts := srv.Mutations()
			if len(muts) != 2 || muts[0].Method != http.MethodPost || muts[1].Method != http.MethodDelete {
				t.Fatalf("want create then revoke, got %d mutations", len(muts))
			}
		})
	}
}

func TestRotateWithName(t *testing.T) {
	_, fx, svc := setup(t)
	s := svc("")
	old := keys.Key{APIKey: neonapi.APIKey{ID: fx.OrgKeyID, Name: "ci"}, OrgID: fx.Org.ID}
	if req := s.RotateRequest(old, "ci-2025"); req.Name != "ci-2025" || req.OrgID != fx.Org.ID {
		t.Fatalf("RotateRequest = %+v", req)
	}
	res, err := s.Rotate(context.Background(), old, s.RotateRequest(old, "ci-2025"), deliverNowhere)
	if err != nil || res.New.Name != "ci-2025" {
		t.Fatalf("Rotate = %+v, %v", res, err)
	}
}

func TestRotateRevokeFails(t *testing.T) {
	srv, fx, svc := setup(t)
	srv.Inject(neontest.Fault{Method: http.MethodDelete, Status: http.StatusInternalServerError})
	old := keys.Key{APIKey: neonapi.APIKey{ID: fx.OrgKeyID, Name: "ci"}, OrgID: fx.Org.ID}
	s := svc("")
	res, err := s.Rotate(context.Background(), old, s.RotateRequest(old, ""), deliverNowhere)
	if err != nil {
		t.Fatalf("a failed revoke must still deliver the new key: %v", err)
	}
	if res.New == nil || !srv.TokenValid(res.New.Token) {
		t.Fatal("no working new key")
	}
	if res.RevokeErr == nil || neonapi.StatusOf(res.RevokeErr) != http.StatusInternalServerError {
		t.Fatalf("RevokeErr = %v", res.RevokeErr)
	}
	if !srv.TokenValid(fx.OrgKeyToken) {
		t.Fatal("the old key was revoked despite the failure")
	}
}

func TestRotateCreateFailsChangesNothing(t *testing.T) {
	srv, fx, svc := setup(t)
	old := keys.Key{APIKey: neonapi.APIKey{ID: fx.OrgKeyID, Name: "ci"}, OrgID: fx.Org.ID}
	s := svc(fx.MemberToken)
	_, err := s.Rotate(context.Background(), old, s.RotateRequest(old, ""), deliverNowhere)
	if neonapi.StatusOf(err) != http.StatusForbidden {
		t.Fatalf("err = %v, want 403", err)
	}
	if !srv.TokenValid(fx.OrgKeyToken) || len(srv.LiveKeys()) != 4 {
		t.Fatal("a failed rotation changed keys")
	}
	for _, m := range srv.Mutations() {
		if m.Method == http.MethodDelete {
			t.Fatal("the old key was revoked although no replacement exists")
		}
	}
}

// deliverNowhere is a delivery that always succeeds.
func deliverNowhere(*keys.Created) error { return nil }

// A token that cannot be delivered must not leave a live key behind, and a
// rotation must then leave the old key alone: create, deliver, revoke.
func TestDeliveryFailureWithdrawsTheNewKey(t *testing.T) {
	failing := func(*keys.Created) error { return errors.New("disk full") }
	t.Run("create", func(t *testing.T) {
		srv, _, svc := setup(t)
		before := len(srv.LiveKeys())
		_, err := svc("").CreateAndDeliver(context.Background(), keys.CreateRequest{Name: "lost"}, failing)
		var undelivered *keys.WithdrawnKeyError
		if !errors.As(err, &undelivered) || undelivered.RevokeErr != nil {
			t.Fatalf("err = %v, want a WithdrawnKeyError with the key withdrawn", err)
		}
		if got := len(srv.LiveKeys()); got != before {
			t.Fatalf("%d live keys, want %d: the undelivered key stayed", got, before)
		}
		if msg := keys.Explain(keys.OpCreate, err, cliWords()); !strings.Contains(msg, "disk full") || !strings.Contains(msg, "nothing changed") {
			t.Fatalf("Explain = %q", msg)
		}
	})
	t.Run("rotate", func(t *testing.T) {
		srv, fx, svc := setup(t)
		s := svc("")
		old := keys.Key{APIKey: neonapi.APIKey{ID: fx.OrgKeyID, Name: "ci"}, OrgID: fx.Org.ID}
		if _, err := s.Rotate(context.Background(), old, s.RotateRequest(old, ""), failing); err == nil {
			t.Fatal("Rotate succeeded although the token was not delivered")
		}
		if !srv.TokenValid(fx.OrgKeyToken) {
			t.Fatal("the old key was revoked although its replacement was never delivered")
		}
		muts := srv.Mutations()
		if len(muts) != 2 || muts[0].Method != http.MethodPost || muts[1].Method != http.MethodDelete ||
			strings.HasSuffix(muts[1].Path, "/"+strconv.FormatInt(fx.OrgKeyID, 10)) {
			t.Fatalf("want the create then the revoke of the new key, got %d mutations", len(muts))
		}
	})
	t.Run("withdraw fails", func(t *testing.T) {
		srv, _, svc := setup(t)
		srv.Inject(neontest.Fault{Method: http.MethodDelete, Status: http.StatusInternalServerError, Count: 10})
		_, err := svc("").CreateAndDeliver(context.Background(), keys.CreateRequest{Name: "stray"}, failing)
		msg := keys.Explain(keys.OpCreate, err, cliWords())
		if !strings.Contains(msg, "revoke key") || !strings.Contains(msg, "yourself") {
			t.Fatalf("Explain = %q: the user must hear that a stray key is live", msg)
		}
	})
}

// A revoke whose first answer was lost (Neon revoked the key, then the
// connection dropped) is retried and meets 404: that is a done revoke, not
// "no such key", so a rotation does not report the old key as still live.
func TestRevokeRetriedAfterALostAnswer(t *testing.T) {
	srv, fx, svc := setup(t)
	srv.Inject(neontest.Fault{Method: http.MethodDelete, DropConnection: true, Processed: true})
	s := svc("")
	old := keys.Key{APIKey: neonapi.APIKey{ID: fx.OrgKeyID, Name: "ci"}, OrgID: fx.Org.ID}
	res, err := s.Rotate(context.Background(), old, s.RotateRequest(old, ""), deliverNowhere)
	if err != nil {
		t.Fatal(err)
	}
	if res.RevokeErr != nil || res.Revoked == nil || !res.Revoked.Revoked {
		t.Fatalf("revoke reported as %v (%+v); the first attempt revoked the key", res.RevokeErr, res.Revoked)
	}
	if srv.TokenValid(fx.OrgKeyToken) {
		t.Fatal("the old key still works")
	}
	if n := len(srv.Mutations()); n != 3 {
		t.Fatalf("%d mutations, want the create and two revoke attempts", n)
	}
}

// cancelOnBody cancels a context once a POST's answer has been read in
// full: the caller gives up just after Neon minted the key.
type cancelOnBody struct {
	base   http.RoundTripper
	cancel context.CancelFunc
}

func (c cancelOnBody) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err == nil && req.Method == http.MethodPost {
		resp.Body = &eofHook{ReadCloser: resp.Body, hook: c.cancel}
	}
	return resp, err
}

type eofHook struct {
	io.ReadCloser
	hook func()
}

func (e *eofHook) Read(p []byte) (int, error) {
	n, err := e.ReadCloser.Read(p)
	if err == io.EOF {
		e.hook()
	}
	return n, err
}

// A caller that gives up right after Neon minted a key will never receive
// its token: the key is revoked at once instead of staying live.
func TestCreateCancelledAfterMintWithdrawsTheKey(t *testing.T) {
	srv := neontest.New(t)
	fx := srv.Seed()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api, err := neonapi.New(neonapi.Options{
		Token: fx.AdminToken, BaseURL: srv.URL(), Redactor: secret.NewRedactor(),
		HTTPClient: &http.Client{Transport: cancelOnBody{base: srv.Client().Transport, cancel: cancel}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = keys.New(api, nil).Create(ctx, keys.CreateRequest{Name: "abandoned"})
	var withdrawn *keys.WithdrawnKeyError
	if !errors.As(err, &withdrawn) || withdrawn.RevokeErr != nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("err = %v, want the minted key withdrawn because the request was cancelled", err)
	}
	if n := len(srv.LiveKeys()); n != 4 {
		t.Fatalf("%d live keys, want the fixture's 4", n)
	}
}

// TestCreateRefusesATokenThatIsNotANeonToken: the token is the one string of
// a create answer that is not cleaned, so an answer whose "key" is the
// credential, escape sequences, or not napi_ and 32 to 128 letters and digits
// is never handed over: the key is revoked at once and the error says why
// without quoting the value.
func TestCreateRefusesATokenThatIsNotANeonToken(t *testing.T) {
	body := strings.Repeat("a1B2", 16)
	tests := []struct {
		name   string
		key    func(fx *neontest.Fixture) string
		reason string
	}{
		{"the credential", func(fx *neontest.Fixture) string { return fx.AdminToken }, "a secret neonkeys already holds"},
		{"the credential after a valid prefix", func(fx *neontest.Fixture) string {
			return "napi_" + strings.TrimPrefix(fx.AdminToken, "napi_") + "x"
		}, "a secret neonkeys already holds"},
		{"escape sequences", func(*neontest.Fixture) string {
			return "napi_" + body + "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J"
		}, "other than ASCII letters and digits"},
		{"bidi override and a fake line", func(*neontest.Fixture) string {
			return "napi_" + body[:40] + "\u202e\nStore this key now"
		}, "other than ASCII letters and digits"},
		{"too long", func(*neontest.Fixture) string { return "napi_" + strings.Repeat("a", 129) }, "129 bytes after napi_"},
		{"too short", func(*neontest.Fixture) string { return "napi_" + strings.Repeat("a", 31) }, "31 bytes after napi_"},
		{"wrong prefix", func(*neontest.Fixture) string { return "neon_" + body }, "does not start with napi_"},
		{"no prefix", func(*neontest.Fixture) string { return body }, "does not start with napi_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx, svc := setup(t)
			key := tt.key(fx)
			srv.Inject(neontest.Fault{Key: key})
			c, err := svc("").Create(context.Background(), keys.CreateRequest{Name: "shaped"})
			var withdrawn *keys.WithdrawnKeyError
			if !errors.As(err, &withdrawn) || withdrawn.RevokeErr != nil {
				t.Fatalf("created %+v, err = %v, want *WithdrawnKeyError with the key revoked", c, err)
			}
			if !strings.Contains(err.Error(), tt.reason) || strings.Contains(err.Error(), key) || strings.Contains(err.Error(), body) {
				t.Fatalf("err = %q, want the reason %q without the value", err, tt.reason)
			}
			if info, ok := srv.Key(withdrawn.KeyID); !ok || !info.Revoked {
				t.Fatalf("key %d is still live at the fake: %+v", withdrawn.KeyID, info)
			}
			if len(srv.LiveKeys()) != 4 {
				t.Fatalf("%d live keys, want the fixture's 4", len(srv.LiveKeys()))
			}
		})
	}
}

// TestCreateKeepsTokensOfEveryAcceptedLength: the bounds of the rule are
// inclusive, and upper-case letters are allowed.
func TestCreateKeepsTokensOfEveryAcceptedLength(t *testing.T) {
	for _, n := range []int{32, 68, 128} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			srv, _, svc := setup(t)
			token := "napi_" + strings.Repeat("Z9", n)[:n]
			srv.Inject(neontest.Fault{Key: token})
			c, err := svc("").Create(context.Background(), keys.CreateRequest{Name: "bounds"})
			if err != nil || c.Token != token {
				t.Fatalf("created %+v, err = %v", c, err)
			}
		})
	}
}
