package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Paths of the peers inside their node_modules.
const (
	neonCLI       = "node_modules/neon/dist/cli.js"
	neonMCPServer = "node_modules/@neondatabase/mcp-server-neon/dist/index.js"
)

// scaleSizes are the account sizes of the scale runs: equal-ratio steps at the
// top show whether memory grows linearly.
var scaleSizes = []int{100, 1000, 2500, 5000, 7500, 10000}

// bench holds the running fakes and the results so far.
type bench struct {
	cfg  config
	home string // HOME of every measured process: no user config, no caches
	node string // node binary; empty when the peers are skipped

	small *fake         // the default small account
	slow  *fake         // the small account with 50 ms per request
	sized map[int]*fake // accounts of scaleSizes keys

	rows      []row
	scaleRows [][]string
	notes     []string
}

func newBench(ctx context.Context, cfg config) (*bench, error) {
	b := &bench{cfg: cfg, home: filepath.Join(cfg.workdir, "home"), sized: map[int]*fake{}}
	if err := os.MkdirAll(b.home, 0o700); err != nil {
		return nil, err
	}
	if cfg.peers != "" {
		for _, p := range []string{neonCLI, neonMCPServer} {
			if _, err := os.Stat(filepath.Join(cfg.peers, p)); err != nil {
				return nil, fmt.Errorf("peers folder %s: %w", cfg.peers, err)
			}
		}
		node, err := exec.LookPath("node")
		if err != nil {
			return nil, fmt.Errorf("the peers need node: %w", err)
		}
		b.node = node
	}
	var err error
	if b.small, err = startFake(ctx, cfg.fakeneon, 0, 0); err != nil {
		return nil, err
	}
	if b.slow, err = startFake(ctx, cfg.fakeneon, 0, 50*time.Millisecond); err != nil {
		b.close()
		return nil, err
	}
	for _, n := range scaleSizes {
		f, err := startFake(ctx, cfg.fakeneon, n, 0)
		if err != nil {
			b.close()
			return nil, err
		}
		b.sized[n] = f
	}
	return b, nil
}

func (b *bench) close() {
	b.small.close()
	b.slow.close()
	for _, f := range b.sized {
		f.close()
	}
}

func (b *bench) peers() bool { return b.node != "" }

// env is the whole environment of a measured process.
func (b *bench) env(f *fake) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + b.home,
		"LANG=C.UTF-8",
		"NEON_API_HOST=" + f.host,
		"NEON_API_KEY=" + f.key,
		"NO_UPDATE_NOTIFIER=1",
	}
}

func (b *bench) neonkeysList(f *fake) program {
	return program{name: "neonkeys list", argv: []string{b.cfg.neonkeys, "list", "-o", "json"}, env: b.env(f)}
}

func (b *bench) floorGET(f *fake) program {
	return program{name: "Go floor", argv: []string{b.cfg.floor}, env: b.env(f)}
}

func (b *bench) neonList(f *fake) program {
	return program{name: "neon api-keys list", env: b.env(f), argv: []string{
		b.node, filepath.Join(b.cfg.peers, neonCLI), "api-keys", "list", "-o", "json", "--analytics", "false",
	}}
}

func (b *bench) neonkeysMCP(f *fake) program {
	return program{name: "neonkeys mcp", argv: []string{b.cfg.neonkeys, "mcp"}, env: b.env(f)}
}

func (b *bench) peerMCP(f *fake) program {
	return program{name: "mcp-server-neon", env: b.env(f), argv: []string{
		b.node, filepath.Join(b.cfg.peers, neonMCPServer), "start", f.key, "--no-analytics",
	}}
}

// coldSubject measures cold runs of p; the first run's output must be JSON
// listing at least minItems keys.
func (b *bench) coldSubject(p program, runs, minItems int) *subject {
	checked := false
	return &subject{name: p.name, runs: runs, run: func(ctx context.Context) (time.Duration, int64, error) {
		res, err := runCold(ctx, b.cfg.runone, p)
		if err != nil {
			return 0, 0, err
		}
		if !checked {
			n, err := countItems(res.stdout)
			if err != nil {
				return 0, 0, fmt.Errorf("%s: output is not a JSON list: %w", p.name, err)
			}
			if n < minItems {
				return 0, 0, fmt.Errorf("%s listed %d keys, want at least %d", p.name, n, minItems)
			}
			checked = true
		}
		return res.wall, res.rssKiB, nil
	}}
}

// countItems counts the keys of a JSON listing: an array, or an object
// holding one array.
func countItems(out []byte) (int, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(out, &list); err == nil {
		return len(list), nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(out, &obj); err != nil {
		return 0, err
	}
	for _, v := range obj {
		if json.Unmarshal(v, &list) == nil {
			return len(list), nil
		}
	}
	return 0, errors.New("no array in the object")
}

// mcpColdSubject measures spawn → initialize answered → tools/list answered,
// and the peak RSS at that point.
func (b *bench) mcpColdSubject(p program, runs int) *subject {
	return &subject{name: p.name, runs: runs, run: func(ctx context.Context) (time.Duration, int64, error) {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		c, err := spawnMCP(p, b.cfg.workdir)
		if err != nil {
			return 0, 0, err
		}
		defer c.close()
		if _, err := c.handshake(ctx); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", p.name, err)
		}
		wall := time.Since(c.start)
		rss, err := c.peakRSSKiB()
		return wall, rss, err
	}}
}
