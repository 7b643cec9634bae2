package neonapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

var fixedNow = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

func fixedClock() time.Time { return fixedNow }

func TestListAPIKeysDecodesItems(t *testing.T) {
	srv, fx := fakeAPI(t, neontest.WithClock(fixedClock))
	_, spareID := srv.AddPersonalKey(fx.Admin.ID, "spare")
	c := newClient(t, srv, fx.AdminToken)

	keys, err := c.ListAPIKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]neonapi.APIKey{}
	for _, k := range keys {
		byID[k.ID] = k
	}
	if len(keys) != 2 {
		t.Fatalf("got %d keys, want the admin's 2: %+v", len(keys), keys)
	}
	laptop, spare := byID[fx.AdminKeyID], byID[spareID]
	if laptop.Name != "laptop" || spare.Name != "spare" {
		t.Fatalf("names %q, %q", laptop.Name, spare.Name)
	}
	// created_by is an object in list items.
	if laptop.CreatedBy.ID != fx.Admin.ID || laptop.CreatedBy.Name != "Ada Lovelace" {
		t.Fatalf("created_by = %+v", laptop.CreatedBy)
	}
	if !laptop.CreatedAt.Equal(fixedNow) {
		t.Fatalf("created_at = %v", laptop.CreatedAt)
	}
	// The key that made the call was just used; the spare never was (null).
	if laptop.LastUsedAt == nil || !laptop.LastUsedAt.Equal(fixedNow) || laptop.LastUsedFromAddr == "" {
		t.Fatalf("laptop last use = %v from %q", laptop.LastUsedAt, laptop.LastUsedFromAddr)
	}
	if spare.LastUsedAt != nil {
		t.Fatalf("spare last_used_at = %v, want nil (null)", spare.LastUsedAt)
	}
	if laptop.ProjectID != "" {
		t.Fatalf("personal key with project_id %q", laptop.ProjectID)
	}
}

func TestListOrgAPIKeysCarriesProjectID(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	keys, err := c.ListOrgAPIKeys(context.Background(), fx.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range keys {
		got[k.Name] = k.ProjectID
		if k.CreatedBy.ID != fx.Admin.ID {
			t.Errorf("key %s created_by %+v", k.Name, k.CreatedBy)
		}
	}
	want := map[string]string{"ci": "", "shop-deploy": fx.OrgProject.ID}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("org keys %v, want %v", got, want)
	}
	if reqs := srv.Requests(); reqs[len(reqs)-1].Path != "/organizations/"+fx.Org.ID+"/api_keys" {
		t.Fatalf("path %q", reqs[len(reqs)-1].Path)
	}
}

func TestCreateAndRevokePersonalKey(t *testing.T) {
	srv, fx := fakeAPI(t, neontest.WithClock(fixedClock))
	c := newClient(t, srv, fx.AdminToken)
	ctx := context.Background()

	created, err := c.CreateAPIKey(ctx, "deploy")
	if err != nil {
		t.Fatal(err)
	}
	// created_by is the user id string here, not an object.
	if created.Name != "deploy" || created.CreatedBy != fx.Admin.ID || !created.CreatedAt.Equal(fixedNow) {
		t.Fatalf("created = %+v", created)
	}
	if !strings.HasPrefix(created.Key, "napi_") || !srv.TokenValid(created.Key) {
		t.Fatalf("created key %q is not a live token", created.Key)
	}
	post := srv.Mutations()[0]
	if post.Method != http.MethodPost || post.Path != "/api_keys" || string(post.Body) != `{"key_name":"deploy"}` {
		t.Fatalf("sent %s %s %s", post.Method, post.Path, post.Body)
	}
	if ct := post.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}

	revoked, err := c.RevokeAPIKey(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !revoked.Revoked || revoked.ID != created.ID || revoked.Name != "deploy" || revoked.CreatedBy != fx.Admin.ID {
		t.Fatalf("revoked = %+v", revoked)
	}
	if revoked.LastUsedAt != nil {
		t.Fatalf("a never used key has last_used_at %v", revoked.LastUsedAt)
	}
	if srv.TokenValid(created.Key) {
		t.Fatal("the revoked token still authenticates")
	}
	if del := srv.Mutations()[1]; del.Method != http.MethodDelete || del.Path != fmt.Sprintf("/api_keys/%d", created.ID) {
		t.Fatalf("sent %s %s", del.Method, del.Path)
	}
}

