package handoff_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

// TestBatchOutDirKeepsEveryTokenInsideAndApart: --out-dir names each token
// file after the new key's name. Two keys with the same name (duplicates
// are common: "ci" in one organization twice) got the same file, so the
// second token replaced the first, whose old key was revoked all the same;
// and a key named with ../ (names are free text: a model can create one)
// had its token written outside the folder. Each token must land in its
// own file, inside the folder.
func TestBatchOutDirKeepsEveryTokenInsideAndApart(t *testing.T) {
	w := newWorld(t)
	want := map[int64]bool{}
	for _, name := range []string{"deploy", "../../../escape"} {
		_, id := w.srv.AddOrgKey(w.fx.Org.ID, name, "")
		want[id] = true
	}
	// The same name in another scope: Neon refuses a duplicate only
	// within one.
	_, id := w.srv.AddPersonalKey(w.fx.Admin.ID, "deploy")
	want[id] = true
	r := w.runner()
	var batch []keys.Key
	for _, org := range []string{w.fx.Org.ID, ""} {
		listed, err := r.Keys.List(context.Background(), keys.ListOptions{OrgID: org})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range listed.Keys {
			if want[k.ID] {
				batch = append(batch, k)
			}
		}
	}
	if len(batch) != 3 {
		t.Fatalf("listed %d of the 3 keys", len(batch))
	}
	outDir := filepath.Join(w.home, "a", "b", "out")
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		t.Fatal(err)
	}
	items := handoff.PlanBatch(batch, nil, r.Keys, handoff.BatchOptions{Now: time.Now().Add(time.Hour), OutDir: outDir})
	handoff.OpenBatch(items, destination.Env{Getenv: w.getenv, Redactor: w.red})
	results := r.RunBatch(context.Background(), items, false, nil)
	fingerprints := map[string]bool{}
	for _, res := range results {
		if res.Failed() || res.Outcome == nil {
			t.Fatalf("key %q not rotated: skip %q, error %v", res.Key.Name, res.Skip, res.Err)
		}
		fingerprints[res.Outcome.Fingerprint] = true
	}
	var found []string
	err := filepath.Walk(w.home, func(path string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(path, ".token") {
			found = append(found, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range found {
		b, _ := os.ReadFile(path)
		if filepath.Dir(path) != outDir {
			t.Errorf("token file %s is outside %s", path, outDir)
		}
		delete(fingerprints, secret.Fingerprint(strings.TrimSpace(string(b))))
	}
	if len(fingerprints) != 0 {
		t.Errorf("%d of %d new tokens are in no file (found %q)", len(fingerprints), len(results), found)
	}
}
