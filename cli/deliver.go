package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/secret"
)

// storeWarning goes to stderr whenever a token is printed.
const storeWarning = "Store this key now: it is not shown again."

// checkOutFile refuses an --out target that exists (or cannot be created)
// before anything is minted, so a refusal creates no key. WriteTokenFile
// still refuses an existing file later, in case one appears in between.
func checkOutFile(path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return usageErr("--out %s already exists: refusing to overwrite it; nothing was created", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return usageErr("--out %s: %v; nothing was created", path, err)
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return usageErr("--out %s: the directory %s does not exist; nothing was created", path, dir)
	}
	return nil
}

// newKeyOut is the stdout answer of create and rotate. Key holds the token
// unless it went to a file; then TokenFile and Fingerprint say where.
type newKeyOut struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Key         string    `json:"key,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
	ProjectID   string    `json:"project_id,omitempty"`
	OrgID       string    `json:"org_id,omitempty"`
	TokenFile   string    `json:"token_file,omitempty"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	RotatedFrom int64     `json:"rotated_from,omitempty"`
}

// deliver hands the new token over exactly once: to stdout, or into a new
// 0600 file at outPath (then stdout shows only the path and a fingerprint).
// A token that cannot be written to its file is revoked again, so no live
// key is left that nobody holds; the returned error says what happened.
func (a *app) deliver(ctx context.Context, svc *keys.Service, c *keys.Created, outPath string, rotatedFrom int64) error {
	out := newKeyOut{
		ID: c.ID, Name: a.red.Redact(c.Name), CreatedAt: c.CreatedAt, CreatedBy: a.red.Redact(c.CreatedBy),
		ProjectID: c.ProjectID, OrgID: c.OrgID, RotatedFrom: rotatedFrom,
	}
	if outPath != "" {
		if err := secret.WriteTokenFile(outPath, c.Token); err != nil {
			return a.undoCreate(ctx, svc, c, err)
		}
		out.TokenFile, out.Fingerprint = outPath, secret.Fingerprint(c.Token)
		if a.output == outTable {
			_, err := fmt.Fprintf(a.stdout, "%s %s\n", outPath, out.Fingerprint)
			return writeErr(err)
		}
		return writeErr(a.writeValue(out))
	}
	var err error
	if a.output == outTable {
		_, err = fmt.Fprintln(a.stdout, c.Token)
	} else {
		out.Key = c.Token
		err = a.writeValue(out)
	}
	if err != nil {
		return failErr("writing the new token to stdout failed (%v): it was not delivered; revoke key %d", a.red.Redact(err.Error()), c.ID)
	}
	a.say("%s", storeWarning)
	return nil
}

func writeErr(err error) error {
	if err != nil {
		return failErr("writing the output: %v", err)
	}
	return nil
}

// undoCreate revokes a key whose token could not be stored. It does not
// depend on ctx staying alive: a stray live key must not stay behind.
func (a *app) undoCreate(ctx context.Context, svc *keys.Service, c *keys.Created, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, err := svc.Revoke(ctx, keys.Key{APIKey: neonapi.APIKey{ID: c.ID, ProjectID: c.ProjectID}, OrgID: c.OrgID})
	if err != nil {
		return failErr("%s; revoking the new key %d failed too (%s): revoke it yourself",
			a.red.Redact(cause.Error()), c.ID, a.red.Redact(keys.Explain(keys.OpRevoke, err, "--org-id")))
	}
	return failErr("%s; the new key %d was revoked again, so nothing changed", a.red.Redact(cause.Error()), c.ID)
}