func TestCreateAndRevokeOrgKeys(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	ctx := context.Background()
	tests := []struct {
		name, projectID, wantBody string
	}{
		{"org-wide", "", `{"key_name":"org-wide"}`},
		{"project-scoped", fx.OrgProject.ID, `{"key_name":"project-scoped","project_id":"` + fx.OrgProject.ID + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetRequests()
			created, err := c.CreateOrgAPIKey(ctx, fx.Org.ID, neonapi.CreateOrgAPIKeyRequest{KeyName: tt.name, ProjectID: tt.projectID})
			if err != nil {
				t.Fatal(err)
			}
			if created.ProjectID != tt.projectID || created.CreatedBy != fx.Admin.ID || !srv.TokenValid(created.Key) {
				t.Fatalf("created = %+v", created)
			}
			info, _ := srv.Key(created.ID)
			if info.OrgID != fx.Org.ID || info.ProjectID != tt.projectID || info.UserID != "" {
				t.Fatalf("stored key %+v", info)
			}
			if body := string(srv.Mutations()[0].Body); body != tt.wantBody {
				t.Fatalf("body %s, want %s", body, tt.wantBody)
			}
			revoked, err := c.RevokeOrgAPIKey(ctx, fx.Org.ID, created.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !revoked.Revoked || revoked.ProjectID != tt.projectID || srv.TokenValid(created.Key) {
				t.Fatalf("revoked = %+v, token valid %v", revoked, srv.TokenValid(created.Key))
			}
			wantPath := fmt.Sprintf("/organizations/%s/api_keys/%d", fx.Org.ID, created.ID)
			if p := srv.Mutations()[1].Path; p != wantPath {
				t.Fatalf("DELETE %s, want %s", p, wantPath)
			}
		})
	}
}

func TestGetProject(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	tests := []struct {
		name      string
		project   *neontest.Project
		wantOrgID string
	}{
		{"org project", fx.OrgProject, fx.Org.ID},
		{"personal project", fx.PersonalProject, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.GetProject(context.Background(), tt.project.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p.ID != tt.project.ID || p.Name != tt.project.Name || p.OrgID != tt.wantOrgID || p.RegionID == "" || p.CreatedAt.IsZero() {
				t.Fatalf("project = %+v", p)
			}
		})
	}
	_, err := c.GetProject(context.Background(), "no-such-project-1")
	if !neonapi.IsNotFound(err) {
		t.Fatalf("unknown project: err = %v, want 404", err)
	}
}

