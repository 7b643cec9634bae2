package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

// Targets of the benchmark issue.
const (
	targetCLISpeedup  = 50.0
	targetCLIRSSShare = 5.0 // ≤ 1/5 of the peer's peak RSS
	targetFloorGap    = 3 * time.Millisecond
	targetMCPSpeedup  = 20.0
	targetMCPCold     = 15 * time.Millisecond
	targetCallP50     = 500 * time.Microsecond
	targetCallP99     = 2 * time.Millisecond
	targetCallVsRaw   = 2.0
	targetConcurrent  = 150 * time.Millisecond
	targetScaleList   = 100 * time.Millisecond
	targetMCPRSSKiB   = 25 * 1024
	concurrentCalls   = 40
	concurrentRepeats = 5
	warmCalls         = 20
	scaleMCPCalls     = 20
	peerScaleRuns     = 3
	listToolName      = "list_api_keys"
	scaleNameFilter   = "key-1"
	scaleLimit        = 50
)

func (b *bench) add(r row) { b.rows = append(b.rows, r) }

func (b *bench) fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "bench: %s: %v\n", what, err)
	b.add(row{what: what, ours: errText(err)})
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// cliCold: `neonkeys list -o json` vs `neon api-keys list -o json` vs the Go floor.
func (b *bench) cliCold(ctx context.Context) {
	progress("CLI cold runs (%d neonkeys, %d floor, %d neon)", b.cfg.runs, b.cfg.runs, b.cfg.neonRuns)
	ours := b.coldSubject(b.neonkeysList(b.small), b.cfg.runs, 1)
	floor := b.coldSubject(b.floorGET(b.small), b.cfg.runs, 1)
	subjects := []*subject{ours, floor}
	var peer *subject
	if b.peers() {
		peer = b.coldSubject(b.neonList(b.small), b.cfg.neonRuns, 1)
		subjects = append(subjects, peer)
	}
	alternate(ctx, 2, subjects)
	if ours.err != nil {
		b.fail("`neonkeys list -o json`, cold", ours.err)
		return
	}
	what := fmt.Sprintf("`list -o json` cold, wall (median of %d)", ours.out.n())
	switch {
	case peer == nil:
		b.add(row{what: what, ours: dur(ours.out.wall()), ref: "neon: not run (no peers)", target: "≥ 50× faster"})
	case peer.err != nil:
		b.add(row{what: what, ours: dur(ours.out.wall()), ref: "neon: " + errText(peer.err), target: "≥ 50× faster"})
	default:
		speedup := float64(peer.out.wall()) / float64(ours.out.wall())
		b.add(row{what: what, ours: dur(ours.out.wall()),
			ref:   fmt.Sprintf("`neon api-keys list`: %s (median of %d)", dur(peer.out.wall()), peer.out.n()),
			ratio: times(float64(peer.out.wall()), float64(ours.out.wall())) + " faster", target: "≥ 50× faster",
			verdict: verdict(speedup >= targetCLISpeedup)})
		share := float64(peer.out.rssKiB()) / float64(ours.out.rssKiB())
		b.add(row{what: "`list -o json` cold, peak RSS", ours: mib(ours.out.rssKiB()),
			ref:   "`neon api-keys list`: " + mib(peer.out.rssKiB()),
			ratio: fmt.Sprintf("1/%.1f", share), target: "≤ 1/5", verdict: verdict(share >= targetCLIRSSShare)})
	}
	if floor.err != nil {
		b.fail("Go floor", floor.err)
		return
	}
	gap := ours.out.wall() - floor.out.wall()
	b.add(row{what: "`list -o json` cold vs the Go floor (one GET)", ours: dur(ours.out.wall()),
		ref:   fmt.Sprintf("floor: %s, %s", dur(floor.out.wall()), mib(floor.out.rssKiB())),
		ratio: fmt.Sprintf("%+.2f ms", ms(gap)), target: "within 3 ms", verdict: verdict(gap <= targetFloorGap)})
}

