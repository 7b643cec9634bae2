package tools

import (
	"fmt"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
)

// cleanView returns v with every string from the API cleaned (see clean):
// whatever a tool then shows of a key, a hostile API cannot put a control
// character or a screenful of text in front of the user. It is the one
// place that knows which of a key's strings come from the API: a listed
// key's view, a new key's (keys.NewKeyView embeds it) and an audit's.
func cleanView(v keys.View) keys.View {
	v.Name, v.OrgID, v.ProjectID, v.LastUsedFromAddr = clean(v.Name), clean(v.OrgID), clean(v.ProjectID), clean(v.LastUsedFromAddr)
	v.CreatedBy.ID, v.CreatedBy.Name, v.CreatedBy.Image = clean(v.CreatedBy.ID), clean(v.CreatedBy.Name), clean(v.CreatedBy.Image)
	return v
}

// newKeyView is k as the tools show it: keys.View, its strings cleaned.
func newKeyView(k keys.Key) keys.View { return cleanView(k.View()) }

// scopeOf is the scope a cleaned view shows, as a keys.Key, for the
// wording of keys.Key.ScopeText and ScopeTextIn.
func scopeOf(v keys.View) keys.Key {
	return keys.Key{OrgID: v.OrgID, APIKey: neonapi.APIKey{ProjectID: v.ProjectID}}
}

// describeKey is one line about a key for a person: id, name, scope, last use.
func describeKey(k keys.Key) string { return describeKeyIn(k, "") }

// describeKeyIn is describeKey in an answer that already named organization
// orgID (see keys.Key.ScopeTextIn).
func describeKeyIn(k keys.Key, orgID string) string {
	v := newKeyView(k)
	return fmt.Sprintf("key %d %q (%s), %s", v.ID, v.Name, scopeOf(v).ScopeTextIn(clean(orgID)), lastUse(v.LastUsedAt, v.LastUsedFromAddr))
}

// explain is keys.Explain in the tools' words: argument names, and no
// server flag, which the model cannot change.
func explain(op keys.Operation, err error) string { return keys.Explain(op, err, toolWords()) }

// toolWords names the tools' arguments in error sentences.
func toolWords() keys.Words {
	return keys.Words{
		OrgID:    "org_id",
		MoreTime: "if it keeps happening, the user can allow each request more time where this server is configured",
	}
}
