// Command mutate is the mutation audit of neonkeys' tests: it plants each bug
// of a list (mutations.yaml) in the product code, one at a time, runs the
// tests that should catch it, and reports whether they did.
//
// A bug is planted through an overlay (go help build, -overlay), passed in
// GOFLAGS so that the go commands the tests run themselves (the e2e tests
// build the binary) see the mutated file too. The working tree is never
// written. See README.md in this folder.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is what the flags choose.
type config struct {
	list     string        // the mutation list (YAML)
	root     string        // the module root the list's paths are relative to
	only     []string      // ids to run; all when empty
	race     bool          // go test -race
	timeout  time.Duration // go test -timeout, per mutation
	baseline bool          // first check that the unmutated tests pass
	verbose  bool          // print the go test output of each mutation
	dryRun   bool          // only check that every snippet applies
	// allGroups runs every test group of a mutation even after one caught
	// it, to see everything that catches it.
	allGroups bool
	rev       string // audit the committed tree at rev instead of the working tree
}

// run parses the flags, runs the audit and returns the exit code: 0 when every
// mutation was caught, 1 when one survived or broke, 2 on bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "mutate: %v\n", err)
		return 2
	}
	ms, err := loadMutations(cfg.list)
	if err != nil {
		fmt.Fprintf(stderr, "mutate: %v\n", err)
		return 2
	}
	if ms, err = selectMutations(ms, cfg.only); err != nil {
		fmt.Fprintf(stderr, "mutate: %v\n", err)
		return 2
	}
	if cfg.rev != "" {
		dir, cleanup, err := snapshot(ctx, cfg.root, cfg.rev)
		if err != nil {
			fmt.Fprintf(stderr, "mutate: %v\n", err)
			return 1
		}
		defer cleanup()
		what := "the tree committed at " + cfg.rev
		if cfg.rev == "." {
			what = "the working tree as it was at the start"
		}
		fmt.Fprintf(stderr, "auditing a copy of %s, in %s\n", what, dir)
		cfg.root = dir
	}
	results, err := audit(ctx, cfg, ms, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "mutate: %v\n", err)
		return 1
	}
	printReport(stdout, results)
	for _, r := range results {
		if r.Outcome == Survived || r.Outcome == Broken {
			return 1
		}
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	var only string
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.list, "list", "", "mutation list (default: internal/mutate/mutations.yaml under -root)")
	fs.StringVar(&cfg.root, "root", "", "module root (default: the module of the current directory)")
	fs.StringVar(&only, "run", "", "comma-separated mutation ids to run (default: all)")
	fs.BoolVar(&cfg.race, "race", false, "run the tests with -race (slower)")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "go test -timeout for each mutation")
	fs.BoolVar(&cfg.baseline, "baseline", true, "first run the same tests unmutated; they must pass")
	fs.BoolVar(&cfg.verbose, "v", false, "print the go test output of every mutation")
	fs.StringVar(&cfg.rev, "rev", "", "audit a copy: of the tree committed at this git revision (e.g. HEAD), or with \".\" of the working tree as it is now")
	fs.BoolVar(&cfg.allGroups, "all", false, "run every test group of a mutation, also after one caught it")
	fs.BoolVar(&cfg.dryRun, "n", false, "only check that every mutation applies and compiles")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./internal/mutate [-rev HEAD] [-run id,id] [-race] [-timeout d] [-baseline=false] [-v] [-n]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q (use -run id,id)", fs.Args())
	}
	if only != "" {
		for _, id := range strings.Split(only, ",") {
			if id = strings.TrimSpace(id); id != "" {
				cfg.only = append(cfg.only, id)
			}
		}
	}
	if cfg.root == "" {
		root, err := moduleRoot()
		if err != nil {
			return cfg, err
		}
		cfg.root = root
	}
	if cfg.list == "" {
		cfg.list = cfg.root + "/internal/mutate/mutations.yaml"
	}
	return cfg, nil
}