// mcpCold: spawn → initialize → tools/list, neonkeys mcp vs mcp-server-neon.
func (b *bench) mcpCold(ctx context.Context) {
	progress("MCP cold starts (%d neonkeys, %d mcp-server-neon)", b.cfg.mcpRuns, b.cfg.mcpPeerRuns)
	ours := b.mcpColdSubject(b.neonkeysMCP(b.small), b.cfg.mcpRuns)
	subjects := []*subject{ours}
	var peer *subject
	if b.peers() {
		peer = b.mcpColdSubject(b.peerMCP(b.small), b.cfg.mcpPeerRuns)
		subjects = append(subjects, peer)
	}
	alternate(ctx, 1, subjects)
	what := "MCP cold start: spawn → initialize → tools/list"
	if ours.err != nil {
		b.fail(what, ours.err)
		return
	}
	what = fmt.Sprintf("%s (median of %d)", what, ours.out.n())
	absOK := ours.out.wall() <= targetMCPCold
	switch {
	case peer == nil:
		b.add(row{what: what, ours: dur(ours.out.wall()), ref: "not run (no peers)", target: "≥ 20× faster; ≤ 15 ms", verdict: verdict(absOK)})
	case peer.err != nil:
		b.add(row{what: what, ours: dur(ours.out.wall()), ref: "mcp-server-neon: " + errText(peer.err), target: "≥ 20× faster; ≤ 15 ms", verdict: verdict(absOK)})
	default:
		speedup := float64(peer.out.wall()) / float64(ours.out.wall())
		b.add(row{what: what, ours: dur(ours.out.wall()),
			ref:   fmt.Sprintf("mcp-server-neon 0.6.5: %s (median of %d)", dur(peer.out.wall()), peer.out.n()),
			ratio: times(float64(peer.out.wall()), float64(ours.out.wall())) + " faster", target: "≥ 20× faster; ≤ 15 ms",
			verdict: both(speedup >= targetMCPSpeedup, absOK)})
		b.add(row{what: "MCP peak RSS after tools/list", ours: mib(ours.out.rssKiB()),
			ref:   "mcp-server-neon: " + mib(peer.out.rssKiB()),
			ratio: fmt.Sprintf("1/%.1f", float64(peer.out.rssKiB())/float64(ours.out.rssKiB()))})
	}
}

// rawClient is the reference for per-call cost: plain Go HTTP with keep-alive.
func rawClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 2 * concurrentCalls
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

func rawGET(ctx context.Context, hc *http.Client, f *fake) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.host+"/api_keys", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+f.key)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("raw GET: status %d", resp.StatusCode)
	}
	return nil
}

