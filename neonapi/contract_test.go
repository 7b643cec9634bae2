package neonapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// contractOps are the Neon operations neonkeys calls, by OpenAPI operationId.
var contractOps = []string{
	"createApiKey", "createOrgApiKey", "getAuthDetails", "getCurrentUserOrganizations", "getOrganizationMembers", "getProject",
	"listApiKeys", "listOrgApiKeys", "listProjects", "revokeApiKey", "revokeOrgApiKey",
}

// validatingTransport checks every request the client sends and every
// answer it gets against the OpenAPI file in strict mode, as they cross the
// wire: undeclared body fields and query parameters are failures.
type validatingTransport struct {
	spec *neontest.Validator
	next http.RoundTripper

	mu       sync.Mutex
	failures []string
	seen     map[string]map[int]bool // operationId → statuses seen
}

func newValidatingTransport(spec *neontest.Validator) *validatingTransport {
	return &validatingTransport{spec: spec, next: &http.Transport{}, seen: map[string]map[int]bool{}}
}

func (v *validatingTransport) fail(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.failures = append(v.failures, fmt.Sprintf(format, args...))
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	if err := v.spec.ValidateRequest(req, reqBody); err != nil {
		v.fail("request: %v", err)
	}
	resp, err := v.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err := v.spec.ValidateResponse(req, resp.StatusCode, resp.Header, respBody); err != nil {
		v.fail("response: %v\nbody: %s", err, respBody)
	}
	if op, err := v.spec.Operation(req.Method, req.URL.Path); err == nil {
		v.mu.Lock()
		if v.seen[op] == nil {
			v.seen[op] = map[int]bool{}
		}
		v.seen[op][resp.StatusCode] = true
		v.mu.Unlock()
	}
	return resp, nil
}

// TestContractAgainstOpenAPI checks the client and the fake against Neon's
// OpenAPI file with kin-openapi (parsed once: it is large).
func TestContractAgainstOpenAPI(t *testing.T) {
	spec := neontest.LoadSpec(t) // strict; fails instead of skipping when NEONKEYS_REQUIRE_OPENAPI=1
	t.Run("every operation", func(t *testing.T) { checkEveryOperation(t, spec) })
	t.Run("catches drift", func(t *testing.T) { checkCatchesDrift(t, spec) })
}

