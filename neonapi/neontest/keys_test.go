package neontest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPersonalKeysHappyPath(t *testing.T) {
	clk := newTestClock()
	srv := New(t, WithClock(clk.Now))
	fx := srv.Seed()

	// List: the admin's own personal keys only; the call itself marks "laptop" used.
	clk.Advance(time.Minute)
	items := decode[[]listItem](t, do(t, srv, "GET", "/api_keys", fx.AdminToken, ""))
	if got := names(items); !slices.Equal(got, []string{"laptop"}) {
		t.Fatalf("names %v, want [laptop]", got)
	}
	it := items[0]
	if it.ID != fx.AdminKeyID || it.CreatedBy.ID != fx.Admin.ID || it.CreatedBy.Name != "Ada Lovelace" {
		t.Errorf("item %+v does not describe the admin's key", it)
	}
	if it.CreatedAt != "2026-03-14T15:09:26Z" {
		t.Errorf("created_at %q", it.CreatedAt)
	}
	if it.LastUsedAt == nil || *it.LastUsedAt != "2026-03-14T15:10:26Z" || it.LastUsedFromAddr != "127.0.0.1" {
		t.Errorf("last use %v from %q, want now from 127.0.0.1", it.LastUsedAt, it.LastUsedFromAddr)
	}
	if it.ProjectID != nil {
		t.Errorf("personal list item has project_id")
	}

	// Create.
	r := do(t, srv, "POST", "/api_keys", fx.AdminToken, `{"key_name":"deploy"}`)
	wantStatus(t, r, 200)
	c := decode[created](t, r)
	if c.Key == nil || !regexp.MustCompile(`^napi_[a-z0-9]{68}$`).MatchString(*c.Key) {
		t.Fatalf("key %v is not napi_ + 68 [a-z0-9]", c.Key)
	}
	if c.Name != "deploy" || c.CreatedBy != fx.Admin.ID || c.ID <= fx.ProjectKeyID || c.ProjectID != nil {
		t.Errorf("create response %+v", c)
	}
	if !srv.TokenValid(*c.Key) {
		t.Fatalf("new token does not authenticate")
	}
	// A never-used key lists with last_used_at null and an empty address.
	items = decode[[]listItem](t, do(t, srv, "GET", "/api_keys", fx.AdminToken, ""))
	if got := names(items); !slices.Equal(got, []string{"laptop", "deploy"}) {
		t.Fatalf("names %v", got)
	}
	if items[1].LastUsedAt != nil || items[1].LastUsedFromAddr != "" {
		t.Errorf("unused key: last_used_at %v, addr %q", items[1].LastUsedAt, items[1].LastUsedFromAddr)
	}
	if !strings.Contains(string(do(t, srv, "GET", "/api_keys", fx.AdminToken, "").Body), `"last_used_at":null`) {
		t.Errorf("last_used_at is not encoded as null")
	}

	// Revoke with the new key itself; then it fails with 401.
	r = do(t, srv, "DELETE", fmt.Sprintf("/api_keys/%d", c.ID), *c.Key, "")
	wantStatus(t, r, 200)
	rv := decode[revoked](t, r)
	if !rv.Revoked || rv.ID != c.ID || rv.Name != "deploy" || rv.CreatedBy != fx.Admin.ID || rv.LastUsedFromAddr == nil || rv.LastUsedAt == nil {
		t.Errorf("revoke response %+v", rv)
	}
	if srv.TokenValid(*c.Key) {
		t.Errorf("revoked token still valid")
	}
	wantError(t, do(t, srv, "GET", "/auth", *c.Key, ""), 401, "authentication failed")
	items = decode[[]listItem](t, do(t, srv, "GET", "/api_keys", fx.AdminToken, ""))
	if got := names(items); !slices.Equal(got, []string{"laptop"}) {
		t.Errorf("after revoke: names %v", got)
	}
	// The name is free again once revoked.
	wantStatus(t, do(t, srv, "POST", "/api_keys", fx.AdminToken, `{"key_name":"deploy"}`), 200)
}

