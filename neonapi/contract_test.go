package neonapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// specServer is the server URL of Neon's OpenAPI file; validated requests
// are rewritten onto it so the router matches them.
const specServer = "https://console.neon.tech/api/v2"

// contractOps are the operations neonkeys calls (DESIGN.md).
var contractOps = []string{
	"createApiKey", "createOrgApiKey", "getAuthDetails", "getCurrentUserOrganizations", "getProject",
	"listApiKeys", "listOrgApiKeys", "listProjects", "revokeApiKey", "revokeOrgApiKey",
}

// loadContract parses Neon's OpenAPI file with kin-openapi, or skips the
// test when the file is not next to the repository.
func loadContract(t *testing.T) routers.Router {
	t.Helper()
	path, err := neontest.FindSpec()
	if err != nil {
		t.Skipf("skipping the OpenAPI contract test: Neon's OpenAPI file was not found "+
			"(looked for %s above the package directory): %v", neontest.SpecRelPath, err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	// Some patterns elsewhere in the file (e.g. `{0,99}` repeats) are beyond Go's
	// regexp; they belong to operations neonkeys never calls, so the document
	// check skips patterns. Patterns still apply when values are validated.
	router, err := legacy.NewRouter(doc, openapi3.DisableSchemaPatternValidation())
	if err != nil {
		t.Fatalf("routing %s: %v", path, err)
	}
	return router
}

// validatingTransport checks every request the client sends and every
// answer it gets against the OpenAPI file, as they cross the wire.
type validatingTransport struct {
	t      *testing.T
	router routers.Router
	base   string // the fake's base URL, replaced by specServer
	next   http.RoundTripper

	mu       sync.Mutex
	failures []string
	seen     map[string]map[int]bool // operationId → statuses seen
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
	v.check(req, reqBody, resp, respBody)
	return resp, nil
}

func (v *validatingTransport) check(sent *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	ctx := context.Background()
	u, err := url.Parse(specServer + strings.TrimPrefix(sent.URL.Path, v.base) + "?" + sent.URL.RawQuery)
	if err != nil {
		v.fail("rewriting %s: %v", sent.URL, err)
		return
	}
	req, _ := http.NewRequestWithContext(ctx, sent.Method, u.String(), bytes.NewReader(reqBody))
	req.Header = sent.Header.Clone()
	route, pathParams, err := v.router.FindRoute(req)
	if err != nil {
		v.fail("%s %s: no such operation in the OpenAPI file: %v", sent.Method, u.Path, err)
		return
	}
	op := route.Operation.OperationID
	opts := &openapi3filter.Options{
		MultiError:                        true,
		IncludeResponseStatus:             true,
		RejectWhenRequestBodyNotSpecified: true,
		SchemaValidationOptions:           []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()},
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if in.SecuritySchemeName != "BearerAuth" {
				return fmt.Errorf("neonkeys authenticates with BearerAuth only, not %s", in.SecuritySchemeName)
			}
			if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
				return errors.New("no Authorization: Bearer header")
			}
			return nil
		},
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		v.fail("%s request %s %s: %v", op, sent.Method, u.RequestURI(), err)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(respBody)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		v.fail("%s response %d to %s %s: %v\nbody: %s", op, resp.StatusCode, sent.Method, u.RequestURI(), err, respBody)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen[op] == nil {
		v.seen[op] = map[int]bool{}
	}
	v.seen[op][resp.StatusCode] = true
}

// TestContractAgainstOpenAPI checks the client and the fake against Neon's
// OpenAPI file with kin-openapi (parsed once: it is large).
func TestContractAgainstOpenAPI(t *testing.T) {
	router := loadContract(t)
	t.Run("every operation", func(t *testing.T) { checkEveryOperation(t, router) })
	t.Run("catches drift", func(t *testing.T) { checkCatchesDrift(t, router) })
}

// checkEveryOperation runs every client operation against the fake,
// successes and failures, and checks each request and answer.
func checkEveryOperation(t *testing.T, router routers.Router) {
	srv, fx := fakeAPI(t)
	for i := range 3 {
		srv.AddProject(fmt.Sprintf("shop-%d", i), fx.Org.ID)
	}
	srv.SetKeyLastUsed(fx.OrgKeyID, fixedNow, "192.0.2.7")
	base, _ := url.Parse(srv.URL())
	vt := &validatingTransport{t: t, router: router, base: base.Path, next: &http.Transport{}, seen: map[string]map[int]bool{}}
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

// checkCatchesDrift proves the contract check can fail: answers that break
// the OpenAPI file must be reported.
func checkCatchesDrift(t *testing.T, router routers.Router) {
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx := fakeAPI(t)
			base, _ := url.Parse(srv.URL())
			vt := &validatingTransport{t: t, router: router, base: base.Path, next: &http.Transport{}, seen: map[string]map[int]bool{}}
			c := newClient(t, srv, fx.AdminToken, func(o *neonapi.Options) { o.HTTPClient = &http.Client{Transport: vt} })
			srv.Inject(tt.fault)
			_ = tt.call(c)
			if len(vt.failures) == 0 {
				t.Fatal("the contract check accepted an answer that breaks the OpenAPI file")
			}
		})
	}
}
