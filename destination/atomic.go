package destination

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// checkWritablePath is the preflight of a file a delivery replaces: path is
// no symlink and no folder, and its folder exists and may be written to.
func checkWritablePath(path string) error {
	info, err := os.Lstat(path)
	switch {
	case err == nil && info.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symlink: refusing to write through it (point the config at the real file)", path)
	case err == nil && !info.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	dir := filepath.Dir(path)
	if dinfo, err := os.Stat(dir); err != nil || !dinfo.IsDir() {
		return fmt.Errorf("the folder %s does not exist", dir)
	}
	if err := writableDir(dir); err != nil {
		return fmt.Errorf("cannot write in the folder %s: %w", dir, err)
	}
	return nil
}

// existingMode returns the permissions of path, or def when it does not
// exist yet. A symlink is refused: a rename would replace the link, not the
// file the person meant.
func existingMode(path string, def fs.FileMode) (fs.FileMode, error) {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return def, nil
	case err != nil:
		return 0, err
	case info.Mode()&fs.ModeSymlink != 0:
		return 0, fmt.Errorf("%s is a symlink: refusing to write through it", path)
	case !info.Mode().IsRegular():
		return 0, fmt.Errorf("%s is not a regular file", path)
	}
	return info.Mode().Perm(), nil
}

// writeAtomic replaces path with data: a temporary file in the same folder
// (so the rename cannot cross file systems), written, synced, given mode,
// then renamed over path. A reader sees the old content or the new, never a
// half-written file, and a failure leaves the old file as it was.
func writeAtomic(path string, data []byte, mode fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".neonkeys-*")
	if err != nil {
		return fmt.Errorf("create a temporary file in %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("set mode of %s: %w", tmp.Name(), err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	// The rename is durable only once the folder is synced; a failure here
	// leaves the new file in place, so it is not reported.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
