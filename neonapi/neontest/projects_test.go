package neontest

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
)

type projectsPage struct {
	Projects []struct {
		ID      string  `json:"id"`
		Name    string  `json:"name"`
		OrgID   *string `json:"org_id"`
		OrgName string  `json:"org_name"`
	} `json:"projects"`
	Pagination *struct {
		Cursor string `json:"cursor"`
	} `json:"pagination"`
	Applications map[string][]string `json:"applications"`
	Integrations map[string][]string `json:"integrations"`
}

func (p projectsPage) names() []string {
	var out []string
	for _, pr := range p.Projects {
		out = append(out, pr.Name)
	}
	return out
}

// listAll walks every page as a client should: follow the cursor, stop on
// an empty page or a missing cursor.
func listAll(t *testing.T, srv *Server, token string, q url.Values) (names []string, requests int) {
	t.Helper()
	for {
		requests++
		if requests > 100 {
			t.Fatalf("pagination does not end")
		}
		r := do(t, srv, "GET", "/projects?"+q.Encode(), token, "")
		wantStatus(t, r, 200)
		page := decode[projectsPage](t, r)
		if page.Applications == nil || page.Integrations == nil {
			t.Fatalf("applications/integrations missing: %s", r.Body)
		}
		names = append(names, page.names()...)
		if len(page.Projects) == 0 || page.Pagination == nil || page.Pagination.Cursor == "" {
			return names, requests
		}
		q.Set("cursor", page.Pagination.Cursor)
	}
}

func TestListProjectsPagination(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()
	var want []string
	want = append(want, "shop")
	for i := range 24 {
		name := fmt.Sprintf("svc-%02d", i)
		srv.AddProject(name, fx.Org.ID)
		want = append(want, name)
	}
	q := url.Values{"org_id": {fx.Org.ID}, "limit": {"7"}}
	got, n := listAll(t, srv, fx.AdminToken, q)
	if !slices.Equal(got, want) {
		t.Fatalf("projects %v, want %v", got, want)
	}
	if n != 5 { // 25 projects: pages of 7, 7, 7, 4, then an empty page
		t.Errorf("%d requests, want 5", n)
	}
	// Default limit is 10.
	page := decode[projectsPage](t, do(t, srv, "GET", "/projects?org_id="+fx.Org.ID, fx.AdminToken, ""))
	if len(page.Projects) != 10 {
		t.Errorf("default page has %d projects, want 10", len(page.Projects))
	}
	// Search narrows the listing across pages; it matches names and ids.
	got, _ = listAll(t, srv, fx.AdminToken, url.Values{"org_id": {fx.Org.ID}, "limit": {"2"}, "search": {"SVC-1"}})
	if !slices.Equal(got, []string{"svc-10", "svc-11", "svc-12", "svc-13", "svc-14", "svc-15", "svc-16", "svc-17", "svc-18", "svc-19"}) {
		t.Errorf("search: %v", got)
	}
	got, _ = listAll(t, srv, fx.AdminToken, url.Values{"org_id": {fx.Org.ID}, "search": {fx.OrgProject.ID[3:]}})
	if !slices.Contains(got, "shop") {
		t.Errorf("search by partial id %q: %v", fx.OrgProject.ID[3:], got)
	}
}

func TestListProjectsScopes(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()
	outsider := srv.AddUser("Eve")
	outsiderTok, _ := srv.AddPersonalKey(outsider.ID, "eve")

	tests := []struct {
		name, token, query string
		want               []string
	}{
		{"personal key without org_id: personal projects", fx.AdminToken, "", []string{"hobby"}},
		{"member without personal projects", fx.MemberToken, "", nil},
		{"personal key with org_id", fx.AdminToken, "org_id=" + fx.Org.ID, []string{"shop"}},
		{"non-admin member with org_id", fx.MemberToken, "org_id=" + fx.Org.ID, []string{"shop"}},
		{"org key", fx.OrgKeyToken, "", []string{"shop"}},
		{"org key with its org_id", fx.OrgKeyToken, "org_id=" + fx.Org.ID, []string{"shop"}},
		{"project key", fx.ProjectKeyToken, "", []string{"shop"}},
	}
	srv.AddProject("warehouse", srv.AddOrg("Other", outsider.ID).ID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := decode[projectsPage](t, do(t, srv, "GET", "/projects?"+tt.query, tt.token, ""))
			if !slices.Equal(page.names(), tt.want) {
				t.Errorf("projects %v, want %v", page.names(), tt.want)
			}
			for _, p := range page.Projects {
				if p.Name == "shop" && (p.OrgID == nil || *p.OrgID != fx.Org.ID || p.OrgName != "Acme") {
					t.Errorf("shop: org_id %v org_name %q", p.OrgID, p.OrgName)
				}
				if p.Name == "hobby" && p.OrgID != nil {
					t.Errorf("hobby has org_id %q", *p.OrgID)
				}
			}
		})
	}

	errs := []struct {
		name, token, query string
		status             int
		msg                string
	}{
		{"limit 0", fx.AdminToken, "limit=0", 400, "limit"},
		{"limit 401", fx.AdminToken, "limit=401", 400, "limit"},
		{"limit not a number", fx.AdminToken, "limit=ten", 400, "limit"},
		{"bad cursor", fx.AdminToken, "cursor=nope", 400, "cursor"},
		{"bad org_id", fx.AdminToken, "org_id=Not_Valid", 400, "org_id"},
		{"non-member org_id", outsiderTok, "org_id=" + fx.Org.ID, 403, "not an organization member"},
		{"org key, other org", fx.OrgKeyToken, "org_id=org-other-00000000", 403, "not an organization member"},
		{"no token", "", "", 401, "authentication failed"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, do(t, srv, "GET", "/projects?"+tt.query, tt.token, ""), tt.status, tt.msg)
		})
	}
	wantStatus(t, do(t, srv, "GET", "/projects?limit=400", fx.AdminToken, ""), 200)
	wantStatus(t, do(t, srv, "GET", "/projects?limit=1", fx.AdminToken, ""), 200)
}