// perCall: sequential list_api_keys calls over stdio, each followed by one
// raw GET (alternating), then the server's peak RSS.
func (b *bench) perCall(ctx context.Context) {
	progress("per-call cost (%d sequential calls)", b.cfg.calls)
	what := fmt.Sprintf("`%s` per call over stdio, %s sequential", listToolName, count(b.cfg.calls))
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	c, err := spawnMCP(b.neonkeysMCP(b.small), b.cfg.workdir)
	if err != nil {
		b.fail(what, err)
		return
	}
	defer c.close()
	if _, err := c.handshake(ctx); err != nil {
		b.fail(what, err)
		return
	}
	hc := rawClient()
	args := map[string]any{}
	for range warmCalls {
		if err := c.callTool(ctx, listToolName, args); err != nil {
			b.fail(what, err)
			return
		}
		if err := rawGET(ctx, hc, b.small); err != nil {
			b.fail(what, err)
			return
		}
	}
	calls := make([]time.Duration, 0, b.cfg.calls)
	raws := make([]time.Duration, 0, b.cfg.calls)
	pings := make([]time.Duration, 0, b.cfg.calls)
	for range b.cfg.calls {
		t := time.Now()
		if _, err := c.call(ctx, "ping", map[string]any{}); err != nil {
			b.fail(what, err)
			return
		}
		pings = append(pings, time.Since(t))
		t = time.Now()
		if err := c.callTool(ctx, listToolName, args); err != nil {
			b.fail(what, err)
			return
		}
		calls = append(calls, time.Since(t))
		t = time.Now()
		if err := rawGET(ctx, hc, b.small); err != nil {
			b.fail(what, err)
			return
		}
		raws = append(raws, time.Since(t))
	}
	rss, err := c.peakRSSKiB()
	if err != nil {
		b.fail(what, err)
		return
	}
	p50, p99 := percentile(calls, 50), percentile(calls, 99)
	r50, r99 := percentile(raws, 50), percentile(raws, 99)
	b.add(row{what: what + ": p50", ours: dur(p50), ref: "raw Go GET (keep-alive): " + dur(r50),
		ratio: fmt.Sprintf("%.1f× the raw GET", float64(p50)/float64(r50)), target: "≤ 0.5 ms; within 2× of the raw GET",
		verdict: both(p50 <= targetCallP50, float64(p50) <= targetCallVsRaw*float64(r50))})
	b.add(row{what: what + ": p99", ours: dur(p99), ref: "raw Go GET: " + dur(r99),
		ratio: fmt.Sprintf("%.1f× the raw GET", float64(p99)/float64(r99)), target: "≤ 2 ms", verdict: verdict(p99 <= targetCallP99)})
	b.add(row{what: "MCP round trip without an API call (`ping`): p50 / p99", ours: dur(percentile(pings, 50)) + " / " + dur(percentile(pings, 99)),
		ref: "the stdio and JSON-RPC share of a call"})
	b.add(row{what: fmt.Sprintf("`neonkeys mcp` peak RSS after %s calls", count(b.cfg.calls+warmCalls)), ours: mib(rss),
		target: "≤ 25 MiB", verdict: verdict(rss <= targetMCPRSSKiB)})
}

// concurrency: 40 list_api_keys calls at once against a fake that takes
// 50 ms per request; the time until the last answer.
func (b *bench) concurrency(ctx context.Context) {
	progress("concurrency (%d calls at once, 50 ms API latency)", concurrentCalls)
	what := fmt.Sprintf("%d concurrent `%s`, API latency 50 ms: total (median of %d)", concurrentCalls, listToolName, concurrentRepeats)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c, err := spawnMCP(b.neonkeysMCP(b.slow), b.cfg.workdir)
	if err != nil {
		b.fail(what, err)
		return
	}
	defer c.close()
	if _, err := c.handshake(ctx); err != nil {
		b.fail(what, err)
		return
	}
	if err := c.callTool(ctx, listToolName, map[string]any{}); err != nil {
		b.fail(what, err)
		return
	}
	c.startReader() // the burst's answers come back in any order
	hc := rawClient()
	var ours, raw []time.Duration
	for range concurrentRepeats {
		d, err := burst(func() error { return c.callTool(ctx, listToolName, map[string]any{}) })
		if err != nil {
			b.fail(what, err)
			return
		}
		ours = append(ours, d)
		d, err = burst(func() error { return rawGET(ctx, hc, b.slow) })
		if err != nil {
			b.fail(what, err)
			return
		}
		raw = append(raw, d)
	}
	b.add(row{what: what, ours: dur(median(ours)), ref: fmt.Sprintf("%d raw Go GETs at once: %s", concurrentCalls, dur(median(raw))),
		target: "≤ 150 ms", verdict: verdict(median(ours) <= targetConcurrent)})
}

// burst runs concurrentCalls calls of fn at once and returns the time until
// the last one ended.
func burst(fn func() error) (time.Duration, error) {
	var wg sync.WaitGroup
	errs := make(chan error, concurrentCalls)
	start := time.Now()
	for range concurrentCalls {
		wg.Go(func() {
			if err := fn(); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	close(errs)
	return d, <-errs
}