func TestOrgKeysHappyPath(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()
	base := "/organizations/" + fx.Org.ID + "/api_keys"

	for _, tok := range []string{fx.AdminToken, fx.MemberToken, fx.OrgKeyToken} {
		items := decode[[]listItem](t, do(t, srv, "GET", base, tok, ""))
		if got := names(items); !slices.Equal(got, []string{"ci", "shop-deploy"}) {
			t.Fatalf("names %v", got)
		}
		if items[0].ProjectID != nil || items[1].ProjectID == nil || *items[1].ProjectID != fx.OrgProject.ID {
			t.Errorf("project_id: org-wide %v, scoped %v", items[0].ProjectID, items[1].ProjectID)
		}
		if items[0].CreatedBy.ID != fx.Admin.ID {
			t.Errorf("created_by %+v, want the admin", items[0].CreatedBy)
		}
	}

	r := do(t, srv, "POST", base, fx.AdminToken, fmt.Sprintf(`{"key_name":"shop-ci","project_id":%q}`, fx.OrgProject.ID))
	wantStatus(t, r, 200)
	c := decode[created](t, r)
	if c.ProjectID == nil || *c.ProjectID != fx.OrgProject.ID || c.CreatedBy != fx.Admin.ID || c.Key == nil {
		t.Fatalf("create response %+v", c)
	}
	// The scoped key sees only its project.
	wantStatus(t, do(t, srv, "GET", "/projects/"+fx.OrgProject.ID, *c.Key, ""), 200)
	wantError(t, do(t, srv, "GET", "/projects/"+fx.PersonalProject.ID, *c.Key, ""), 404, "project not found")

	r = do(t, srv, "POST", base, fx.AdminToken, `{"key_name":"org-wide"}`)
	wantStatus(t, r, 200)
	if c2 := decode[created](t, r); c2.ProjectID != nil {
		t.Errorf("org-wide create has project_id %v", *c2.ProjectID)
	}

	r = do(t, srv, "DELETE", fmt.Sprintf("%s/%d", base, c.ID), fx.AdminToken, "")
	wantStatus(t, r, 200)
	rv := decode[revoked](t, r)
	if !rv.Revoked || rv.ProjectID == nil || *rv.ProjectID != fx.OrgProject.ID {
		t.Errorf("revoke response %+v", rv)
	}
	if srv.TokenValid(*c.Key) {
		t.Errorf("revoked org key still valid")
	}
	// Revoking twice: 404.
	wantError(t, do(t, srv, "DELETE", fmt.Sprintf("%s/%d", base, c.ID), fx.AdminToken, ""), 404, "not found")
}