func TestListProjectsOrgIDRequired(t *testing.T) {
	srv := New(t, WithOrgIDRequired())
	fx := srv.Seed()
	wantStatus(t, do(t, srv, "GET", "/projects", fx.AdminToken, ""), 200) // one org only
	srv.AddOrg("Second", fx.Admin.ID)
	wantError(t, do(t, srv, "GET", "/projects", fx.AdminToken, ""), 400, "org_id is required")
	wantStatus(t, do(t, srv, "GET", "/projects?org_id="+fx.Org.ID, fx.AdminToken, ""), 200)
}

func TestGetProject(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()
	outsider := srv.AddUser("Eve")
	outsiderTok, _ := srv.AddPersonalKey(outsider.ID, "eve")
	other := srv.AddProject("elsewhere", srv.AddOrg("Other", outsider.ID).ID)
	// A second project in Acme, invisible to the shop-scoped key.
	second := srv.AddProject("second", fx.Org.ID)

	type projectResp struct {
		Project map[string]any `json:"project"`
	}
	tests := []struct {
		name, token, id string
		status          int
		orgID           string // "" = no org_id field
	}{
		{"admin, org project", fx.AdminToken, fx.OrgProject.ID, 200, fx.Org.ID},
		{"admin, personal project", fx.AdminToken, fx.PersonalProject.ID, 200, ""},
		{"member, org project", fx.MemberToken, fx.OrgProject.ID, 200, fx.Org.ID},
		{"member, admin's personal project", fx.MemberToken, fx.PersonalProject.ID, 404, ""},
		{"org key, org project", fx.OrgKeyToken, second.ID, 200, fx.Org.ID},
		{"org key, personal project", fx.OrgKeyToken, fx.PersonalProject.ID, 404, ""},
		{"project key, its project", fx.ProjectKeyToken, fx.OrgProject.ID, 200, fx.Org.ID},
		{"project key, sibling project", fx.ProjectKeyToken, second.ID, 404, ""},
		{"outsider", outsiderTok, fx.OrgProject.ID, 404, ""},
		{"outsider, own project", outsiderTok, other.ID, 200, other.OrgID},
		{"unknown", fx.AdminToken, "no-such-project", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, "GET", "/projects/"+tt.id, tt.token, "")
			if tt.status != 200 {
				wantError(t, r, tt.status, "project not found")
				return
			}
			wantStatus(t, r, 200)
			p := decode[projectResp](t, r).Project
			if p["id"] != tt.id {
				t.Errorf("id %v", p["id"])
			}
			got, has := p["org_id"]
			if (tt.orgID == "") == has || (has && got != tt.orgID) {
				t.Errorf("org_id %v (present %v), want %q", got, has, tt.orgID)
			}
		})
	}
}

func TestAuthUsersOrgs(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()
	type auth struct {
		AccountID  string `json:"account_id"`
		AuthMethod string `json:"auth_method"`
	}
	for _, tt := range []struct {
		token, account, method string
	}{
		{fx.AdminToken, fx.Admin.ID, "api_key_user"},
		{fx.OrgKeyToken, fx.Org.ID, "api_key_org"},
		{fx.ProjectKeyToken, fx.Org.ID, "api_key_org"},
	} {
		a := decode[auth](t, do(t, srv, "GET", "/auth", tt.token, ""))
		if a.AccountID != tt.account || a.AuthMethod != tt.method {
			t.Errorf("auth %+v, want %s %s", a, tt.account, tt.method)
		}
	}

	type orgs struct {
		Organizations []struct {
			ID, Name, Handle, Plan, ManagedBy string
		} `json:"organizations"`
	}
	second := srv.AddOrg("Second", fx.Member.ID)
	for _, tt := range []struct {
		token string
		want  []string
	}{
		{fx.AdminToken, []string{fx.Org.ID}},
		{fx.MemberToken, []string{fx.Org.ID, second.ID}},
		{fx.OrgKeyToken, []string{fx.Org.ID}},
		{fx.ProjectKeyToken, []string{fx.Org.ID}},
	} {
		o := decode[orgs](t, do(t, srv, "GET", "/users/me/organizations", tt.token, ""))
		var ids []string
		for _, org := range o.Organizations {
			ids = append(ids, org.ID)
		}
		if !slices.Equal(ids, tt.want) {
			t.Errorf("organizations %v, want %v", ids, tt.want)
		}
	}

	type me struct {
		ID       string `json:"id"`
		Email    string `json:"email"`
		Name     string `json:"name"`
		LastName string `json:"last_name"`
	}
	m := decode[me](t, do(t, srv, "GET", "/users/me", fx.AdminToken, ""))
	if m.ID != fx.Admin.ID || m.Name != "Ada" || m.LastName != "Lovelace" || m.Email != "ada.lovelace@example.com" {
		t.Errorf("users/me %+v", m)
	}
	wantError(t, do(t, srv, "GET", "/users/me", fx.OrgKeyToken, ""), 404, "not allowed for organization API keys")
}
