package neontest

import (
	"fmt"
	"testing"
)

// An org-wide key may revoke its organization's keys (itself included), as
// Neon's matrix of operations and key types allows; it still may not mint.
func TestOrgKeyRevokesItsOrgKeys(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()
	orgBase := "/organizations/" + fx.Org.ID + "/api_keys"
	r := do(t, srv, "DELETE", fmt.Sprintf("%s/%d", orgBase, fx.ProjectKeyID), fx.OrgKeyToken, "")
	wantStatus(t, r, 200)
	if srv.TokenValid(fx.ProjectKeyToken) {
		t.Fatal("the project key still works after the org key revoked it")
	}
	r = do(t, srv, "DELETE", fmt.Sprintf("%s/%d", orgBase, fx.OrgKeyID), fx.OrgKeyToken, "")
	wantStatus(t, r, 200)
	if srv.TokenValid(fx.OrgKeyToken) {
		t.Fatal("the org key still works after revoking itself")
	}
}
