package keys

import (
	"context"
	"time"

	"github.com/neonkeys/neonkeys/neonapi"
)

// Walks over every organization of the caller (an audit, a bulk rotation)
// keep the bounds of the key and project searches: at most OrgWalkers
// organizations at once, and at most MaxOrgsWalked of them.
const (
	OrgWalkers    = projectSearchers
	MaxOrgsWalked = maxOrgsSearched
)

// Organizations lists the caller's organizations (an organization key
// sees its own only).
func (s *Service) Organizations(ctx context.Context) ([]neonapi.Organization, error) {
	return s.api.GetCurrentUserOrganizations(ctx)
}

// OrgMembers lists the members of organization orgID.
func (s *Service) OrgMembers(ctx context.Context, orgID string) ([]neonapi.OrgMember, error) {
	return s.api.ListOrgMembers(ctx, orgID)
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }
