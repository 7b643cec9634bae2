package neontest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

type contractCase struct {
	name, method, path, token, body string
	status                          int
	badRequest                      bool   // the request itself breaks the spec
	op                              string // expected operationId
}

// TestResponsesMatchOpenAPI sends every route, its errors and fault answers
// through the fake and validates requests and responses against Neon's
// OpenAPI file, in strict mode (undeclared fields are errors too).
func TestResponsesMatchOpenAPI(t *testing.T) {
	v := LoadSpec(t)
	srv := New(t)
	fx := srv.Seed()
	srv.SetKeyLastUsed(fx.OrgKeyID, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), "192.0.2.255")
	orgPath := "/organizations/" + fx.Org.ID + "/api_keys"
	created := func(body string) int64 {
		r := do(t, srv, "POST", "/api_keys", fx.AdminToken, body)
		return decode[struct {
			ID int64 `json:"id"`
		}](t, r).ID
	}
	personalToRevoke := created(`{"key_name":"to-revoke"}`)

	cases := []contractCase{
		{"list keys", "GET", "/api_keys", fx.AdminToken, "", 200, false, "listApiKeys"},
		{"create key", "POST", "/api_keys", fx.AdminToken, `{"key_name":"contract"}`, 200, false, "createApiKey"},
		{"revoke key", "DELETE", fmt.Sprintf("/api_keys/%d", personalToRevoke), fx.AdminToken, "", 200, false, "revokeApiKey"},
		{"list org keys", "GET", orgPath, fx.AdminToken, "", 200, false, "listOrgApiKeys"},
		{"create org key", "POST", orgPath, fx.AdminToken, `{"key_name":"org-contract"}`, 200, false, "createOrgApiKey"},
		{"create scoped key", "POST", orgPath, fx.AdminToken, `{"key_name":"scoped-contract","project_id":"` + fx.OrgProject.ID + `"}`, 200, false, "createOrgApiKey"},
		{"revoke scoped key", "DELETE", fmt.Sprintf("%s/%d", orgPath, fx.ProjectKeyID), fx.AdminToken, "", 200, false, "revokeOrgApiKey"},
		{"get org project", "GET", "/projects/" + fx.OrgProject.ID, fx.AdminToken, "", 200, false, "getProject"},
		{"get personal project", "GET", "/projects/" + fx.PersonalProject.ID, fx.AdminToken, "", 200, false, "getProject"},
		{"list projects", "GET", "/projects?limit=1&org_id=" + fx.Org.ID, fx.AdminToken, "", 200, false, "listProjects"},
		{"list personal projects", "GET", "/projects?search=hob", fx.AdminToken, "", 200, false, "listProjects"},
		{"list projects, empty page", "GET", "/projects?cursor=" + fx.OrgProject.ID + "&org_id=" + fx.Org.ID, fx.AdminToken, "", 200, false, "listProjects"},
		{"auth personal", "GET", "/auth", fx.AdminToken, "", 200, false, "getAuthDetails"},
		{"auth org", "GET", "/auth", fx.OrgKeyToken, "", 200, false, "getAuthDetails"},
		{"user orgs", "GET", "/users/me/organizations", fx.MemberToken, "", 200, false, "getCurrentUserOrganizations"},
		{"user orgs, org key", "GET", "/users/me/organizations", fx.OrgKeyToken, "", 200, false, "getCurrentUserOrganizations"},
		{"users me", "GET", "/users/me", fx.AdminToken, "", 200, false, "getCurrentUserInfo"},
		{"org members", "GET", "/organizations/" + fx.Org.ID + "/members?limit=1", fx.MemberToken, "", 200, false, "getOrganizationMembers"},
		{"org members, org key", "GET", "/organizations/" + fx.Org.ID + "/members", fx.OrgKeyToken, "", 200, false, "getOrganizationMembers"},
		{"org members, deactivated", "GET", "/organizations/" + fx.Org.ID + "/members?limit=500", deactivated(srv, fx), "", 200, false, "getOrganizationMembers"},
		// Errors: GeneralError bodies.
		{"401", "GET", "/api_keys", "", "", 401, true, "listApiKeys"},
		{"409", "POST", "/api_keys", fx.AdminToken, `{"key_name":"laptop"}`, 409, false, "createApiKey"},
		{"400 long name", "POST", "/api_keys", fx.AdminToken, `{"key_name":"` + strings.Repeat("n", 65) + `"}`, 400, true, "createApiKey"},
		{"400 missing name", "POST", "/api_keys", fx.AdminToken, `{}`, 400, true, "createApiKey"},
		{"400 key id", "DELETE", "/api_keys/abc", fx.AdminToken, "", 400, true, "revokeApiKey"},
		{"404 org key id", "DELETE", fmt.Sprintf("/api_keys/%d", fx.OrgKeyID), fx.AdminToken, "", 404, false, "revokeApiKey"},
		{"403 org mint", "POST", orgPath, fx.OrgKeyToken, `{"key_name":"x"}`, 403, false, "createOrgApiKey"},
		{"403 member list", "GET", "/organizations/org-nope-00000000/api_keys", fx.AdminToken, "", 403, false, "listOrgApiKeys"},
		{"400 limit", "GET", "/projects?limit=0", fx.AdminToken, "", 400, true, "listProjects"},
		{"404 project", "GET", "/projects/no-such-project", fx.AdminToken, "", 404, false, "getProject"},
		{"404 users me org key", "GET", "/users/me", fx.OrgKeyToken, "", 404, false, "getCurrentUserInfo"},
		{"403 members of a foreign org", "GET", "/organizations/org-nope-00000000/members", fx.AdminToken, "", 403, false, "getOrganizationMembers"},
		{"400 members limit", "GET", "/organizations/" + fx.Org.ID + "/members?limit=501", fx.AdminToken, "", 400, true, "getOrganizationMembers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkContract(t, v, srv, tc, nil)
		})
	}

	faults := []Fault{
		{Status: 429, RetryAfter: "1"},
		{Status: 503},
		{Status: 423, Message: "project already has running operations"},
		{EchoAuthorization: true},
	}
	for _, f := range faults {
		t.Run(fmt.Sprintf("fault %d echo=%v", f.Status, f.EchoAuthorization), func(t *testing.T) {
			status := f.Status
			if status == 0 {
				status = 500
			}
			checkContract(t, v, srv, contractCase{method: "GET", path: "/api_keys", token: fx.AdminToken, status: status, op: "listApiKeys"}, &f)
		})
	}
}

