package remote

import (
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/neonkeys/neonkeys/sealed"
)

// ReadSealKey reads --seal-key-file: exactly sealed.KeySize random bytes,
// shared by every instance so that a confirmation asked by one is opened by
// another. Whoever reads it can forge a confirmation, so a file that group
// or others may read (or write) is refused.
func ReadSealKey(path string) ([]byte, error) {
	// Without blocking: a named pipe put there would hold start-up until
	// someone wrote to it; the regular-file check below then refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("--seal-key-file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("--seal-key-file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("--seal-key-file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("--seal-key-file %s has mode %#o: group or others can use it, and whoever reads it can forge a confirmation; chmod 600 it", path, perm)
	}
	key, err := io.ReadAll(io.LimitReader(f, sealed.KeySize+1))
	if err != nil {
		return nil, fmt.Errorf("--seal-key-file: %w", err)
	}
	if len(key) != sealed.KeySize {
		return nil, fmt.Errorf("--seal-key-file %s must hold exactly %d random bytes (head -c %d /dev/urandom > %s)", path, sealed.KeySize, sealed.KeySize, path)
	}
	return key, nil
}
