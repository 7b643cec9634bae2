package handoff_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/destination/githubtest"
	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/keys"
)

const batchDests = `
destinations:
  a-env:
    dotenv: {path: ~/a.env, var: NEON_API_KEY}
    holds: svc-a
  b-file:
    file: {path: ~/b.token}
    holds: svc-b
  c-ci:
    github: {repo: acme/c, secret: NEON_API_KEY}
    holds: svc-c
`

// TestBatchRotatesEachKeyToItsDestinationsAndGoesOnPastAFailure: a mixed
// run: svc-a and svc-b rotate to their destinations, svc-c's only
// destination refuses it (its new key is withdrawn, the old one kept), svc-d is
// held by nothing and skipped with the reason, and a key younger than the
// cutoff is not planned at all.
func TestBatchRotatesEachKeyToItsDestinationsAndGoesOnPastAFailure(t *testing.T) {
	w := newWorld(t)
	now := time.Now()
	old := now.Add(-100 * 24 * time.Hour)
	ids := map[string]int64{}
	for _, name := range []string{"svc-a", "svc-b", "svc-c", "svc-d", "young"} {
		_, ids[name] = w.srv.AddOrgKey(w.fx.Org.ID, name, "")
		if name != "young" {
			w.srv.SetKeyCreatedAt(ids[name], old)
		}
	}
	// 422: GitHub certainly stored nothing (a 500 might have, and would
	// keep both keys live instead).
	w.gh.AddFault(githubtest.Fault{Method: http.MethodPut, PathSuffix: "/NEON_API_KEY", Status: http.StatusUnprocessableEntity, Body: `{"message":"Bad request"}`})
	cfg, err := destination.Parse([]byte(batchDests), filepath.Join(w.home, "config.yaml"), w.home)
	if err != nil {
		t.Fatal(err)
	}
	r := w.runner()
	listed, err := r.Keys.List(context.Background(), keys.ListOptions{OrgID: w.fx.Org.ID})
	if err != nil {
		t.Fatal(err)
	}
	var mine []keys.Key
	for _, k := range listed.Keys {
		if _, ok := ids[k.Name]; ok {
			mine = append(mine, k)
		}
	}
	items := handoff.PlanBatch(mine, cfg, r.Keys, handoff.BatchOptions{OlderThan: 90 * 24 * time.Hour, Now: now})
	var seen []string
	handoff.OpenBatch(items, destination.Env{Getenv: w.getenv, Redactor: w.red})
	results := r.RunBatch(context.Background(), items, false, func(b handoff.BatchResult) {
		seen = append(seen, b.Key.Name)
	})

	byName := map[string]handoff.BatchResult{}
	for _, res := range results {
		byName[res.Key.Name] = res
	}
	if len(results) != 4 || len(seen) != 4 {
		t.Fatalf("%d results (%v), want 4: the young key is not planned", len(results), seen)
	}
	for _, name := range []string{"svc-a", "svc-b"} {
		res := byName[name]
		if res.Failed() || w.live(ids[name]) || !w.live(res.Outcome.New.ID) {
			t.Errorf("%s: %+v, want rotated with the old key revoked", name, res)
		}
	}
	if got := strings.TrimSpace(w.read("b.token")); !strings.HasPrefix(got, "napi_") {
		t.Errorf("b.token = %q", got)
	}
	if !strings.HasPrefix(w.read("a.env"), "NEON_API_KEY=napi_") {
		t.Errorf("a.env = %q", w.read("a.env"))
	}
	c := byName["svc-c"]
	if !c.Failed() || c.Outcome == nil || !c.Outcome.Withdrawn() || !w.live(ids["svc-c"]) || w.live(c.Outcome.New.ID) {
		t.Errorf("svc-c: %+v, want failed with its new key withdrawn and the old one live", c)
	}
	d := byName["svc-d"]
	if d.Failed() || !strings.Contains(d.Skip, "no destination holds it") || !w.live(ids["svc-d"]) {
		t.Errorf("svc-d: %+v, want skipped, still live", d)
	}
	if !w.live(ids["young"]) {
		t.Error("the young key was rotated")
	}
}

// TestBatchOutDirTakesTheUnheldKeys: with an out folder, a key no
// destination holds is rotated into a token file there.
func TestBatchOutDirTakesTheUnheldKeys(t *testing.T) {
	w := newWorld(t)
	_, id := w.srv.AddOrgKey(w.fx.Org.ID, "lonely", "")
	r := w.runner()
	listed, err := r.Keys.List(context.Background(), keys.ListOptions{OrgID: w.fx.Org.ID})
	if err != nil {
		t.Fatal(err)
	}
	var lonely []keys.Key
	for _, k := range listed.Keys {
		if k.ID == id {
			lonely = append(lonely, k)
		}
	}
	outDir := filepath.Join(w.home, "out")
	if err := os.Mkdir(outDir, 0o700); err != nil {
		t.Fatal(err)
	}
	items := handoff.PlanBatch(lonely, nil, r.Keys, handoff.BatchOptions{Now: time.Now().Add(time.Hour), OutDir: outDir})
	handoff.OpenBatch(items, destination.Env{Getenv: w.getenv, Redactor: w.red})
	results := r.RunBatch(context.Background(), items, false, nil)
	if len(results) != 1 || results[0].Failed() {
		t.Fatalf("results %+v", results)
	}
	b, err := os.ReadFile(filepath.Join(outDir, results[0].NewName+".token"))
	if err != nil || !strings.HasPrefix(string(b), "napi_") || w.live(id) {
		t.Fatalf("token file %q (%v); old key live %v", b, err, w.live(id))
	}
}
