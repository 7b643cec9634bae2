package neonapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestListOrgMembersFollowsPages: an organization larger than one page
// (500 members) is read whole, each member once, and a deactivated
// account says so.
func TestListOrgMembersFollowsPages(t *testing.T) {
	srv, fx := fakeAPI(t)
	added := srv.AddOrgMembers(fx.Org.ID, 1100)
	gone := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv.DeactivateUser(added[700], gone)
	c := newClient(t, srv, fx.AdminToken)

	members, err := c.ListOrgMembers(context.Background(), fx.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1102; len(members) != want { // the fixture's admin and member, and 1,100 more
		t.Fatalf("%d members, want %d", len(members), want)
	}
	seen := map[string]bool{}
	for _, m := range members {
		if seen[m.Member.UserID] {
			t.Fatalf("member %s listed twice", m.Member.UserID)
		}
		seen[m.Member.UserID] = true
		deactivated := m.User.DeactivatedAt != nil
		if want := m.Member.UserID == added[700]; deactivated != want {
			t.Errorf("member %s: deactivated %v, want %v", m.Member.UserID, deactivated, want)
		}
	}
	pages := 0
	for _, r := range srv.Requests() {
		if r.Path == "/organizations/"+fx.Org.ID+"/members" {
			pages++
		}
	}
	if n := pages; n != 3 {
		t.Errorf("%d requests, want 3 pages of at most 500", n)
	}
}

// TestListOrgMembersStopsOnACursorCycle: a server that hands back a cursor
// already followed does not keep the walk going.
func TestListOrgMembersStopsOnACursorCycle(t *testing.T) {
	srv, fx := fakeAPI(t)
	page := `{"members":[{"member":{"id":"m1","user_id":"u1","org_id":"` + fx.Org.ID + `","role":"admin"},"user":{"email":"a@example.com"}}],"pagination":{"next":"same"}}`
	for range 3 {
		srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/organizations/" + fx.Org.ID + "/members", Status: http.StatusOK, Body: page})
	}
	members, err := newClient(t, srv, fx.AdminToken).ListOrgMembers(context.Background(), fx.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 {
		t.Fatalf("%d members, want 2 (two pages, then the repeated cursor ends the walk)", len(members))
	}
}
