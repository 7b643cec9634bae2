package handoff_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/keys"
)

// TestBatchSkipsKeysThatShareADestination: a destination whose holds:
// matches two old keys (svc and the svc-rotated-… a --keep-old rotation
// left live) can hold only one token. Rotating both overwrote the first
// replacement with the second, leaving a live key that nobody holds; the
// plan must skip both and say why, and neither key may be touched.
func TestBatchSkipsKeysThatShareADestination(t *testing.T) {
	w := newWorld(t)
	old := time.Now().Add(-100 * 24 * time.Hour)
	var mine []int64
	for _, name := range []string{"svc", "svc-rotated-20250101T000000Z"} {
		_, id := w.srv.AddOrgKey(w.fx.Org.ID, name, "")
		w.srv.SetKeyCreatedAt(id, old)
		mine = append(mine, id)
	}
	cfg, err := destination.Parse([]byte("destinations:\n  svc-env:\n    dotenv: {path: ~/svc.env, var: NEON_API_KEY}\n    holds: svc\n"),
		filepath.Join(w.home, "config.yaml"), w.home)
	if err != nil {
		t.Fatal(err)
	}
	r := w.runner()
	listed, err := r.Keys.List(context.Background(), keys.ListOptions{OrgID: w.fx.Org.ID})
	if err != nil {
		t.Fatal(err)
	}
	var batch []keys.Key
	for _, k := range listed.Keys {
		if k.ID == mine[0] || k.ID == mine[1] {
			batch = append(batch, k)
		}
	}
	before := len(w.srv.LiveKeys())
	items := handoff.PlanBatch(batch, cfg, r.Keys, handoff.BatchOptions{OlderThan: 90 * 24 * time.Hour, Now: time.Now()})
	handoff.OpenBatch(items, destination.Env{Getenv: w.getenv, Redactor: w.red})
	results := r.RunBatch(context.Background(), items, false, nil)
	if len(results) != 2 {
		t.Fatalf("%d results, want 2", len(results))
	}
	for _, res := range results {
		if res.Outcome != nil || !strings.Contains(res.Skip, "svc-env") {
			t.Errorf("key %q: skip %q, outcome %+v; want skipped naming the shared destination svc-env", res.Key.Name, res.Skip, res.Outcome)
		}
	}
	for _, id := range mine {
		if !w.live(id) {
			t.Errorf("key %d was revoked", id)
		}
	}
	if live := len(w.srv.LiveKeys()); live != before {
		t.Errorf("%d live keys after the batch, want %d (no replacement minted)", live, before)
	}
}

// TestBatchSkipsAKeyWhoseDestinationHoldsAYoungerKey: after a --keep-old
// rotation both svc (old) and its young replacement are live, and the
// destination holds the replacement. A later bulk run selected only the old
// svc, rotated it into the destination and so left the replacement live
// and held by nobody. The old key must be skipped, naming the other key.
func TestBatchSkipsAKeyWhoseDestinationHoldsAYoungerKey(t *testing.T) {
	w := newWorld(t)
	_, oldID := w.srv.AddOrgKey(w.fx.Org.ID, "svc", "")
	w.srv.SetKeyCreatedAt(oldID, time.Now().Add(-100*24*time.Hour))
	_, youngID := w.srv.AddOrgKey(w.fx.Org.ID, "svc-rotated-20260101T000000Z", "")
	cfg, err := destination.Parse([]byte("destinations:\n  svc-env:\n    dotenv: {path: ~/svc.env, var: NEON_API_KEY}\n    holds: svc\n"),
		filepath.Join(w.home, "config.yaml"), w.home)
	if err != nil {
		t.Fatal(err)
	}
	r := w.runner()
	listed, err := r.Keys.List(context.Background(), keys.ListOptions{OrgID: w.fx.Org.ID})
	if err != nil {
		t.Fatal(err)
	}
	before := len(w.srv.LiveKeys())
	items := handoff.PlanBatch(listed.Keys, cfg, r.Keys, handoff.BatchOptions{OlderThan: 90 * 24 * time.Hour, Now: time.Now()})
	handoff.OpenBatch(items, destination.Env{Getenv: w.getenv, Redactor: w.red})
	results := r.RunBatch(context.Background(), items, false, nil)
	var svc *handoff.BatchResult
	for i := range results {
		if results[i].Key.ID == oldID {
			svc = &results[i]
		}
	}
	if svc == nil || svc.Outcome != nil || !strings.Contains(svc.Skip, "svc-rotated-20260101T000000Z") {
		t.Fatalf("the old svc: %+v; want skipped, naming the younger key its destination holds", svc)
	}
	if !w.live(oldID) || !w.live(youngID) || len(w.srv.LiveKeys()) != before {
		t.Error("a key was revoked or minted")
	}
}
