package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// sizeResult is what the scale runs found for one account size.
type sizeResult struct {
	keys             int
	list, floor      *subject
	neon             *subject // nil when not run at this size
	toolP50          time.Duration
	toolRSSKiB       int64
	toolErr          error
	toolArgsDescribe string
}

// scale: `neonkeys list -o json` and list_api_keys (filtered, limited) on
// accounts of 100 to 10,000 keys.
func (b *bench) scale(ctx context.Context) {
	var results []*sizeResult
	for i, n := range scaleSizes {
		progress("scale: %s keys", count(n))
		f := b.sized[n]
		r := &sizeResult{keys: n}
		r.list = b.coldSubject(b.neonkeysList(f), b.cfg.scaleRuns, n)
		r.floor = b.coldSubject(b.floorGET(f), b.cfg.scaleRuns, n)
		subjects := []*subject{r.list, r.floor}
		if b.peers() && (i == 0 || i == len(scaleSizes)-1) {
			r.neon = b.coldSubject(b.neonList(f), peerScaleRuns, n)
			subjects = append(subjects, r.neon)
		}
		alternate(ctx, 1, subjects)
		b.scaleTool(ctx, f, r)
		results = append(results, r)
	}
	for _, r := range results {
		neon := "—"
		if r.neon != nil {
			neon = cellOf(r.neon, func(s *subject) string { return dur(s.out.wall()) + ", " + mib(s.out.rssKiB()) })
		}
		tool := dur(r.toolP50) + ", " + mib(r.toolRSSKiB)
		if r.toolErr != nil {
			tool = errText(r.toolErr)
		}
		b.scaleRows = append(b.scaleRows, []string{
			count(r.keys),
			cellOf(r.list, func(s *subject) string { return dur(s.out.wall()) }),
			cellOf(r.list, func(s *subject) string { return mib(s.out.rssKiB()) }),
			cellOf(r.floor, func(s *subject) string { return dur(s.out.wall()) + ", " + mib(s.out.rssKiB()) }),
			neon, tool,
		})
	}
	b.scaleSummary(results)
}

func cellOf(s *subject, f func(*subject) string) string {
	if s.err != nil {
		return errText(s.err)
	}
	return f(s)
}

// scaleTool times list_api_keys with a name filter and a limit (the
// arguments the tool's schema offers) and reads the server's peak RSS.
func (b *bench) scaleTool(ctx context.Context, f *fake, r *sizeResult) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c, err := spawnMCP(b.neonkeysMCP(f), b.cfg.workdir)
	if err != nil {
		r.toolErr = err
		return
	}
	defer c.close()
	tools, err := c.handshake(ctx)
	if err != nil {
		r.toolErr = err
		return
	}
	props, err := toolProps(tools, listToolName)
	if err != nil {
		r.toolErr = err
		return
	}
	args := map[string]any{}
	for _, name := range []string{"name_contains", "name_filter", "name", "query", "filter"} {
		if props[name] {
			args[name] = scaleNameFilter
			break
		}
	}
	if props["limit"] {
		args["limit"] = scaleLimit
	}
	desc, _ := json.Marshal(args)
	r.toolArgsDescribe = "`" + string(desc) + "`"
	var ds []time.Duration
	for i := range scaleMCPCalls + 2 {
		t := time.Now()
		if err := c.callTool(ctx, listToolName, args); err != nil {
			r.toolErr = err
			return
		}
		if i >= 2 { // the first two warm the connection and the heap
			ds = append(ds, time.Since(t))
		}
	}
	r.toolP50 = median(ds)
	r.toolRSSKiB, r.toolErr = c.peakRSSKiB()
}

// scaleSummary adds the 10,000-key rows to the main table.
func (b *bench) scaleSummary(results []*sizeResult) {
	if len(results) == 0 {
		return
	}
	first, last := results[0], results[len(results)-1]
	what := fmt.Sprintf("%s keys: `list -o json` cold, wall", count(last.keys))
	if last.list.err != nil {
		b.fail(what, last.list.err)
		return
	}
	r := row{what: what, ours: dur(last.list.out.wall()), target: "≤ 100 ms", verdict: verdict(last.list.out.wall() <= targetScaleList)}
	if last.neon != nil && last.neon.err == nil {
		r.ref = "`neon api-keys list`: " + dur(last.neon.out.wall())
		r.ratio = times(float64(last.neon.out.wall()), float64(last.list.out.wall())) + " faster"
	}
	b.add(r)

	// Linear growth: peak RSS against the account's size, fitted with a
	// least-squares line over every size. A GC cycle makes peak RSS move in
	// steps, so two-point slopes are noise; a fit with R² ≥ 0.95 says the
	// memory each key costs does not rise with the account's size.
	var xs, ys []float64
	for _, r := range results {
		if r.list.err == nil {
			xs, ys = append(xs, float64(r.keys)), append(ys, float64(r.list.out.rssKiB()))
		}
	}
	if len(xs) >= 3 {
		slope, intercept, r2 := linearFit(xs, ys)
		b.add(row{what: fmt.Sprintf("%s keys: `list -o json` peak RSS", count(last.keys)), ours: mib(last.list.out.rssKiB()),
			ref:    fmt.Sprintf("%s keys: %s", count(first.keys), mib(first.list.out.rssKiB())),
			ratio:  fmt.Sprintf("fit over %d sizes: %.2f KiB/key + %s, R² = %.3f", len(xs), slope, mib(int64(intercept)), r2),
			target: "memory grows linearly (R² ≥ 0.95)", verdict: verdict(r2 >= 0.95)})
	}
	what = fmt.Sprintf("%s keys: `%s` %s, per call (median)", count(last.keys), listToolName, last.toolArgsDescribe)
	if last.toolErr != nil {
		b.fail(what, last.toolErr)
		return
	}
	b.add(row{what: what, ours: fmt.Sprintf("%s, %s peak", dur(last.toolP50), mib(last.toolRSSKiB)),
		ref: fmt.Sprintf("%s keys: %s, %s peak", count(first.keys), dur(first.toolP50), mib(first.toolRSSKiB))})
}
