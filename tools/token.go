package tools

import (
	"context"
	"fmt"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

// storeNotice goes with every token handed out in an answer.
const storeNotice = "store it now: it will not be shown again"

// newKeyView is a freshly minted key as create and rotate return it: the
// token in key, or (with --secrets-dir) only the file it was written to and
// its fingerprint.
type newKeyOut struct {
	ID          int64  `json:"id" jsonschema_description:"The new key's id."`
	Name        string `json:"name" jsonschema_description:"The new key's name."`
	Scope       string `json:"scope" jsonschema:"enum=personal,enum=organization,enum=project" jsonschema_description:"The new key's scope."`
	OrgID       string `json:"org_id,omitempty" jsonschema_description:"The organization that owns the new key."`
	ProjectID   string `json:"project_id,omitempty" jsonschema_description:"The one project the new key may reach."`
	CreatedAt   string `json:"created_at" jsonschema_description:"When the key was created (RFC 3339)."`
	CreatedBy   string `json:"created_by,omitempty" jsonschema_description:"The id of the user who created the key."`
	Key         string `json:"key,omitempty" jsonschema_description:"The secret token. Shown once, here only: store it now. Absent when the server writes tokens to files (token_file)."`
	TokenFile   string `json:"token_file,omitempty" jsonschema_description:"The file (mode 0600) the token was written to instead of this answer."`
	Fingerprint string `json:"fingerprint" jsonschema_description:"napi_… and the token's last four characters: enough to tell keys apart and useless to an attacker."`
}

// checkTokenFile refuses, before anything is minted, a key name whose token
// file cannot be created in the secrets directory.
func (d Deps) checkTokenFile(keyName string) error {
	if d.SecretsDir == "" {
		return nil
	}
	path, err := secret.TokenFileName(d.SecretsDir, keyName)
	if err != nil {
		return err
	}
	return secret.CheckTokenPath(path)
}

// deliver builds the answer for a minted key: the token goes to the secrets
// directory when one is set, else into this one answer (past the redactor,
// through the middleware's token slot). The returned phrase tells the user
// where the token is.
func (d Deps) deliver(ctx context.Context, c *keys.Created) (newKeyOut, string, error) {
	out := newKeyOut{
		ID: c.ID, Name: clean(c.Name), Scope: c.Scope(), OrgID: c.OrgID, ProjectID: c.ProjectID,
		CreatedAt: c.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00"), CreatedBy: clean(c.CreatedBy),
		Fingerprint: secret.Fingerprint(c.Token),
	}
	if d.SecretsDir != "" {
		// Mask it everywhere first: from here on it must reach only the file.
		d.Redactor.Add(c.Token)
		path, err := secret.TokenFileName(d.SecretsDir, c.Name)
		if err == nil {
			err = secret.WriteTokenFile(path, c.Token)
		}
		if err != nil {
			return out, "", fmt.Errorf("writing the token file: %w", err)
		}
		out.TokenFile = path
		return out, fmt.Sprintf("The token (%s) was written to %s (mode 0600); it is not shown here.", out.Fingerprint, path), nil
	}
	if ctx.Err() != nil {
		// The client gave up on this call (notifications/cancelled, end of
		// input): an answer now may never be read, so the token is not
		// delivered and the new key is withdrawn.
		return out, "", fmt.Errorf("the call was cancelled before the token could be handed over: %w", ctx.Err())
	}
	out.Key = deliverToken(ctx, c.Token)
	return out, "Token: " + out.Key + "\n" + storeNotice + ".", nil
}
