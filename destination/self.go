package destination

import (
	"context"
	"errors"
)

// selfDest is the key file neonkeys runs with (NEON_API_KEY_FILE). Its mode
// is kept. After a delivery the caller switches to the new token.
type selfDest struct {
	name string
	path string // "" when the credential did not come from a file
}

var errSelfNoFile = errors.New("neonkeys' credential did not come from NEON_API_KEY_FILE, so there is no key file to replace (self needs NEON_API_KEY_FILE set and NEON_API_KEY unset)")

func (d *selfDest) Name() string { return d.name }
func (d *selfDest) Kind() Kind   { return KindSelf }
func (d *selfDest) Target() string {
	if d.path == "" {
		return "neonkeys' own key file (none: the credential is not from NEON_API_KEY_FILE)"
	}
	return "neonkeys' own key file " + d.path + " (replaced; neonkeys switches to the new token)"
}

func (d *selfDest) Preflight(ctx context.Context) error {
	if d.path == "" {
		return errSelfNoFile
	}
	return checkWritablePath(d.path)
}

func (d *selfDest) Deliver(ctx context.Context, token string) (string, error) {
	if d.path == "" {
		return "", errSelfNoFile
	}
	mode, err := existingMode(d.path, 0o600)
	if err != nil {
		return "", err
	}
	return replaceTokenFile(d.path, token, mode)
}
