package keys

import (
	"context"
	"time"

	"github.com/neonkeys/neonkeys/neonapi"
)

// SelfMatch says whether a key is the credential neonkeys runs with.
//
// Neon never maps a token to its key id: GET /auth names the account (a
// user, or the organization of an organization key) and the kind of key,
// not the key, and the key lists carry no part of the token. So neonkeys
// decides from two facts it can check:
//
//   - the scope: only a personal key of the caller can be a personal
//     credential, only an org-wide key of its organization an organization
//     credential (GET /auth gives the organization). When the key is the
//     only one of that scope, it is the credential: Self.
//   - the last use: every request updates last_used_at, and the list that
//     found the key was itself sent with the credential. A key of that
//     scope that is the most recently used one, within selfWindow of now,
//     is most likely the credential: LikelySelf.
//
// Limits: another program using another key of the same scope at the same
// moment can make LikelySelf name the wrong key (a warning too many); if
// Neon records last_used_at later than selfWindow, or the clocks differ
// by more, a credential among several keys of its scope goes unnoticed.
type SelfMatch int

// Answers of Locate about the credential.
const (
	NotSelf    SelfMatch = iota // not the credential, as far as neonkeys can tell
	LikelySelf                  // the most recently used key of the credential's scope, moments ago
	Self                        // the only key of the credential's scope
)

// selfWindow is how recent a last use must be to count as this command's
// own: the request that listed the key, plus room for clock skew between
// this machine and Neon and for Neon recording the use late.
const selfWindow = 5 * time.Minute

// Target is a key about to be revoked or rotated, with what neonkeys knows
// about it beyond the key itself.
type Target struct {
	Key
	Credential Credential
	// OrgFromCredential: the caller named no organization, and the key was
	// looked for in the credential's own (an organization key).
	OrgFromCredential bool
	// Self says whether the key is the one neonkeys runs with: revoking it
	// stops neonkeys itself.
	Self SelfMatch
}

// Locate finds key id (see find for where it looks) after asking Neon
// what the credential is (GET /auth): an organization key looks in its own
// organization, a different orgID is an *OrgKeyMismatchError, and the key
// found is checked against the credential (see SelfMatch).
func (s *Service) Locate(ctx context.Context, id int64, orgID string) (*Target, error) {
	cred, err := s.Credential(ctx)
	if err != nil {
		return nil, err
	}
	fromCredential := false
	if credOrg := cred.OrgID(); credOrg != "" {
		if orgID != "" && orgID != credOrg {
			return nil, &OrgKeyMismatchError{CredentialOrgID: credOrg, GivenOrgID: orgID}
		}
		fromCredential = orgID == ""
		orgID = credOrg
	}
	key, listed, err := s.find(ctx, id, orgID)
	if err != nil {
		return nil, err
	}
	return &Target{Key: *key, Credential: cred, OrgFromCredential: fromCredential,
		Self: selfMatch(cred, *key, listed, s.now())}, nil
}

// CheckRotate refuses, before anything changes, a rotation the credential
// cannot carry out: an organization key cannot create the replacement.
func (t Target) CheckRotate() error {
	if org := t.Credential.OrgID(); org != "" {
		return &CannotMintError{CredentialOrgID: org}
	}
	return nil
}

// selfMatch compares key, found among listed, with the credential.
func selfMatch(cred Credential, key Key, listed []neonapi.APIKey, now time.Time) SelfMatch {
	var inScope []neonapi.APIKey
	switch {
	case cred.KeyType == KeyTypePersonal && key.OrgID == "":
		inScope = listed // GET /api_keys lists only the caller's own keys
	case cred.OrgID() != "" && key.OrgID == cred.OrgID() && key.ProjectID == "":
		for _, k := range listed {
			if k.ProjectID == "" {
				inScope = append(inScope, k)
			}
		}
	default:
		return NotSelf
	}
	if len(inScope) == 1 && inScope[0].ID == key.ID {
		return Self
	}
	if key.LastUsedAt == nil || now.Sub(*key.LastUsedAt) > selfWindow {
		return NotSelf
	}
	for _, k := range inScope {
		if k.ID != key.ID && k.LastUsedAt != nil && k.LastUsedAt.After(*key.LastUsedAt) {
			return NotSelf
		}
	}
	return LikelySelf
}

// SelfWarning is what to say before revoking (op OpRevoke) or rotating
// (OpRotate) t when it is the credential, "" otherwise. It names no flag
// and no tool argument, so both faces use it as is.
func (t Target) SelfWarning(op Operation) string {
	after := "after the revoke, neonkeys itself stops working (Neon answers 401) until it is given another key"
	if op == OpRotate {
		after = "after the rotation, neonkeys itself stops working (Neon answers 401) until it is given the new key"
	}
	switch t.Self {
	case Self:
		return "this is the key neonkeys is using: " + after
	case LikelySelf:
		return "this looks like the key neonkeys is using (the most recently used key of its kind, moments ago): if it is, " + after
	}
	return ""
}

// SelfAfter is what to say once t was revoked or rotated away, when it
// was the credential; "" otherwise.
func (t Target) SelfAfter(op Operation) string {
	what := "another key"
	if op == OpRotate {
		what = "the new key"
	}
	switch t.Self {
	case Self:
		return "neonkeys was using this key: until NEON_API_KEY (or the file NEON_API_KEY_FILE names) holds " + what + ", every call it makes gets 401"
	case LikelySelf:
		return "if neonkeys was using this key, every call it makes gets 401 until NEON_API_KEY (or the file NEON_API_KEY_FILE names) holds " + what
	}
	return ""
}
