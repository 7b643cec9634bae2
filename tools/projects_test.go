package tools_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// "project shop" → list_projects {search: "shop"} finds the organization's
// project without org_id, and says where it was found.
func TestListProjectsSearchesEveryOrganization(t *testing.T) {
	e := newEnv(t)
	other := e.fake.AddOrg("Other", e.fx.Admin.ID)
	shop2 := e.fake.AddProject("shop-eu", other.ID)
	c := e.client()
	res := e.call(c, "list_projects", `{"search":"shop"}`)
	validateOutput(t, e, "list_projects", res)
	sc := structuredMap(t, res)
	projects, _ := sc["projects"].([]any)
	got := map[string]any{}
	for _, p := range projects {
		m := p.(map[string]any)
		got[m["id"].(string)] = m["org_id"]
	}
	want := map[string]any{e.fx.OrgProject.ID: e.fx.Org.ID, shop2.ID: other.ID}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("projects %v, want %v (id → org_id)\n%s", got, want, text(res))
	}
	for _, line := range []string{
		fmt.Sprintf("%s \"shop\" (organization %s)", e.fx.OrgProject.ID, e.fx.Org.ID),
		fmt.Sprintf("%s \"shop-eu\" (organization %s)", shop2.ID, other.ID),
		"2 projects found in your personal projects and 2 organizations",
	} {
		if !strings.Contains(text(res), line) {
			t.Errorf("text lacks %q:\n%s", line, text(res))
		}
	}
	// The limit holds across places: one project, and more are said to match.
	sc = structuredMap(t, e.call(c, "list_projects", `{"search":"shop","limit":1}`))
	if sc["returned"] != float64(1) || sc["truncated"] != true {
		t.Fatalf("limit 1: returned %v, truncated %v", sc["returned"], sc["truncated"])
	}
}

// A place that cannot be searched (Neon asks some accounts for org_id when
// listing personal projects) is named, and the others still answer.
func TestListProjectsSaysWhereItCouldNotSearch(t *testing.T) {
	fake := neontest.New(t, neontest.WithOrgIDRequired())
	fx := fake.Seed()
	fake.AddOrg("Other", fx.Admin.ID)
	e := newEnv(t)
	e.fake, e.fx = fake, fx
	useCredential(t, e, fx.AdminToken)
	res := e.call(e.client(), "list_projects", `{"search":"shop"}`)
	if res.IsError {
		t.Fatalf("list_projects failed: %s", text(res))
	}
	sc := structuredMap(t, res)
	if sc["returned"] != float64(1) || !strings.Contains(fmt.Sprint(sc["not_searched"]), "personal projects") {
		t.Fatalf("got %v", sc)
	}
	if !strings.Contains(text(res), "could not search personal projects") {
		t.Fatalf("text lacks the place not searched:\n%s", text(res))
	}
}