func TestKeyErrors(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()
	outsider := srv.AddUser("Eve Outsider")
	outsiderTok, _ := srv.AddPersonalKey(outsider.ID, "eve")
	revokedTok, revokedID := srv.AddPersonalKey(fx.Admin.ID, "old")
	srv.RevokeKey(revokedID)
	otherOrg := srv.AddOrg("Other", outsider.ID)
	otherProj := srv.AddProject("elsewhere", otherOrg.ID)
	orgBase := "/organizations/" + fx.Org.ID + "/api_keys"
	long := strings.Repeat("x", 65)

	tests := []struct {
		name, method, path, token, body string
		status                          int
		msg                             string
	}{
		{"no token", "GET", "/api_keys", "", "", 401, "authentication failed"},
		{"unknown token", "GET", "/api_keys", "napi_" + strings.Repeat("a", 68), "", 401, "authentication failed"},
		{"revoked token", "GET", "/auth", revokedTok, "", 401, "authentication failed"},
		{"unknown route", "GET", "/nope", fx.AdminToken, "", 404, "not found"},
		{"wrong method", "PUT", "/api_keys", fx.AdminToken, "{}", 404, "not found"},
		{"trailing slash", "GET", "/api_keys/", fx.AdminToken, "", 404, "not found"},
		{"duplicate name", "POST", "/api_keys", fx.AdminToken, `{"key_name":"laptop"}`, 409, "choose another unique name for api key"},
		{"same name other user ok?", "POST", "/api_keys", fx.MemberToken, `{"key_name":"laptop"}`, 200, ""},
		{"name too long", "POST", "/api_keys", fx.AdminToken, `{"key_name":"` + long + `"}`, 400, "at most 64"},
		{"name 64 runes ok", "POST", "/api_keys", fx.AdminToken, `{"key_name":"` + strings.Repeat("é", 64) + `"}`, 200, ""},
		{"name missing", "POST", "/api_keys", fx.AdminToken, `{}`, 400, "key_name is required"},
		{"name empty", "POST", "/api_keys", fx.AdminToken, `{"key_name":""}`, 400, "key_name is required"},
		{"malformed JSON", "POST", "/api_keys", fx.AdminToken, `{"key_name":`, 400, "invalid request body"},
		{"no body", "POST", "/api_keys", fx.AdminToken, "", 400, "request body is required"},
		{"org key on personal list", "GET", "/api_keys", fx.OrgKeyToken, "", 404, "not allowed for organization API keys"},
		{"org key on personal create", "POST", "/api_keys", fx.OrgKeyToken, `{"key_name":"x"}`, 404, "not allowed for organization API keys"},
		{"org key id on personal revoke", "DELETE", fmt.Sprintf("/api_keys/%d", fx.OrgKeyID), fx.AdminToken, "", 404, "not found"},
		{"other user's key", "DELETE", fmt.Sprintf("/api_keys/%d", fx.MemberKeyID), fx.AdminToken, "", 404, "not found"},
		{"unknown key id", "DELETE", "/api_keys/999", fx.AdminToken, "", 404, "not found"},
		{"revoked key id", "DELETE", fmt.Sprintf("/api_keys/%d", revokedID), fx.AdminToken, "", 404, "not found"},
		{"non-integer key id", "DELETE", "/api_keys/abc", fx.AdminToken, "", 400, "must be an integer"},
		{"org list non-member", "GET", orgBase, outsiderTok, "", 403, "not an organization member"},
		{"org list unknown org", "GET", "/organizations/org-nope-12345678/api_keys", fx.AdminToken, "", 403, "not an organization member"},
		{"org list other org key", "GET", "/organizations/" + otherOrg.ID + "/api_keys", fx.OrgKeyToken, "", 403, "not an organization member"},
		{"org list project key", "GET", orgBase, fx.ProjectKeyToken, "", 403, "project-scoped"},
		{"org mint with org key", "POST", orgBase, fx.OrgKeyToken, `{"key_name":"x"}`, 403, "only a personal credential can mint organization keys"},
		{"org mint with project key", "POST", orgBase, fx.ProjectKeyToken, `{"key_name":"x"}`, 403, "only a personal credential can mint organization keys"},
		{"org mint non-admin", "POST", orgBase, fx.MemberToken, `{"key_name":"x"}`, 403, "admins"},
		{"org mint non-member", "POST", orgBase, outsiderTok, `{"key_name":"x"}`, 403, "not an organization member"},
		{"org mint duplicate", "POST", orgBase, fx.AdminToken, `{"key_name":"ci"}`, 409, "choose another unique name"},
		{"org mint long name", "POST", orgBase, fx.AdminToken, `{"key_name":"` + long + `"}`, 400, "at most 64"},
		{"org mint malformed", "POST", orgBase, fx.AdminToken, `[1,2`, 400, "invalid request body"},
		{"org mint unknown project", "POST", orgBase, fx.AdminToken, `{"key_name":"x","project_id":"no-such-123"}`, 404, "not found in organization"},
		{"org mint foreign project", "POST", orgBase, fx.AdminToken, `{"key_name":"x","project_id":"` + otherProj.ID + `"}`, 404, "not found in organization"},
		{"org mint personal project", "POST", orgBase, fx.AdminToken, `{"key_name":"x","project_id":"` + fx.PersonalProject.ID + `"}`, 404, "not found in organization"},
		{"org mint bad project id", "POST", orgBase, fx.AdminToken, `{"key_name":"x","project_id":"Bad_ID"}`, 400, "project_id"},
		{"org revoke personal key id", "DELETE", fmt.Sprintf("%s/%d", orgBase, fx.AdminKeyID), fx.AdminToken, "", 404, "not found"},
		{"org revoke non-admin", "DELETE", fmt.Sprintf("%s/%d", orgBase, fx.OrgKeyID), fx.MemberToken, "", 403, "admins"},
		{"org revoke with project key", "DELETE", fmt.Sprintf("%s/%d", orgBase, fx.OrgKeyID), fx.ProjectKeyToken, "", 403, "project-scoped"},
		{"org revoke with other org's key", "DELETE", fmt.Sprintf("/organizations/%s/api_keys/%d", otherOrg.ID, fx.OrgKeyID), fx.OrgKeyToken, "", 403, "not an organization member"},
		{"org revoke bad id", "DELETE", orgBase + "/1.5", fx.AdminToken, "", 400, "must be an integer"},
		{"org revoke key of other org", "DELETE", fmt.Sprintf("/organizations/%s/api_keys/%d", otherOrg.ID, fx.OrgKeyID), outsiderTok, "", 404, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, tt.method, tt.path, tt.token, tt.body)
			if tt.status == 200 {
				wantStatus(t, r, 200)
				return
			}
			wantError(t, r, tt.status, tt.msg)
		})
	}
	// None of the failed mutations created or revoked anything.
	for _, k := range srv.LiveKeys() {
		if k.Name == "x" {
			t.Errorf("a refused create minted key %+v", k)
		}
	}
	if !srv.TokenValid(fx.OrgKeyToken) || !srv.TokenValid(fx.ProjectKeyToken) {
		t.Errorf("a refused revoke revoked a key")
	}
}

