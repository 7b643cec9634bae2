package keys

import (
	"time"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/secret"
)

// Creator is who created a key: the API's ApiKeyCreatorData.
type Creator struct {
	ID    string `json:"id" jsonschema_description:"The id of the user who created the key."`
	Name  string `json:"name,omitempty" jsonschema_description:"The user's name; absent when Neon did not say."`
	Image string `json:"image,omitempty" jsonschema_description:"The URL of the user's avatar; absent when there is none."`
}

// View is an API key as every answer shows it. It never holds a token.
//
// The vocabulary of every answer: each command's -o json|yaml and each
// tool's structuredContent are built from View, NewKeyView, RevokedView
// and Identity, so one fact has one name and one shape in both faces.
//
//   - Names and shapes are the Neon API's where it has them (its key list
//     item: id, name, created_at, created_by, last_used_at,
//     last_used_from_addr, project_id). neonkeys adds scope and org_id.
//   - created_by is always the API's object {id, name, image}, also for a
//     new or revoked key, where the API itself sends only the user id.
//   - scope is one of personal, organization, project (ScopePersonal...),
//     in JSON and in tables alike.
//   - A fact that does not exist is omitted: never null, never "". So a
//     personal key has no org_id, an org-wide key no project_id, a key
//     never used no last_used_at and no last_used_from_addr, a creator
//     without an avatar no image. (jq reads an absent field as null.)
//   - A list is always present, [] when empty.
//   - Times are RFC 3339 in UTC.
type View struct {
	ID               int64      `json:"id" jsonschema_description:"The key id (an integer)."`
	Name             string     `json:"name" jsonschema_description:"The key name (untrusted text; control characters removed)."`
	Scope            string     `json:"scope" jsonschema:"enum=personal,enum=organization,enum=project" jsonschema_description:"personal (a user's key), organization (org-wide) or project (one project of an organization)."`
	OrgID            string     `json:"org_id,omitempty" jsonschema_description:"The organization that owns the key; absent for a personal key."`
	ProjectID        string     `json:"project_id,omitempty" jsonschema_description:"The one project a project-scoped key may reach; absent otherwise."`
	CreatedAt        time.Time  `json:"created_at" jsonschema_description:"When the key was created (RFC 3339, UTC)."`
	CreatedBy        Creator    `json:"created_by" jsonschema_description:"The user who created the key."`
	LastUsedAt       *time.Time `json:"last_used_at,omitempty" jsonschema_description:"When the key was last used (RFC 3339, UTC); absent if never used."`
	LastUsedFromAddr string     `json:"last_used_from_addr,omitempty" jsonschema_description:"The IP address the key was last used from; absent if never used."`
}

// NewKeyView is a freshly minted key: the key's View, plus where its token
// went. Token holds it unless it was written to TokenFile.
type NewKeyView struct {
	View
	Token       string `json:"key,omitempty" jsonschema_description:"The secret token, shown once, here only: store it now. Absent when it was written to token_file."`
	TokenFile   string `json:"token_file,omitempty" jsonschema_description:"The absolute path of the file (mode 0600) the token was written to instead; absent otherwise."`
	Fingerprint string `json:"fingerprint" jsonschema_description:"napi_… and the token's last four characters: enough to tell keys apart, useless to an attacker."`
}

// RevokedView is the answer of a revoke.
type RevokedView struct {
	Revoked bool `json:"revoked" jsonschema_description:"True: the key no longer authenticates."`
	Key     View `json:"key" jsonschema_description:"The key that was revoked."`
}

// View returns k as every answer shows it.
func (k Key) View() View {
	v := View{
		ID: k.ID, Name: k.Name, Scope: k.Scope(), OrgID: k.OrgID, ProjectID: k.ProjectID,
		CreatedAt: k.CreatedAt.UTC(), CreatedBy: Creator(k.CreatedBy), LastUsedFromAddr: k.LastUsedFromAddr,
	}
	if k.LastUsedAt != nil && !k.LastUsedAt.IsZero() {
		t := k.LastUsedAt.UTC()
		v.LastUsedAt = &t
	}
	return v
}

// View returns the new key as every answer shows it, with its fingerprint
// and without its token: the caller sets Token or TokenFile once it
// delivered the token there.
func (c Created) View() NewKeyView {
	return NewKeyView{
		View: View{
			ID: c.ID, Name: c.Name, Scope: c.Scope(), OrgID: c.OrgID, ProjectID: c.ProjectID,
			CreatedAt: c.CreatedAt.UTC(), CreatedBy: c.CreatedBy,
		},
		Fingerprint: secret.Fingerprint(c.Token),
	}
}

// creatorOf finds the creator object of user id among listed keys; Neon's
// create answer names only the id.
func creatorOf(id string, listed []neonapi.APIKey) (Creator, bool) {
	for _, k := range listed {
		if k.CreatedBy.ID == id {
			return Creator(k.CreatedBy), true
		}
	}
	return Creator{ID: id}, false
}
