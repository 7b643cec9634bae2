package tools

import (
	"fmt"
	"time"

	"github.com/neonkeys/neonkeys/keys"
)

// keyView is an API key as the tools show it: the API's field names, plus
// org_id and scope. It never holds a token.
type keyView struct {
	ID               int64      `json:"id" jsonschema_description:"The key id (an integer); pass it to revoke_api_key or rotate_api_key."`
	Name             string     `json:"name" jsonschema_description:"The key name (untrusted text; control characters removed)."`
	Scope            string     `json:"scope" jsonschema:"enum=personal,enum=organization,enum=project" jsonschema_description:"personal (a user's key), organization (org-wide) or project (one project of an organization)."`
	OrgID            string     `json:"org_id,omitempty" jsonschema_description:"The organization that owns the key; absent for personal keys."`
	ProjectID        string     `json:"project_id,omitempty" jsonschema_description:"The one project a project-scoped key may reach; absent otherwise."`
	CreatedAt        time.Time  `json:"created_at" jsonschema_description:"When the key was created (RFC 3339)."`
	CreatedBy        string     `json:"created_by,omitempty" jsonschema_description:"Who created the key (a user name or id)."`
	LastUsedAt       *time.Time `json:"last_used_at,omitempty" jsonschema_description:"When the key was last used (RFC 3339); absent if never used."`
	LastUsedFromAddr string     `json:"last_used_from_addr,omitempty" jsonschema_description:"The IP address the key was last used from; absent if never used."`
}

// cleanKey returns k with every string from the API cleaned (see clean):
// whatever a tool then prints of it, a hostile API cannot put a control
// character or a screenful of text in front of the user.
func cleanKey(k keys.Key) keys.Key {
	k.Name, k.OrgID, k.ProjectID = clean(k.Name), clean(k.OrgID), clean(k.ProjectID)
	k.CreatedBy.ID, k.CreatedBy.Name, k.CreatedBy.Image = clean(k.CreatedBy.ID), clean(k.CreatedBy.Name), clean(k.CreatedBy.Image)
	k.LastUsedFromAddr = clean(k.LastUsedFromAddr)
	return k
}

func newKeyView(k keys.Key) keyView {
	k = cleanKey(k)
	createdBy := k.CreatedBy.Name
	if createdBy == "" {
		createdBy = k.CreatedBy.ID
	}
	v := keyView{
		ID: k.ID, Name: k.Name, Scope: k.Scope(), OrgID: k.OrgID, ProjectID: k.ProjectID,
		CreatedAt: k.CreatedAt, CreatedBy: createdBy, LastUsedFromAddr: k.LastUsedFromAddr,
	}
	if k.LastUsedAt != nil && !k.LastUsedAt.IsZero() {
		t := *k.LastUsedAt
		v.LastUsedAt = &t
	}
	return v
}

// describeKey is one line about a key for a person: id, name, scope, last use.
func describeKey(k keys.Key) string {
	k = cleanKey(k)
	return fmt.Sprintf("key %d %q (%s), %s", k.ID, k.Name, k.ScopeText(), lastUse(k.LastUsedAt, k.LastUsedFromAddr))
}