func checkContract(t *testing.T, v *Validator, srv *Server, tc contractCase, f *Fault) {
	t.Helper()
	var body io.Reader
	if tc.body != "" {
		body = strings.NewReader(tc.body)
	}
	req, err := http.NewRequest(tc.method, srv.URL()+tc.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if tc.token != "" {
		req.Header.Set("Authorization", "Bearer "+tc.token)
	}
	if tc.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if op, err := v.Operation(req.Method, req.URL.Path); err != nil || op != tc.op {
		t.Fatalf("operation %q (%v), want %s", op, err, tc.op)
	}
	err = v.ValidateRequest(req, []byte(tc.body))
	if tc.badRequest != (err != nil) {
		t.Errorf("ValidateRequest: %v (want an error: %v)", err, tc.badRequest)
	}
	if f != nil {
		srv.Inject(*f)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	resBody, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != tc.status {
		t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, resBody)
	}
	if err := v.ValidateResponse(req, res.StatusCode, res.Header, resBody); err != nil {
		t.Errorf("response breaks the OpenAPI file: %v\nbody: %s", err, resBody)
	}
}

// The validator must catch what a contract test relies on it to catch.
func TestValidatorRejects(t *testing.T) {
	v := LoadSpec(t)
	get := func(path string) *http.Request {
		req, _ := http.NewRequest("GET", "http://x"+BasePath+path, nil)
		req.Header.Set("Authorization", "Bearer t")
		return req
	}
	jsonHdr := http.Header{"Content-Type": {"application/json"}}
	item := `{"id":1,"name":"k","created_at":"2025-01-01T00:00:00Z","created_by":{"id":"u","name":"n","image":""},"last_used_at":null,"last_used_from_addr":""}`
	tests := []struct {
		name, path, body string
		status           int
		header           http.Header
		wantErr          string // "" = valid
	}{
		{"valid list", "/api_keys", "[" + item + "]", 200, jsonHdr, ""},
		{"missing required", "/api_keys", `[{"id":1,"name":"k","created_at":"2025-01-01T00:00:00Z","created_by":{"id":"u","name":"n","image":""}}]`, 200, jsonHdr, `"last_used_from_addr" is missing`},
		{"wrong type", "/api_keys", `[` + strings.Replace(item, `"id":1`, `"id":"1"`, 1) + `]`, 200, jsonHdr, `"/0/id": value must be an integer`},
		{"fractional id", "/api_keys", `[` + strings.Replace(item, `"id":1`, `"id":1.5`, 1) + `]`, 200, jsonHdr, `"/0/id": value must be an integer`},
		{"bad date", "/api_keys", `[` + strings.Replace(item, `2025-01-01T00:00:00Z`, `2025-01-01 00:00`, 1) + `]`, 200, jsonHdr, "date-time"},
		{"undeclared field", "/api_keys", `[` + strings.Replace(item, `"id":1`, `"id":1,"token":"x"`, 1) + `]`, 200, jsonHdr, `property "token" is unsupported`},
		{"project_id allowed in org list", "/organizations/org-a/api_keys", `[` + strings.Replace(item, `"id":1`, `"id":1,"project_id":"p-1"`, 1) + `]`, 200, jsonHdr, ""},
		{"project_id not in personal list", "/api_keys", `[` + strings.Replace(item, `"id":1`, `"id":1,"project_id":"p-1"`, 1) + `]`, 200, jsonHdr, `property "project_id" is unsupported`},
		{"not an array", "/api_keys", `{"api_keys":[]}`, 200, jsonHdr, "value must be an array"},
		{"null not nullable", "/auth", `{"account_id":null,"auth_method":"api_key_user"}`, 200, jsonHdr, `"/account_id": Value is not nullable`},
		{"bad enum", "/auth", `{"account_id":"a","auth_method":"magic"}`, 200, jsonHdr, "is not one of"},
		{"error body", "/auth", `{"code":"","message":"m"}`, 500, jsonHdr, ""},
		{"error body without code", "/auth", `{"message":"m"}`, 500, jsonHdr, `"code" is missing`},
		{"empty body", "/auth", ``, 500, jsonHdr, "failed to decode response body"},
		{"non-JSON body", "/auth", `<html>`, 502, http.Header{"Content-Type": {"text/html"}}, "Content-Type"},
		{"pagination cursor empty", "/projects", `{"projects":[],"pagination":{"cursor":""},"applications":{},"integrations":{}}`, 200, jsonHdr, "minimum string length is 1"},
		{"unknown path", "/nope", `{}`, 200, jsonHdr, "no path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.ValidateResponse(get(tt.path), tt.status, tt.header, []byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}

	// Requests: undeclared query parameters, missing auth, bad bodies.
	req := get("/projects?orgId=x")
	if err := v.ValidateRequest(req, nil); err == nil || !strings.Contains(err.Error(), "orgId") {
		t.Errorf("undeclared query parameter: %v", err)
	}
	req = get("/api_keys")
	req.Header.Del("Authorization")
	if err := v.ValidateRequest(req, nil); err == nil || !strings.Contains(err.Error(), "Authorization") {
		t.Errorf("missing auth: %v", err)
	}
	post, _ := http.NewRequest("POST", "http://x"+BasePath+"/api_keys", nil)
	post.Header.Set("Authorization", "Bearer t")
	post.Header.Set("Content-Type", "application/json")
	for body, want := range map[string]string{
		``:                   "required",
		`{"name":"x"}`:       `"key_name" is missing`,
		`{"key_name":1}`:     "value must be a string",
		`{"key_name":"ok"}`:  "",
		`{"key_name":"ok"`:   "invalid JSON",
		`{"key_name":"a"} x`: "trailing data",
	} {
		err := v.ValidateRequest(post, []byte(body))
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("body %q: %v, want %q", body, err, want)
		}
	}
}

// Lax mode (Strict false) lets undeclared properties through but still
// checks what is declared.
func TestValidatorLax(t *testing.T) {
	v := LoadSpec(t)
	v.Strict = false
	req, _ := http.NewRequest("GET", "http://x"+BasePath+"/api_keys", nil)
	jsonHdr := http.Header{"Content-Type": {"application/json"}}
	item := `{"id":1,"name":"k","created_at":"2025-01-01T00:00:00Z","created_by":{"id":"u","name":"n","image":""},"last_used_at":null,"last_used_from_addr":"","org_id":"org-a"}`
	if err := v.ValidateResponse(req, 200, jsonHdr, []byte("["+item+"]")); err != nil {
		t.Errorf("extra property in lax mode: %v", err)
	}
	bad := strings.Replace(item, `"id":1`, `"id":"1"`, 1)
	if err := v.ValidateResponse(req, 200, jsonHdr, []byte("["+bad+"]")); err == nil || !strings.Contains(err.Error(), "must be an integer") {
		t.Errorf("wrong type in lax mode: %v", err)
	}
	v.Strict = true
	if err := v.ValidateResponse(req, 200, jsonHdr, []byte("["+item+"]")); err == nil || !strings.Contains(err.Error(), `"org_id" is unsupported`) {
		t.Errorf("extra property back in strict mode: %v", err)
	}
}

// recordTB notes LoadSpec's Skipf/Fatalf and stops its goroutine as the real
// ones would.
type recordTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordTB) Helper() {}
func (r *recordTB) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recordTB) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// Without the file LoadSpec skips, except in CI ($NEONKEYS_REQUIRE_OPENAPI=1)
// where it fails.
func TestLoadSpecAbsent(t *testing.T) {
	t.Setenv(SpecEnv, filepath.Join(t.TempDir(), "missing.yaml"))
	for _, require := range []string{"", "1"} {
		t.Setenv(RequireSpecEnv, require)
		rec := &recordTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			LoadSpec(rec)
		}()
		<-done
		if require == "1" && (rec.failed == "" || rec.skipped != "") {
			t.Errorf("required: failed %q, skipped %q; want a failure", rec.failed, rec.skipped)
		}
		if require == "" && (rec.skipped == "" || rec.failed != "") {
			t.Errorf("not required: failed %q, skipped %q; want a skip", rec.failed, rec.skipped)
		}
	}
}

func TestFindSpecAbsent(t *testing.T) {
	t.Setenv(SpecEnv, "")
	t.Chdir(t.TempDir())
	if _, err := FindSpec(); err == nil {
		t.Skip("an OpenAPI file exists above the temp dir; nothing to check")
	} else if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v, want os.ErrNotExist", err)
	}
	t.Setenv(SpecEnv, filepath.Join(t.TempDir(), "missing.yaml"))
	if _, err := FindSpec(); err == nil {
		t.Errorf("%s pointing nowhere: no error", SpecEnv)
	}
}

// deactivated deactivates the fixture's member and returns the admin's
// token, so a members list shows deactivated_at.
func deactivated(srv *Server, fx *Fixture) string {
	srv.DeactivateUser(fx.Member.ID, time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC))
	return fx.AdminToken
}
