package destination

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/neonkeys/neonkeys/secret"
)

// RescueDir is where rescue files go: $XDG_STATE_HOME/neonkeys/rescue, else
// $HOME/.local/state/neonkeys/rescue.
func RescueDir(getenv func(string) string) (string, error) {
	if x := getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "neonkeys", "rescue"), nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", errors.New("no folder for a rescue file: set XDG_STATE_HOME or HOME")
	}
	return filepath.Join(home, ".local", "state", "neonkeys", "rescue"), nil
}

// WriteRescue keeps a new token that some destinations did not get: a new
// file (0600, never an existing one) named <key id>-<key name>.token, in
// RescueDir (created 0700). It returns the file's path, for the commands
// that finish the job (deliver --token-file PATH --to NAME).
func WriteRescue(getenv func(string) string, keyID int64, keyName, token string) (string, error) {
	dir, err := RescueDir(getenv)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the rescue folder: %w", err)
	}
	path, err := secret.TokenFileName(dir, fmt.Sprintf("%d-%s", keyID, keyName))
	if err != nil {
		return "", err
	}
	if err := secret.WriteTokenFile(path, token); err != nil {
		return "", fmt.Errorf("write the rescue file: %w", err)
	}
	return path, nil
}
