package keys_test

import (
	"testing"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
)

// TestScopeTextIn: in an answer that already named the organization, a
// key's scope says only what is left; any other key is described in full.
func TestScopeTextIn(t *testing.T) {
	project := keys.Key{APIKey: neonapi.APIKey{ProjectID: "p-1"}, OrgID: "org-a"}
	orgWide := keys.Key{OrgID: "org-a"}
	tests := []struct {
		key   keys.Key
		named string
		want  string
	}{
		{project, "org-a", "project p-1"},
		{orgWide, "org-a", "organization-wide"},
		{project, "", "project p-1 in organization org-a"},
		{project, "org-b", "project p-1 in organization org-a"},
		{keys.Key{}, "org-a", "personal"},
	}
	for _, tt := range tests {
		if got := tt.key.ScopeTextIn(tt.named); got != tt.want {
			t.Errorf("%+v in %q: %q, want %q", tt.key, tt.named, got, tt.want)
		}
	}
}
