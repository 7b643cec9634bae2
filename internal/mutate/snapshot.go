package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// snapshot extracts the committed tree at rev (git archive) into a new
// temporary folder and returns the module root inside it, so an audit sees
// one consistent tree while others keep editing the working tree. The
// siblings of root are linked next to the copy, so that relative paths the
// tests use (../shared) resolve as they do from root. cleanup removes it all.
func snapshot(ctx context.Context, root, rev string) (dir string, cleanup func(), err error) {
	tmp, err := os.MkdirTemp("", "mutation-audit-snapshot-")
	if err != nil {
		return "", nil, fmt.Errorf("snapshot: %w", err)
	}
	cleanup = func() { os.RemoveAll(tmp) }
	dir = filepath.Join(tmp, filepath.Base(root))
	if err := os.Mkdir(dir, 0o755); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("snapshot: %w", err)
	}
	if err := extract(ctx, root, rev, dir); err != nil {
		cleanup()
		return "", nil, err
	}
	if err := linkSiblings(root, tmp); err != nil {
		cleanup()
		return "", nil, err
	}
	return dir, cleanup, nil
}

// extract writes the tree of rev into dir: git archive piped into tar.
func extract(ctx context.Context, root, rev, dir string) error {
	archive := exec.CommandContext(ctx, "git", "-C", root, "archive", "--format=tar", rev)
	untar := exec.CommandContext(ctx, "tar", "-x", "-C", dir)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	untar.Stdin = pipe
	var gitErr, tarErr bytes.Buffer
	archive.Stderr, untar.Stderr = &gitErr, &tarErr
	if err := untar.Start(); err != nil {
		return fmt.Errorf("snapshot: tar: %w", err)
	}
	if err := archive.Run(); err != nil {
		_ = untar.Wait()
		return fmt.Errorf("snapshot: git archive %s: %v: %s", rev, err, gitErr.String())
	}
	if err := untar.Wait(); err != nil {
		return fmt.Errorf("snapshot: tar: %v: %s", err, tarErr.String())
	}
	return nil
}

// linkSiblings links every entry next to root into parent (but root itself).
func linkSiblings(root, parent string) error {
	up := filepath.Dir(root)
	entries, err := os.ReadDir(up)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	for _, e := range entries {
		if e.Name() == filepath.Base(root) {
			continue
		}
		if err := os.Symlink(filepath.Join(up, e.Name()), filepath.Join(parent, e.Name())); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	return nil
}
