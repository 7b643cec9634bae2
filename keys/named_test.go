package keys_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestNamedIDs: the live keys of exactly one scope bearing exactly one
// name, sorted; a failed listing is an error, never an empty world.
func TestNamedIDs(t *testing.T) {
	srv, fx, svc := setup(t)
	_, laptop2 := srv.AddPersonalKey(fx.Admin.ID, "laptop")
	_, ciProject := srv.AddOrgKey(fx.Org.ID, "ci", fx.OrgProject.ID)
	_, gone := srv.AddOrgKey(fx.Org.ID, "ci", "")
	srv.RevokeKey(gone)
	srv.AddOrgKey(fx.Org.ID, "laptop", "") // same name, other scope
	tests := []struct {
		name string
		req  keys.CreateRequest
		want []int64
	}{
		{"personal, two of that name", keys.CreateRequest{Name: "laptop"}, []int64{fx.AdminKeyID, laptop2}},
		{"organization, project-scoped ones included", keys.CreateRequest{Name: "ci", OrgID: fx.Org.ID, ProjectID: fx.OrgProject.ID},
			[]int64{fx.OrgKeyID, ciProject}},
		{"none of that name", keys.CreateRequest{Name: "new", OrgID: fx.Org.ID}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc("").NamedIDs(context.Background(), tt.req)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("NamedIDs = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/organizations/" + fx.Org.ID + "/api_keys", Status: http.StatusInternalServerError, Count: 10})
	if got, err := svc("").NamedIDs(context.Background(), keys.CreateRequest{Name: "ci", OrgID: fx.Org.ID}); neonapi.StatusOf(err) != http.StatusInternalServerError || got != nil {
		t.Fatalf("NamedIDs through a 500 = %v, %v; want the error", got, err)
	}
}
