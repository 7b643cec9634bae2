package keys_test

import (
	"context"
	"testing"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

func TestListProjectsEverywhere(t *testing.T) {
	tests := []struct {
		name      string
		token     func(fx *neontest.Fixture) string
		wantNames []string
		wantOrgs  int
	}{
		// Personal projects first, then each organization's.
		{"personal key", func(fx *neontest.Fixture) string { return fx.AdminToken }, []string{"hobby", "shop", "shop-eu"}, 2},
		// An org key lists its organization's projects with and without
		// org_id: each appears once.
		{"org key", func(fx *neontest.Fixture) string { return fx.OrgKeyToken }, []string{"shop"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := neontest.New(t)
			fx := srv.Seed()
			other := srv.AddOrg("Other", fx.Admin.ID)
			srv.AddProject("shop-eu", other.ID)
			got, err := liveService(t, srv, tt.token(fx)).ListProjects(context.Background(), keys.ProjectQuery{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range got.Projects {
				names = append(names, p.Name)
			}
			if len(names) != len(tt.wantNames) || got.OrgsSearched != tt.wantOrgs || got.More || len(got.Failed) != 0 {
				t.Fatalf("got %v in %d orgs (more %v, failed %v), want %v in %d", names, got.OrgsSearched, got.More, got.Failed, tt.wantNames, tt.wantOrgs)
			}
			for i := range names {
				if names[i] != tt.wantNames[i] {
					t.Fatalf("got %v, want %v", names, tt.wantNames)
				}
			}
		})
	}
}
