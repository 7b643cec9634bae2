// Command driver runs the neonkeys benchmarks side by side with Neon's own
// tools (npm neon and @neondatabase/mcp-server-neon) against the fake Neon
// API on loopback, and prints a Markdown table. bench/run.sh is its entry
// point; run it from the module root.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// config is the driver's command line.
type config struct {
	neonkeys, floor, fakeneon, runone string // prebuilt binaries; empty: build them
	peers                             string // folder holding node_modules with the peers; empty: skip them

	runs        int // cold CLI runs of neonkeys and of the floor
	neonRuns    int // cold runs of `neon api-keys list`
	mcpRuns     int // cold starts of `neonkeys mcp`
	mcpPeerRuns int // cold starts of mcp-server-neon
	calls       int // sequential list_api_keys calls
	scaleRuns   int // cold runs per account size
	out         string
	workdir     string

	remoteMode bool // -remote: measure neonkeys mcp --http only
	remote     remoteConfig
}

func main() {
	var cfg config
	flag.StringVar(&cfg.neonkeys, "neonkeys", "", "neonkeys binary (default: build it)")
	flag.StringVar(&cfg.floor, "floor", "", "floor binary (default: build bench/floor)")
	flag.StringVar(&cfg.fakeneon, "fakeneon", "", "fakeneon binary (default: build it)")
	flag.StringVar(&cfg.runone, "runone", "", "runone binary (default: build bench/runone)")
	flag.StringVar(&cfg.peers, "peers", "", "folder whose node_modules holds neon and @neondatabase/mcp-server-neon (empty: no peers)")
	flag.IntVar(&cfg.runs, "runs", 21, "cold runs of neonkeys list and of the floor")
	flag.IntVar(&cfg.neonRuns, "neon-runs", 9, "cold runs of neon api-keys list")
	flag.IntVar(&cfg.mcpRuns, "mcp-runs", 21, "cold starts of neonkeys mcp")
	flag.IntVar(&cfg.mcpPeerRuns, "mcp-peer-runs", 5, "cold starts of mcp-server-neon")
	flag.IntVar(&cfg.calls, "calls", 1000, "sequential list_api_keys calls")
	flag.IntVar(&cfg.scaleRuns, "scale-runs", 7, "cold runs per account size")
	flag.StringVar(&cfg.out, "out", "", "also write the Markdown report to this file")
	flag.StringVar(&cfg.workdir, "workdir", "", "scratch folder (default: a new temporary one, removed at the end)")
	flag.BoolVar(&cfg.remoteMode, "remote", false, "measure only remote mode (neonkeys mcp --http) under load; no peers")
	flag.IntVar(&cfg.remote.clients, "remote-clients", 32, "with -remote: concurrent clients")
	flag.IntVar(&cfg.remote.calls, "remote-calls", 100_000, "with -remote: measured list_api_keys calls per setup")
	flag.IntVar(&cfg.remote.warm, "remote-warm", 5_000, "with -remote: calls before measuring")
	instances := flag.String("remote-instances", "1,3", "with -remote: the setups, as numbers of instances (comma-separated)")
	flag.BoolVar(&cfg.remote.pin, "remote-pin", false, "with -remote: also run each setup with its instances alone on CPU 1, clients, proxy and fake on CPU 0")
	flag.Parse()
	for _, f := range strings.Split(*instances, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: -remote-instances: %q is not a number of instances\n", f)
			os.Exit(2)
		}
		cfg.remote.instances = append(cfg.remote.instances, n)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) error {
	if cfg.workdir == "" {
		dir, err := os.MkdirTemp("", "neonkeys-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.workdir = dir
	}
	if cfg.remoteMode {
		return runRemote(ctx, cfg)
	}
	if err := buildAll(ctx, &cfg); err != nil {
		return err
	}
	b, err := newBench(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.close()

	started := time.Now()
	b.cliCold(ctx)
	b.mcpCold(ctx)
	b.perCall(ctx)
	b.concurrency(ctx)
	b.scale(ctx)
	b.binarySize()

	var rep bytes.Buffer
	b.writeReport(&rep, time.Since(started))
	os.Stdout.Write(rep.Bytes())
	if cfg.out != "" {
		if err := os.WriteFile(cfg.out, rep.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// buildAll builds every binary not given on the command line, the way a
// release is built (stripped, trimmed paths).
func buildAll(ctx context.Context, cfg *config) error {
	if _, err := os.Stat("go.mod"); err != nil {
		return fmt.Errorf("run from the module root (bench/run.sh does): %w", err)
	}
	builds := []struct {
		dst *string
		pkg string
	}{
		{&cfg.neonkeys, "."},
		{&cfg.floor, "./bench/floor"},
		{&cfg.fakeneon, "./neonapi/neontest/cmd/fakeneon"},
		{&cfg.runone, "./bench/runone"},
	}
	for _, bd := range builds {
		if *bd.dst != "" {
			continue
		}
		out := filepath.Join(cfg.workdir, "bin", filepath.Base(bd.pkg))
		if bd.pkg == "." {
			out = filepath.Join(cfg.workdir, "bin", "neonkeys")
		}
		fmt.Fprintf(os.Stderr, "bench: building %s\n", bd.pkg)
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, bd.pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", bd.pkg, err)
		}
		*bd.dst = out
	}
	return nil
}