// checkEveryOperation runs every client operation against the fake,
// successes and failures, and checks each request and answer.
func checkEveryOperation(t *testing.T, spec *neontest.Validator) {
	srv, fx := fakeAPI(t)
	for i := range 3 {
		srv.AddProject(fmt.Sprintf("shop-%d", i), fx.Org.ID)
	}
	srv.SetKeyLastUsed(fx.OrgKeyID, fixedNow, "192.0.2.7")
	vt := newValidatingTransport(spec)
	clientFor := func(token string) *neonapi.Client {
		return newClient(t, srv, token, func(o *neonapi.Options) { o.HTTPClient = &http.Client{Transport: vt} })
	}
	admin, member, orgKey := clientFor(fx.AdminToken), clientFor(fx.MemberToken), clientFor(fx.OrgKeyToken)
	bad := clientFor("napi_revokedorneverissued000000000000")
	ctx := context.Background()

	steps := []struct {
		name    string
		wantErr bool
		run     func() error
	}{
		{"list personal keys", false, func() error { _, err := admin.ListAPIKeys(ctx); return err }},
		{"create and revoke a personal key", false, func() error {
			k, err := admin.CreateAPIKey(ctx, "contract-personal")
			if err != nil {
				return err
			}
			_, err = admin.RevokeAPIKey(ctx, k.ID)
			return err
		}},
		{"list org keys", false, func() error { _, err := admin.ListOrgAPIKeys(ctx, fx.Org.ID); return err }},
		{"org key lists its org's keys", false, func() error { _, err := orgKey.ListOrgAPIKeys(ctx, fx.Org.ID); return err }},
		{"org members", false, func() error { _, err := admin.ListOrgMembers(ctx, fx.Org.ID); return err }},
		{"org members, org key", false, func() error { _, err := orgKey.ListOrgMembers(ctx, fx.Org.ID); return err }},
		{"create and revoke an org-wide key", false, func() error {
			k, err := admin.CreateOrgAPIKey(ctx, fx.Org.ID, neonapi.CreateOrgAPIKeyRequest{KeyName: "contract-org"})
			if err != nil {
				return err
			}
			_, err = admin.RevokeOrgAPIKey(ctx, fx.Org.ID, k.ID)
			return err
		}},
		{"create and revoke a project-scoped key", false, func() error {
			k, err := admin.CreateOrgAPIKey(ctx, fx.Org.ID, neonapi.CreateOrgAPIKeyRequest{KeyName: "contract-project", ProjectID: fx.OrgProject.ID})
			if err != nil {
				return err
			}
			_, err = admin.RevokeOrgAPIKey(ctx, fx.Org.ID, k.ID)
			return err
		}},
		{"revoke a used org key", false, func() error { _, err := admin.RevokeOrgAPIKey(ctx, fx.Org.ID, fx.OrgKeyID); return err }},
		{"get org project", false, func() error { _, err := admin.GetProject(ctx, fx.OrgProject.ID); return err }},
		{"get personal project", false, func() error { _, err := admin.GetProject(ctx, fx.PersonalProject.ID); return err }},
		{"list org projects over pages", false, func() error {
			_, err := admin.ListProjects(ctx, neonapi.ListProjectsOptions{OrgID: fx.Org.ID, PageSize: 2, Search: "shop"})
			return err
		}},
		{"list personal projects", false, func() error { _, err := admin.ListProjects(ctx, neonapi.ListProjectsOptions{}); return err }},
		{"auth details personal", false, func() error { _, err := admin.GetAuthDetails(ctx); return err }},
		{"current user organizations", false, func() error { _, err := admin.GetCurrentUserOrganizations(ctx); return err }},

		{"401 list", true, func() error { _, err := bad.ListAPIKeys(ctx); return err }},
		{"401 auth", true, func() error { _, err := bad.GetAuthDetails(ctx); return err }},
		{"403 member creates org key", true, func() error {
			_, err := member.CreateOrgAPIKey(ctx, fx.Org.ID, neonapi.CreateOrgAPIKeyRequest{KeyName: "x"})
			return err
		}},
		{"403 member revokes org key", true, func() error { _, err := member.RevokeOrgAPIKey(ctx, fx.Org.ID, fx.ProjectKeyID); return err }},
		{"403 members of a foreign org", true, func() error { _, err := admin.ListOrgMembers(ctx, "org-nope-00000000"); return err }},
		{"404 revoke unknown personal key", true, func() error { _, err := admin.RevokeAPIKey(ctx, 999); return err }},
		{"404 unknown project", true, func() error { _, err := admin.GetProject(ctx, "no-such-project"); return err }},
		{"409 duplicate name", true, func() error { _, err := admin.CreateAPIKey(ctx, "laptop"); return err }},
		{"429 then 200", false, func() error {
			srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/users/me/organizations", Status: http.StatusTooManyRequests, RetryAfter: "0"})
			_, err := admin.GetCurrentUserOrganizations(ctx)
			return err
		}},
		{"503 on create", true, func() error {
			srv.Inject(neontest.Fault{Method: http.MethodPost, Path: "/api_keys", Status: http.StatusServiceUnavailable})
			_, err := admin.CreateAPIKey(ctx, "contract-503")
			return err
		}},
		{"500 echoing the credential", true, func() error {
			srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/projects", EchoAuthorization: true})
			_, err := admin.ListProjects(ctx, neonapi.ListProjectsOptions{})
			return err
		}},
	}
	for _, st := range steps {
		err := st.run()
		if (err != nil) != st.wantErr {
			t.Errorf("%s: err = %v, want error %v", st.name, err, st.wantErr)
		}
	}

	for _, f := range vt.failures {
		t.Error(f)
	}
	var missing []string
	for _, op := range contractOps {
		if len(vt.seen[op]) == 0 {
			missing = append(missing, op)
		}
	}
	if len(missing) > 0 {
		t.Errorf("operations never exercised: %v", missing)
	}
	var errorStatuses []int
	for _, statuses := range vt.seen {
		for s := range statuses {
			if s >= 400 {
				errorStatuses = append(errorStatuses, s)
			}
		}
	}
	sort.Ints(errorStatuses)
	for _, want := range []int{401, 403, 404, 409, 429, 500, 503} {
		if sort.SearchInts(errorStatuses, want) == len(errorStatuses) || errorStatuses[sort.SearchInts(errorStatuses, want)] != want {
			t.Errorf("no %d answer was validated (got %v)", want, errorStatuses)
		}
	}
}

