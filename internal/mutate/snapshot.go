package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// snapshot extracts the committed tree at rev (git archive), or with rev
// "." copies the working tree as it is now (tracked and untracked files that
// git does not ignore), into a new temporary folder and returns the module
// root inside it, so an audit sees one consistent tree while others keep
// editing the working tree. The siblings of root are linked next to the
// copy, so that paths the tests take relative to the module's parent folder
// (neontest.SpecRelPath) resolve as they do from root. cleanup removes it all.
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
	extractTree := extract
	if rev == "." {
		extractTree = copyWorkingTree
	}
	if err := extractTree(ctx, root, rev, dir); err != nil {
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

// copyWorkingTree copies the files git lists (tracked, and untracked but not
// ignored) from root into dir, as they are now.
func copyWorkingTree(ctx context.Context, root, _ string, dir string) error {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "ls-files", "-z", "-c", "-o", "--exclude-standard").Output()
	if err != nil {
		return fmt.Errorf("snapshot: git ls-files: %w", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		if err := copyFile(filepath.Join(root, name), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	return nil
}

// copyFile copies one regular file, keeping its mode; a file deleted since
// git listed it is skipped.
func copyFile(from, to string) error {
	info, err := os.Lstat(from)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil || !info.Mode().IsRegular() {
		return err
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, data, info.Mode().Perm())
}
