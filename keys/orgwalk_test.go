package keys_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// orgKeyLists counts the organizations whose keys were listed. It counts
// distinct organizations, not requests: a walk cancelled once the key is
// found may have sent a list the fake records only after the lookup has
// returned (and after the next ResetRequests), and that straggler is for an
// organization the next walk lists too.
func orgKeyLists(srv *neontest.Server) int {
	seen := map[string]bool{}
	for _, r := range srv.Requests() {
		if r.Method == http.MethodGet && strings.HasPrefix(r.Path, "/organizations/") && strings.HasSuffix(r.Path, "/api_keys") {
			seen[r.Path] = true
		}
	}
	return len(seen)
}

// TestLocateSearchesABoundedNumberOfOrganizations: an API that lists 200
// organizations costs one lookup at most MaxOrgsSearched key lists, not 200;
// a key in an organization past the bound is not found, and the answer says
// why and what to pass instead.
func TestLocateSearchesABoundedNumberOfOrganizations(t *testing.T) {
	srv, fx, svc := setup(t)
	var orgs []*neontest.Org
	for i := range 200 {
		orgs = append(orgs, srv.AddOrg(fmt.Sprintf("many-%d", i), fx.Admin.ID))
	}
	_, inReach := srv.AddOrgKey(orgs[10].ID, "in-reach", "")
	_, pastBound := srv.AddOrgKey(orgs[150].ID, "past-bound", "")
	s := svc("")

	srv.ResetRequests()
	k, err := s.Locate(context.Background(), inReach, "")
	if err != nil || k.OrgID != orgs[10].ID {
		t.Fatalf("found %+v, err = %v", k, err)
	}
	if n := orgKeyLists(srv); n > keys.MaxOrgsSearched {
		t.Errorf("listed the keys of %d organizations, want at most %d", n, keys.MaxOrgsSearched)
	}

	for _, id := range []int64{pastBound, 424242} {
		srv.ResetRequests()
		_, err = s.Locate(context.Background(), id, "")
		var nf *keys.NotFoundError
		if !errors.As(err, &nf) || nf.Unsearched != 201-keys.MaxOrgsSearched {
			t.Fatalf("err = %v (%+v), want *NotFoundError with %d organizations not searched", err, nf, 201-keys.MaxOrgsSearched)
		}
		if n := orgKeyLists(srv); n != keys.MaxOrgsSearched {
			t.Errorf("listed the keys of %d organizations, want %d", n, keys.MaxOrgsSearched)
		}
		msg := keys.Explain(keys.OpRevoke, err, keys.Words{OrgID: "--org-id"})
		want := fmt.Sprintf("you belong to more than %d organizations", keys.MaxOrgsSearched)
		if !strings.Contains(msg, want) || !strings.Contains(msg, "pass --org-id") {
			t.Errorf("message %q lacks %q and the advice to pass --org-id", msg, want)
		}
	}
	if _, err := s.Locate(context.Background(), pastBound, orgs[150].ID); err != nil {
		t.Fatalf("with its organization named, the key is found: %v", err)
	}
}

// TestLocateSearchOfOrganizationsHasOneDeadline: organizations whose key
// lists never answer hold a lookup only until the search's own deadline,
// with at most projectSearchers (4) lists in flight; the answer says the
// search did not finish.
func TestLocateSearchOfOrganizationsHasOneDeadline(t *testing.T) {
	srv, fx, svc := setup(t)
	for i := range 20 {
		srv.AddOrg(fmt.Sprintf("slow-%d", i), fx.Admin.ID)
	}
	s := svc("")
	keys.SetOrgWalkTimeout(s, 200*time.Millisecond)
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/organizations/", Hang: true, Count: 100})
	_, err := s.Locate(context.Background(), 424242, "")
	var nf *keys.NotFoundError
	if !errors.As(err, &nf) || nf.Unsearched == 0 || !strings.Contains(nf.Why, "did not finish") {
		t.Fatalf("err = %v (%+v), want *NotFoundError saying the search did not finish", err, nf)
	}
	if n := orgKeyLists(srv); n > 4 {
		t.Errorf("%d key lists were sent, want at most 4 in flight and none after the deadline", n)
	}
}