// checkCatchesDrift proves the contract check can fail: requests and
// answers that break the OpenAPI file must be reported.
func checkCatchesDrift(t *testing.T, spec *neontest.Validator) {
	tests := []struct {
		name  string
		fault neontest.Fault
		call  func(c *neonapi.Client) error
	}{
		{"wrong type", neontest.Fault{Method: http.MethodGet, Path: "/auth", Status: http.StatusOK, Body: `{"account_id":5,"auth_method":"api_key_user"}`},
			func(c *neonapi.Client) error { _, err := c.GetAuthDetails(context.Background()); return err }},
		{"missing required field", neontest.Fault{Method: http.MethodPost, Path: "/api_keys", Status: http.StatusOK, Body: `{"id":1,"name":"x"}`},
			func(c *neonapi.Client) error { _, err := c.CreateAPIKey(context.Background(), "x"); return err }},
		{"error answer without a GeneralError body", neontest.Fault{Method: http.MethodGet, Path: "/auth", Status: http.StatusTeapot, EmptyBody: true},
			func(c *neonapi.Client) error { _, err := c.GetAuthDetails(context.Background()); return err }},
		{"undeclared answer field", neontest.Fault{Method: http.MethodGet, Path: "/users/me/organizations", Status: http.StatusOK, Body: `{"organizations":[],"surprise":1}`},
			func(c *neonapi.Client) error {
				_, err := c.GetCurrentUserOrganizations(context.Background())
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx := fakeAPI(t)
			vt := newValidatingTransport(spec)
			c := newClient(t, srv, fx.AdminToken, func(o *neonapi.Options) { o.HTTPClient = &http.Client{Transport: vt} })
			srv.Inject(tt.fault)
			_ = tt.call(c)
			if len(vt.failures) == 0 {
				t.Fatal("the contract check accepted an answer that breaks the OpenAPI file")
			}
		})
	}

	// Requests the client must never send, sent by hand through the same
	// transport: only strict validation catches these.
	requests := []struct {
		name, method, path, body string
	}{
		{"undeclared query parameter", http.MethodGet, "/api_keys?include_revoked=true", ""},
		{"undeclared body field", http.MethodPost, "/api_keys", `{"key_name":"x","expires_at":"2030-01-01T00:00:00Z"}`},
		{"body on a DELETE", http.MethodDelete, "/api_keys/1", `{"reason":"x"}`},
	}
	for _, tt := range requests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx := fakeAPI(t)
			vt := newValidatingTransport(spec)
			req, err := http.NewRequest(tt.method, srv.URL()+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+fx.AdminToken)
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := (&http.Client{Transport: vt}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var reqFailures int
			for _, f := range vt.failures {
				if strings.HasPrefix(f, "request:") {
					reqFailures++
				}
			}
			if reqFailures == 0 {
				t.Fatalf("the contract check accepted a request that breaks the OpenAPI file (failures: %q)", vt.failures)
			}
		})
	}
}
