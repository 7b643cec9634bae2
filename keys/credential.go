package keys

import (
	"context"
	"fmt"
	"net/http"

	"github.com/neonkeys/neonkeys/neonapi"
)

// Credential is the key neonkeys runs with, as GET /auth describes it.
// Neon does not say which key id it is (see Locate for how neonkeys
// guesses), nor whether an organization key is org-wide or project-scoped.
type Credential struct {
	// AccountID is a user id for a personal key, the organization's id for
	// an organization key.
	AccountID string
	// KeyType is KeyTypePersonal, KeyTypeOrganization or KeyTypeOther.
	KeyType string
}

// OrgID is the organization an organization key belongs to, "" otherwise.
func (c Credential) OrgID() string {
	if c.KeyType == KeyTypeOrganization {
		return c.AccountID
	}
	return ""
}

// Credential asks Neon what the service's credential is (GET /auth).
func (s *Service) Credential(ctx context.Context) (Credential, error) {
	auth, err := s.api.GetAuthDetails(ctx)
	if err != nil {
		return Credential{}, err
	}
	c := Credential{AccountID: auth.AccountID, KeyType: KeyTypeOther}
	switch auth.AuthMethod {
	case neonapi.AuthMethodPersonalKey:
		c.KeyType = KeyTypePersonal
	case neonapi.AuthMethodOrgKey:
		c.KeyType = KeyTypeOrganization
	}
	return c, nil
}

// OrgKeyMismatchError: an organization key was asked about another
// organization's keys, which Neon never shows it.
type OrgKeyMismatchError struct{ CredentialOrgID, GivenOrgID string }

func (e *OrgKeyMismatchError) Error() string {
	return fmt.Sprintf("the credential is an organization API key of %s, so it reaches only that organization's keys, not those of %s: "+
		"leave the organization out (it is taken from the key), or use a personal key of a member of %s",
		e.CredentialOrgID, e.GivenOrgID, e.GivenOrgID)
}

// CannotMintError: the credential is an organization key, and Neon lets
// only a personal key create keys, so a rotation could not create the
// replacement. It is raised before anything changes.
type CannotMintError struct{ CredentialOrgID string }

func (e *CannotMintError) Error() string {
	return fmt.Sprintf("the credential is an organization API key of %s, and Neon lets only a personal key (of an organization admin) create keys, "+
		"so it cannot create the replacement: rotate with a personal key, or create the replacement in the Neon Console and then revoke the old key",
		e.CredentialOrgID)
}

// refusedToOrgKey reports an answer Neon gives an organization key on a
// route it may not use: 404 "not allowed for organization API keys" on the
// personal key routes (403 in older clients' records), 403 "not an
// organization member" on another organization's.
func refusedToOrgKey(err error) bool {
	s := neonapi.StatusOf(err)
	return s == http.StatusNotFound || s == http.StatusForbidden
}

// keysIn lists the keys of orgID, or the caller's personal keys when orgID
// is empty. When Neon refuses, the credential is asked for (GET /auth, one
// request, spent only then): an organization key lists its own
// organization's keys instead of the personal ones (the org it used is
// returned, with fromCredential set), and asking it about another
// organization is an *OrgKeyMismatchError.
func (s *Service) keysIn(ctx context.Context, orgID string) (raw []neonapi.APIKey, usedOrgID string, fromCredential bool, err error) {
	if orgID == "" {
		raw, err = s.api.ListAPIKeys(ctx)
	} else {
		raw, err = s.api.ListOrgAPIKeys(ctx, orgID)
	}
	if err == nil || !refusedToOrgKey(err) {
		return raw, orgID, false, err
	}
	cred, credErr := s.Credential(ctx)
	if credErr != nil || cred.OrgID() == "" {
		return nil, orgID, false, err // Neon's refusal says more than a failed /auth
	}
	if orgID != "" {
		if orgID != cred.OrgID() {
			return nil, orgID, false, &OrgKeyMismatchError{CredentialOrgID: cred.OrgID(), GivenOrgID: orgID}
		}
		return nil, orgID, false, err
	}
	raw, err = s.api.ListOrgAPIKeys(ctx, cred.OrgID())
	return raw, cred.OrgID(), true, err
}
