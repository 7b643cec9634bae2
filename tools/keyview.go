package tools

import (
	"fmt"

	"github.com/neonkeys/neonkeys/keys"
)

// cleanKey returns k with every string from the API cleaned (see clean):
// whatever a tool then prints of it, a hostile API cannot put a control
// character or a screenful of text in front of the user.
func cleanKey(k keys.Key) keys.Key {
	k.Name, k.OrgID, k.ProjectID = clean(k.Name), clean(k.OrgID), clean(k.ProjectID)
	k.CreatedBy.ID, k.CreatedBy.Name, k.CreatedBy.Image = clean(k.CreatedBy.ID), clean(k.CreatedBy.Name), clean(k.CreatedBy.Image)
	k.LastUsedFromAddr = clean(k.LastUsedFromAddr)
	return k
}

// newKeyView is k as the tools show it: keys.View, its strings cleaned.
func newKeyView(k keys.Key) keys.View { return cleanKey(k).View() }

// describeKey is one line about a key for a person: id, name, scope, last use.
func describeKey(k keys.Key) string { return describeKeyIn(k, "") }

// describeKeyIn is describeKey in an answer that already named organization
// orgID (see keys.Key.ScopeTextIn).
func describeKeyIn(k keys.Key, orgID string) string {
	k = cleanKey(k)
	return fmt.Sprintf("key %d %q (%s), %s", k.ID, k.Name, k.ScopeTextIn(clean(orgID)), lastUse(k.LastUsedAt, k.LastUsedFromAddr))
}

// explain is keys.Explain in the tools' words: argument names, and no
// server flag, which the model cannot change.
func explain(op keys.Operation, err error) string {
	return keys.Explain(op, err, keys.Words{
		OrgID:    "org_id",
		MoreTime: "if it keeps happening, the user can allow each request more time where this server is configured",
	})
}
