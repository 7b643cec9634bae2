package release

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// archiveEntries lists the files in a .tar.gz or .zip release archive.
func archiveEntries(t *testing.T, path string) []string {
	t.Helper()
	var names []string
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = zr.Close() }()
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		return names
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		names = append(names, h.Name)
	}
}

// TestArchivesMatchTheChecksumsFile: what `sha256sum -c` does for a person
// who downloads a release: every archive is listed with its hash, and each
// holds the binary, the README and the licence.
func TestArchivesMatchTheChecksumsFile(t *testing.T) {
	d := builtDist(t)
	sums := filepath.Join(d.Dir, BinaryName+"_"+d.Version+"_checksums.txt")
	f, err := os.Open(sums)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	listed := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("%s: line %q is not sha256sum's", sums, sc.Text())
		}
		listed[name] = sum
	}
	for _, p := range Platforms() {
		ext := ".tar.gz"
		if p.OS == "windows" {
			ext = ".zip"
		}
		name := BinaryName + "_" + d.Version + "_" + p.String() + ext
		got, err := sha256File(filepath.Join(d.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if listed[name] != got {
			t.Errorf("%s: sha256 %s, the checksums file says %q", name, got, listed[name])
		}
		entries := archiveEntries(t, filepath.Join(d.Dir, name))
		for _, want := range []string{p.Executable(), "README.md", "LICENSE"} {
			if !slices.Contains(entries, want) {
				t.Errorf("%s holds %v, no %s", name, entries, want)
			}
		}
	}
}

// TestReleaseBinaryIsStamped: the release binary says which tag, commit
// and date it was built from.
func TestReleaseBinaryIsStamped(t *testing.T) {
	d := builtDist(t)
	out, err := exec.Command(d.Binaries[Host()], "version", "-o", "json").Output()
	if err != nil {
		t.Fatalf("version -o json: %v", err)
	}
	var v struct{ Version, Commit, Date string }
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("version -o json printed %s: %v", out, err)
	}
	if v.Version != "v"+d.Version || v.Commit != d.Commit || len(d.Commit) != 40 {
		t.Errorf("version %q commit %q, want v%s %s", v.Version, v.Commit, d.Version, d.Commit)
	}
	if _, err := time.Parse(time.RFC3339, v.Date); err != nil {
		t.Errorf("date %q: %v", v.Date, err)
	}
}