func TestListProjectsFollowsCursor(t *testing.T) {
	srv, fx := fakeAPI(t)
	for i := range 4 {
		srv.AddProject(fmt.Sprintf("extra-%d", i), fx.Org.ID)
	}
	c := newClient(t, srv, fx.AdminToken)
	srv.ResetRequests()

	projects, err := c.ListProjects(context.Background(), neonapi.ListProjectsOptions{OrgID: fx.Org.ID, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(projects) != 5 {
		t.Fatalf("got %d projects, want 5 (shop + 4)", len(projects))
	}
	seen := map[string]bool{}
	for _, p := range projects {
		if seen[p.ID] {
			t.Fatalf("project %s listed twice", p.ID)
		}
		seen[p.ID] = true
		if p.OrgID != fx.Org.ID {
			t.Fatalf("project %+v outside the org", p)
		}
	}
	// Pages of 2, 2, 1, then an empty page ends the walk.
	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	for i, r := range reqs {
		q, _ := url.ParseQuery(r.RawQuery)
		if q.Get("limit") != "2" || q.Get("org_id") != fx.Org.ID {
			t.Fatalf("request %d query %q", i, r.RawQuery)
		}
		if (i == 0) != (q.Get("cursor") == "") {
			t.Fatalf("request %d cursor %q", i, q.Get("cursor"))
		}
	}
}

func TestListProjectsStops(t *testing.T) {
	page := func(cursor string) string {
		p := `{"projects":[{"id":"p-1","name":"one","region_id":"aws-us-east-2","created_at":"2025-01-01T00:00:00Z"}]`
		if cursor != "" {
			p += `,"pagination":{"cursor":"` + cursor + `"}`
		}
		return p + `}`
	}
	tests := []struct {
		name     string
		pages    []string // answered in order
		opts     neonapi.ListProjectsOptions
		wantReqs int
		wantLen  int
	}{
		{"no pagination object", []string{page("")}, neonapi.ListProjectsOptions{}, 1, 1},
		{"empty cursor", []string{`{"projects":[{"id":"p-1"}],"pagination":{"cursor":""}}`}, neonapi.ListProjectsOptions{}, 1, 1},
		{"same cursor twice", []string{page("c-1"), page("c-1"), page("c-2")}, neonapi.ListProjectsOptions{}, 2, 2},
		// A, B, then A again: already followed, so the walk ends instead of looping.
		{"alternating cursors", []string{page("c-a"), page("c-b"), page("c-a"), page("c-b"), page("c-a"), page("c-b")}, neonapi.ListProjectsOptions{}, 3, 3},
		{"empty page with a cursor", []string{`{"projects":[],"pagination":{"cursor":"c-1"}}`}, neonapi.ListProjectsOptions{}, 1, 0},
		{"max items", []string{page("c-1"), page("c-2"), page("c-3"), page("c-4")}, neonapi.ListProjectsOptions{MaxItems: 3}, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx := fakeAPI(t)
			c := newClient(t, srv, fx.AdminToken)
			for _, body := range tt.pages {
				srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/projects", Status: http.StatusOK, Body: body})
			}
			got, err := c.ListProjects(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.wantLen {
				t.Fatalf("%d projects, want %d", len(got), tt.wantLen)
			}
			if n := len(srv.Requests()); n != tt.wantReqs {
				t.Fatalf("%d requests, want %d", n, tt.wantReqs)
			}
		})
	}
}

func TestListProjectsMaxItemsAgainstFake(t *testing.T) {
	srv, fx := fakeAPI(t)
	for i := range 6 {
		srv.AddProject(fmt.Sprintf("p%d", i), fx.Org.ID)
	}
	c := newClient(t, srv, fx.AdminToken)
	srv.ResetRequests()
	got, err := c.ListProjects(context.Background(), neonapi.ListProjectsOptions{OrgID: fx.Org.ID, PageSize: 2, MaxItems: 3, Search: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d projects, want 3", len(got))
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2: MaxItems must stop the walk", len(reqs))
	}
	if q, _ := url.ParseQuery(reqs[0].RawQuery); q.Get("search") != "p" {
		t.Fatalf("query %q lacks search", reqs[0].RawQuery)
	}
}

func TestListProjectsDefaultPageSize(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	for _, size := range []int{0, -1, 401} {
		srv.ResetRequests()
		if _, err := c.ListProjects(context.Background(), neonapi.ListProjectsOptions{PageSize: size}); err != nil {
			t.Fatal(err)
		}
		if q, _ := url.ParseQuery(srv.Requests()[0].RawQuery); q.Get("limit") != "100" {
			t.Fatalf("PageSize %d sent limit %q, want 100", size, q.Get("limit"))
		}
	}
}

func TestGetAuthDetails(t *testing.T) {
	srv, fx := fakeAPI(t)
	tests := []struct {
		name, token, account, method string
	}{
		{"personal key", fx.AdminToken, fx.Admin.ID, neonapi.AuthMethodPersonalKey},
		{"org key", fx.OrgKeyToken, fx.Org.ID, neonapi.AuthMethodOrgKey},
		{"project key", fx.ProjectKeyToken, fx.Org.ID, neonapi.AuthMethodOrgKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := newClient(t, srv, tt.token).GetAuthDetails(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if d.AccountID != tt.account || d.AuthMethod != tt.method {
				t.Fatalf("auth = %+v", d)
			}
		})
	}
}

func TestGetCurrentUserOrganizations(t *testing.T) {
	srv, fx := fakeAPI(t)
	other := srv.AddOrg("Other", fx.Admin.ID)
	orgs, err := newClient(t, srv, fx.AdminToken).GetCurrentUserOrganizations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 2 || orgs[0].ID != fx.Org.ID || orgs[1].ID != other.ID || orgs[0].Name != "Acme" || orgs[0].CreatedAt.IsZero() {
		t.Fatalf("orgs = %+v", orgs)
	}
	// An organization key sees its own organization only.
	orgs, err = newClient(t, srv, fx.OrgKeyToken).GetCurrentUserOrganizations(context.Background())
	if err != nil || len(orgs) != 1 || orgs[0].ID != fx.Org.ID {
		t.Fatalf("org key: orgs = %+v, err %v", orgs, err)
	}
}

func TestRequestHeaders(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	ctx := context.Background()
	if _, err := c.ListAPIKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetAuthDetails(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAPIKey(ctx, "hdr"); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range srv.Requests() {
		h := r.Header
		if got := h.Get("Authorization"); got != "Bearer "+fx.AdminToken {
			t.Errorf("%s %s: Authorization %q", r.Method, r.Path, got)
		}
		if got := h.Get("Accept"); got != "application/json" {
			t.Errorf("%s %s: Accept %q", r.Method, r.Path, got)
		}
		if got := h.Get("User-Agent"); got != testUserAgent {
			t.Errorf("%s %s: User-Agent %q", r.Method, r.Path, got)
		}
		id := h.Get("X-Request-ID")
		if len(id) < 16 || ids[id] {
			t.Errorf("%s %s: X-Request-ID %q missing or reused", r.Method, r.Path, id)
		}
		ids[id] = true
	}
}

func TestDefaultUserAgentAndNoToken(t *testing.T) {
	srv, _ := fakeAPI(t)
	c := newClient(t, srv, "", func(o *neonapi.Options) { o.UserAgent = "" })
	_, err := c.ListAPIKeys(context.Background())
	if !neonapi.IsUnauthorized(err) {
		t.Fatalf("err = %v, want 401 without a token", err)
	}
	r := srv.Requests()[0]
	if ua := r.Header.Get("User-Agent"); !regexp.MustCompile(`^neonkeys/\S+$`).MatchString(ua) {
		t.Fatalf("User-Agent %q, want neonkeys/<version>", ua)
	}
	if _, sent := r.Header["Authorization"]; sent {
		t.Fatal("an empty token must not send an Authorization header")
	}
}

func TestRetryRequestIDsDiffer(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/auth", Status: http.StatusServiceUnavailable})
	if _, err := c.GetAuthDetails(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Header.Get("X-Request-ID") == reqs[1].Header.Get("X-Request-ID") {
		t.Fatalf("a retry must carry a new X-Request-ID: %d requests", len(reqs))
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	for _, raw := range []string{"ftp://example.test/api/v2", "example.test/api/v2", "http://", "http://%zz", "javascript:alert(1)"} {
		if _, err := neonapi.New(neonapi.Options{Token: "napi_x", BaseURL: raw}); err == nil {
			t.Errorf("New accepted base URL %q", raw)
		}
	}
	c, err := neonapi.New(neonapi.Options{BaseURL: "http://127.0.0.1:9/api/v2/"})
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != "http://127.0.0.1:9/api/v2" {
		t.Fatalf("BaseURL %q: the trailing slash must go", c.BaseURL())
	}
	c, err = neonapi.New(neonapi.Options{})
	if err != nil || c.BaseURL() != neonapi.DefaultBaseURL {
		t.Fatalf("default base URL: %v, %v", c, err)
	}
}

func TestInvalidIDsSendNothing(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	ctx := context.Background()
	bad := []string{"", "../api_keys", "ORG-UPPER", "a b", "org/x", "x?y=1", "%2e%2e", strings.Repeat("a", 61), "evil\x1b[2J"}
	for _, id := range bad {
		calls := map[string]func() error{
			"ListOrgAPIKeys": func() error { _, err := c.ListOrgAPIKeys(ctx, id); return err },
			"CreateOrgAPIKey": func() error {
				_, err := c.CreateOrgAPIKey(ctx, id, neonapi.CreateOrgAPIKeyRequest{KeyName: "k"})
				return err
			},
			"CreateOrgAPIKey project": func() error {
				if id == "" {
					return fmt.Errorf("skip: empty project id means org-wide")
				}
				_, err := c.CreateOrgAPIKey(ctx, fx.Org.ID, neonapi.CreateOrgAPIKeyRequest{KeyName: "k", ProjectID: id})
				return err
			},
			"RevokeOrgAPIKey": func() error { _, err := c.RevokeOrgAPIKey(ctx, id, 1); return err },
			"GetProject":      func() error { _, err := c.GetProject(ctx, id); return err },
			"ListProjects": func() error {
				if id == "" {
					return fmt.Errorf("skip: empty org id means no filter")
				}
				_, err := c.ListProjects(ctx, neonapi.ListProjectsOptions{OrgID: id})
				return err
			},
		}
		for name, call := range calls {
			err := call()
			if err == nil {
				t.Errorf("%s(%q) succeeded", name, id)
				continue
			}
			if strings.ContainsRune(err.Error(), '\x1b') {
				t.Errorf("%s(%q): error text holds a control character: %q", name, id, err)
			}
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent for invalid ids, want none", n)
	}
}

func TestInvalidKeyIDsSendNothing(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	ctx := context.Background()
	for _, id := range []int64{0, -1, -1 << 63} {
		calls := map[string]func() error{
			"RevokeAPIKey":    func() error { _, err := c.RevokeAPIKey(ctx, id); return err },
			"RevokeOrgAPIKey": func() error { _, err := c.RevokeOrgAPIKey(ctx, fx.Org.ID, id); return err },
		}
		for name, call := range calls {
			err := call()
			if err == nil || !strings.Contains(err.Error(), "invalid key id") {
				t.Errorf("%s(%d): err = %v, want an invalid key id error", name, id, err)
			}
			if neonapi.StatusOf(err) != 0 {
				t.Errorf("%s(%d): got an API answer, want a local refusal", name, id)
			}
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent for invalid key ids, want none", n)
	}
}
