package release

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// Dist is what a goreleaser run left in its dist folder.
type Dist struct {
	Dir      string
	Version  string              // without the v: 1.2.3, 0.0.1-snapshot
	Commit   string              // the full commit id the release was built from
	Binaries map[Platform]string // path of each target's binary
}

// ReadDist reads dist/metadata.json and dist/artifacts.json, which
// goreleaser writes. Artifact paths there are relative to the folder it
// ran in, dist's parent.
func ReadDist(dir string) (Dist, error) {
	var meta struct {
		Version string `json:"version"`
		Commit  string `json:"commit"`
	}
	if err := readJSON(filepath.Join(dir, "metadata.json"), &meta); err != nil {
		return Dist{}, err
	}
	var artifacts []struct {
		Path   string `json:"path"`
		GOOS   string `json:"goos"`
		GOARCH string `json:"goarch"`
		Type   string `json:"type"`
	}
	if err := readJSON(filepath.Join(dir, "artifacts.json"), &artifacts); err != nil {
		return Dist{}, err
	}
	d := Dist{Dir: dir, Version: meta.Version, Commit: meta.Commit, Binaries: map[Platform]string{}}
	root := filepath.Dir(filepath.Clean(dir))
	for _, a := range artifacts {
		if a.Type != "Binary" {
			continue
		}
		path := a.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(root, path)
		}
		d.Binaries[Platform{OS: a.GOOS, Arch: a.GOARCH}] = path
	}
	for _, p := range Platforms() {
		if d.Binaries[p] == "" {
			return Dist{}, fmt.Errorf("%s: no %s binary: did the snapshot build every target?", dir, p)
		}
	}
	if d.Version == "" {
		return Dist{}, fmt.Errorf("%s/metadata.json names no version", dir)
	}
	return d, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading goreleaser's output: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Host is the platform this process runs on.
func Host() Platform { return Platform{OS: runtime.GOOS, Arch: runtime.GOARCH} }

// Stage lays out one folder per platform under out, ready for `mcpb pack`:
// manifest.json, server/<binary> and LICENSE. The tools and prompts come
// from probing the host's binary: every target is built from the same
// source, so they list the same ones.
func Stage(ctx context.Context, d Dist, out, license string) (map[Platform]string, error) {
	hostBin, ok := d.Binaries[Host()]
	if !ok {
		return nil, fmt.Errorf("no binary for this machine (%s) to read the tools from", Host())
	}
	surface, err := Probe(ctx, hostBin)
	if err != nil {
		return nil, err
	}
	dirs := map[Platform]string{}
	for _, p := range Platforms() {
		dir := filepath.Join(out, p.String())
		if err := stageOne(dir, d.Binaries[p], license, NewManifest(d.Version, p, surface)); err != nil {
			return nil, fmt.Errorf("staging the %s bundle: %w", p, err)
		}
		dirs[p] = dir
	}
	return dirs, nil
}

func stageOne(dir, bin, license string, m Manifest) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "server"), 0o755); err != nil {
		return err
	}
	if err := copyFile(bin, filepath.Join(dir, m.Server.EntryPoint), 0o755); err != nil {
		return err
	}
	if err := copyFile(license, filepath.Join(dir, "LICENSE"), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644)
}

func copyFile(from, to string, mode os.FileMode) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		_ = dst.Close()
		return fmt.Errorf("copying %s: %w", from, err)
	}
	return dst.Close()
}

// WriteServerJSON hashes the bundles in d and writes server.json there.
func WriteServerJSON(d Dist) (string, error) {
	bundles, err := HashBundles(d.Dir, d.Version)
	if err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(NewServerJSON(d.Version, bundles), "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(d.Dir, "server.json")
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}
