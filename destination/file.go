package destination

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// fileDest is a token file: the token and a newline, mode 0600, replaced
// atomically (a rotation must overwrite the old token).
type fileDest struct {
	name string
	path string
}

func (d *fileDest) Name() string   { return d.name }
func (d *fileDest) Kind() Kind     { return KindFile }
func (d *fileDest) Target() string { return "token file " + d.path + " (replaced)" }

func (d *fileDest) Preflight(ctx context.Context) error { return checkWritablePath(d.path) }

func (d *fileDest) Deliver(ctx context.Context, token string) (string, error) {
	return replaceTokenFile(d.path, token, 0o600)
}

// replaceTokenFile writes token to path atomically with mode, then reads it
// back. A failed read-back comes after the rename: the file may hold it.
func replaceTokenFile(path, token string, mode os.FileMode) (string, error) {
	if _, err := existingMode(path, mode); err != nil {
		return "", err
	}
	if err := writeAtomic(path, []byte(token+"\n"), mode); err != nil {
		return "", err
	}
	got, err := os.ReadFile(path)
	if err != nil {
		return "", mayBeWritten(fmt.Errorf("read %s back: %w", path, err))
	}
	if first, _, _ := strings.Cut(string(got), "\n"); first != token {
		return "", mayBeWritten(fmt.Errorf("%s does not hold the new token after writing it (another program changed it?)", path))
	}
	return "written and read back", nil
}
