package handoff

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

// BatchOptions choose which keys a bulk rotation replaces and where the
// tokens of keys no destination holds go.
type BatchOptions struct {
	// OlderThan selects keys created more than this long before Now.
	OlderThan time.Duration
	Now       time.Time
	// OnlyHeld leaves out the keys no destination holds, without listing
	// them as skipped.
	OnlyHeld bool
	// OutDir, when set, receives the tokens of the keys no destination
	// holds, as token files (<new name>.token, 0600); without it such keys
	// are skipped with the reason.
	OutDir string
}

// BatchItem is one planned rotation: the key, its replacement's name and
// the destinations it goes to, or the reason it is skipped.
type BatchItem struct {
	Key          keys.Key
	NewName      string
	Destinations []destination.Spec
	Skip         string
	// Opened are Destinations opened by OpenBatch, or OpenErr why they
	// could not be: the checks before the question and the rotation use
	// the same ones, so a GitHub credential is looked up once.
	Opened  []destination.Destination
	OpenErr error
}

// PlanBatch selects, among listed, the keys older than opts.OlderThan and
// plans a rotation of each to the destinations that hold it (cfg may be
// nil: no destination holds anything). Keys are taken in the order given.
func PlanBatch(listed []keys.Key, cfg *destination.Config, svc *keys.Service, opts BatchOptions) []BatchItem {
	cutoff := opts.Now.Add(-opts.OlderThan)
	var items []BatchItem
	outFiles := map[string]bool{}
	for _, k := range listed {
		if !k.CreatedAt.Before(cutoff) {
			continue
		}
		item := BatchItem{Key: k, NewName: svc.RotateRequest(k, "").Name}
		if cfg != nil {
			item.Destinations = cfg.HeldBy(k.Name)
		}
		if len(item.Destinations) == 0 {
			switch {
			case opts.OnlyHeld:
				continue
			case opts.OutDir != "":
				path := outFile(opts.OutDir, item, outFiles)
				outFiles[path] = true
				item.Destinations = []destination.Spec{{
					Name: "out-dir", Kind: destination.KindFile,
					File: &destination.FileSpec{Path: path},
				}}
			default:
				item.Skip = "no destination holds it (add holds: " + k.Name + " to one, or pass --include-unheld --out-dir DIR)"
			}
		}
		items = append(items, item)
	}
	skipShared(items, heldKeys(listed, cfg))
	return items
}

// heldKeys maps each configured destination to the names of the listed
// keys it holds, young ones included: a destination holding a key that is
// not planned (the replacement a --keep-old rotation left) still holds it.
func heldKeys(listed []keys.Key, cfg *destination.Config) map[string][]string {
	held := map[string][]string{}
	if cfg == nil {
		return held
	}
	for _, k := range listed {
		for _, d := range cfg.HeldBy(k.Name) {
			held[writes(d)] = append(held[writes(d)], k.Name)
		}
	}
	return held
}

// outFile is where --out-dir keeps item's token: <new name>.token, the
// name made a plain file name (a key name is free text and may hold ../),
// and the old key's id added when another planned key took that file
// (names repeat: the second token would replace the first).
func outFile(dir string, item BatchItem, taken map[string]bool) string {
	path, _ := secret.TokenFileName(dir, item.NewName)
	if taken[path] {
		path, _ = secret.TokenFileName(dir, fmt.Sprintf("%s-%d", item.NewName, item.Key.ID))
	}
	return path
}

// skipShared skips every key whose destination also holds another live
// key (svc and the svc-rotated-… a --keep-old rotation left): a
// destination keeps one token, so rotating into it would leave the other
// key live and held by nobody. held is heldKeys of every listed key; the
// --out-dir files are counted among the planned items.
func skipShared(items []BatchItem, held map[string][]string) {
	for _, it := range items {
		for _, d := range it.Destinations {
			if d.Name == "out-dir" && it.Skip == "" {
				held[writes(d)] = append(held[writes(d)], it.Key.Name)
			}
		}
	}
	for i, it := range items {
		if it.Skip != "" {
			continue
		}
		for _, d := range it.Destinations {
			if names := held[writes(d)]; len(names) > 1 {
				items[i].Skip = fmt.Sprintf("the destination %s holds %d live keys (%s) and can keep one token: revoke the one no longer in use, then rotate", d.Name, len(names), strings.Join(names, ", "))
				break
			}
		}
	}
}

// OpenBatch opens the destinations of each planned rotation not skipped,
// into its Opened (or OpenErr), for the checks and the run.
func OpenBatch(items []BatchItem, env destination.Env) {
	for i := range items {
		if items[i].Skip == "" {
			items[i].Opened, items[i].OpenErr = destination.Open(items[i].Destinations, env)
		}
	}
}

// BatchResult is one key's outcome: Outcome, or Err (nothing was minted
// for it), or skipped.
type BatchResult struct {
	BatchItem
	Outcome *Outcome
	Err     error
}

// Failed reports whether the key's rotation did not complete.
func (b BatchResult) Failed() bool {
	return b.Skip == "" && (b.Err != nil || b.Outcome == nil || !b.Outcome.Complete())
}

// RunBatch rotates the planned keys one at a time, each to its own
// destinations, and goes on past a failed key: one broken destination must
// not leave every other key unrotated. It stops before the next key when ctx
// ends. items come from OpenBatch; done (may be nil) sees each result as it
// is known.
func (r Runner) RunBatch(ctx context.Context, items []BatchItem, keepOld bool, done func(BatchResult)) []BatchResult {
	results := make([]BatchResult, 0, len(items))
	for _, item := range items {
		res := BatchResult{BatchItem: item}
		switch {
		case item.Skip != "":
		case ctx.Err() != nil:
			res.Err = fmt.Errorf("not started: %w", ctx.Err())
		default:
			res.Outcome, res.Err = r.rotateOne(ctx, item, keepOld)
		}
		results = append(results, res)
		if done != nil {
			done(res)
		}
	}
	return results
}

func (r Runner) rotateOne(ctx context.Context, item BatchItem, keepOld bool) (*Outcome, error) {
	if item.OpenErr != nil {
		return nil, item.OpenErr
	}
	old := item.Key
	return r.Run(ctx, Plan{
		Request:      r.Keys.RotateRequest(old, item.NewName),
		Old:          &old,
		Destinations: item.Opened,
		KeepOld:      keepOld,
	})
}

// writes is what a destination writes to: its name, or for a token file its
// path (the --out-dir files share one name).
func writes(d destination.Spec) string {
	if d.Kind == destination.KindFile && d.File != nil {
		return "file " + d.File.Path
	}
	return d.Name
}