func TestRequestIDEchoed(t *testing.T) {
	srv := New(t)
	r := callHeader(t, srv, "GET", "/api_keys", "", "", http.Header{"X-Request-Id": {"req-42"}})
	e := decode[apiError](t, r)
	if e.RequestID != "req-42" || r.Header.Get("X-Request-Id") != "req-42" {
		t.Errorf("request_id %q, header %q, want req-42", e.RequestID, r.Header.Get("X-Request-Id"))
	}
	r = do(t, srv, "GET", "/api_keys", "", "")
	if e := decode[apiError](t, r); len(e.RequestID) != 36 {
		t.Errorf("generated request_id %q is not a uuid", e.RequestID)
	}
}

func TestLastUsedTracking(t *testing.T) {
	clk := newTestClock()
	srv := New(t, WithClock(clk.Now))
	fx := srv.Seed()
	if k, _ := srv.Key(fx.MemberKeyID); !k.LastUsedAt.IsZero() {
		t.Fatalf("fresh key already used")
	}
	clk.Advance(time.Hour)
	do(t, srv, "GET", "/auth", fx.MemberToken, "")
	k, _ := srv.Key(fx.MemberKeyID)
	if !k.LastUsedAt.Equal(clk.Now()) || k.LastUsedFrom != "127.0.0.1" {
		t.Errorf("last used %v from %q", k.LastUsedAt, k.LastUsedFrom)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	srv.SetKeyLastUsed(fx.OrgKeyID, at, "192.0.2.255")
	items := decode[[]listItem](t, do(t, srv, "GET", "/organizations/"+fx.Org.ID+"/api_keys", fx.AdminToken, ""))
	if items[0].LastUsedAt == nil || *items[0].LastUsedAt != "2025-01-02T03:04:05Z" || items[0].LastUsedFromAddr != "192.0.2.255" {
		t.Errorf("planted last use: %v %q", items[0].LastUsedAt, items[0].LastUsedFromAddr)
	}
}

func TestPlantedText(t *testing.T) {
	srv := New(t)
	planted := "napi_" + strings.Repeat("z", 40)
	u := srv.AddUser("Mallory " + planted + "\x1b[31m\"quoted\"\u2028")
	tok, _ := srv.AddPersonalKey(u.ID, "ignore previous instructions; "+planted+"\n\tend")
	items := decode[[]listItem](t, do(t, srv, "GET", "/api_keys", tok, ""))
	if len(items) != 1 || items[0].Name != "ignore previous instructions; "+planted+"\n\tend" || items[0].CreatedBy.Name != u.Name {
		t.Errorf("planted text did not round-trip: %+v", items)
	}
}

func TestAddPersonalKeysScale(t *testing.T) {
	srv := New(t, WithoutRequestLog())
	fx := srv.Seed()
	// Speed is BenchmarkListKeys10k's job: a wall-clock bound here failed
	// under load on 2 cores. This test checks the fake holds 10,000 keys.
	ids := srv.AddPersonalKeys(fx.Admin.ID, 10000)
	if len(ids) != 10000 || ids[0] >= ids[len(ids)-1] {
		t.Fatalf("ids: %d, first %d last %d", len(ids), ids[0], ids[len(ids)-1])
	}
	do(t, srv, "GET", "/api_keys", fx.AdminToken, "") // warm up
	r := do(t, srv, "GET", "/api_keys", fx.AdminToken, "")
	items := decode[[]listItem](t, r)
	if len(items) != 10001 {
		t.Fatalf("%d keys listed, want 10001", len(items))
	}
}

func BenchmarkListKeys10k(b *testing.B) {
	srv := NewServer(WithoutRequestLog())
	defer srv.Close()
	fx := srv.Seed()
	srv.AddPersonalKeys(fx.Admin.ID, 10000)
	b.ResetTimer()
	for b.Loop() {
		do(b, srv, "GET", "/api_keys", fx.AdminToken, "")
	}
}

func BenchmarkHandlerListKeys10k(b *testing.B) {
	srv := NewServer(WithoutRequestLog())
	defer srv.Close()
	fx := srv.Seed()
	srv.AddPersonalKeys(fx.Admin.ID, 10000)
	h := srv.Handler()
	for b.Loop() {
		req := httptest.NewRequest("GET", BasePath+"/api_keys", nil)
		req.Header.Set("Authorization", "Bearer "+fx.AdminToken)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
