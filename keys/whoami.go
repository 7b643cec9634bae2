package keys

import (
	"context"

	"github.com/neonkeys/neonkeys/neonapi"
)

// Key types of a credential, as whoami reports them. GET /auth does not
// tell an org-wide key from a project-scoped one: both are organization.
const (
	KeyTypePersonal     = ScopePersonal
	KeyTypeOrganization = ScopeOrganization
	KeyTypeOther        = "other" // not an API key (a session, OAuth)
)

// User is the person a personal key belongs to (GET /users/me).
type User struct {
	ID    string `json:"id" jsonschema_description:"The user id."`
	Name  string `json:"name,omitempty" jsonschema_description:"The user's name; absent when Neon did not say."`
	Email string `json:"email,omitempty" jsonschema_description:"The user's email address; absent when Neon did not say."`
}

// Org is an organization the credential sees.
type Org struct {
	ID   string `json:"id" jsonschema_description:"The organization id."`
	Name string `json:"name" jsonschema_description:"The organization name."`
}

// Identity is whoami's answer: whose credential this is, in the API's
// words where it has them (account_id, auth_method).
type Identity struct {
	AccountID     string `json:"account_id" jsonschema_description:"The user id (personal key) or organization id (organization key) the credential belongs to."`
	AuthMethod    string `json:"auth_method" jsonschema_description:"Neon's name for the credential: api_key_user (personal key) or api_key_org (organization key)."`
	KeyType       string `json:"key_type" jsonschema:"enum=personal,enum=organization,enum=other" jsonschema_description:"personal: a user's key; organization: an org-wide or project-scoped key; other: not an API key."`
	CanMintKeys   bool   `json:"can_mint_keys" jsonschema_description:"Whether this credential can create keys: only a personal key can (an organization admin's, for organization keys)."`
	User          *User  `json:"user,omitempty" jsonschema_description:"The person a personal key belongs to; absent for an organization key."`
	Organizations []Org  `json:"organizations" jsonschema_description:"The organizations the credential sees."`

	// Missing says why the user or the organizations could not be read:
	// they are a courtesy, not part of whoami's answer.
	Missing []error `json:"-"`
}

// WhoAmI tells whose credential the service uses (GET /auth), and as a
// courtesy who the user is (GET /users/me, personal keys only) and which
// organizations it sees (an organization key sees its own).
func (s *Service) WhoAmI(ctx context.Context) (*Identity, error) {
	auth, err := s.api.GetAuthDetails(ctx)
	if err != nil {
		return nil, err
	}
	id := &Identity{AccountID: auth.AccountID, AuthMethod: auth.AuthMethod, KeyType: KeyTypeOther, Organizations: []Org{}}
	switch auth.AuthMethod {
	case neonapi.AuthMethodPersonalKey:
		id.KeyType, id.CanMintKeys = KeyTypePersonal, true
		if u, err := s.api.GetCurrentUser(ctx); err != nil {
			id.Missing = append(id.Missing, err)
		} else {
			id.User = &User{ID: u.ID, Name: u.FullName(), Email: u.Email}
		}
	case neonapi.AuthMethodOrgKey:
		id.KeyType = KeyTypeOrganization
	}
	orgs, err := s.api.GetCurrentUserOrganizations(ctx)
	if err != nil {
		id.Missing = append(id.Missing, err)
	}
	for _, o := range orgs {
		id.Organizations = append(id.Organizations, Org{ID: o.ID, Name: o.Name})
	}
	return id, nil
}
