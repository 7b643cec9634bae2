package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// coldTimeout bounds one cold run; Neon's CLI takes about 1.5 s.
const coldTimeout = 2 * time.Minute

// program is a command line and its environment.
type program struct {
	name string
	argv []string
	env  []string
}

// coldResult is one run of a program from spawn to exit, measured by runone.
type coldResult struct {
	wall   time.Duration
	rssKiB int64
	stdout []byte
}

// runCold runs p once through runone, which reports the child's own wall
// time and peak RSS (see bench/runone for why the driver cannot).
func runCold(ctx context.Context, runone string, p program) (coldResult, error) {
	ctx, cancel := context.WithTimeout(ctx, coldTimeout)
	defer cancel()
	r, w, err := os.Pipe()
	if err != nil {
		return coldResult{}, err
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, runone, p.argv...)
	cmd.Env = p.env
	cmd.ExtraFiles = []*os.File{w}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Start()
	w.Close()
	if err != nil {
		return coldResult{}, fmt.Errorf("%s: %w", p.name, err)
	}
	var rep struct {
		WallNS    int64 `json:"wall_ns"`
		MaxRSSKiB int64 `json:"maxrss_kib"`
		Exit      int   `json:"exit"`
	}
	decErr := json.NewDecoder(r).Decode(&rep)
	if err := cmd.Wait(); err != nil || decErr != nil {
		return coldResult{}, fmt.Errorf("%s: runone: %v %v: %s", p.name, err, decErr, tail(stderr.String()))
	}
	if rep.Exit != 0 {
		return coldResult{}, fmt.Errorf("%s exited %d: %s", p.name, rep.Exit, tail(stderr.String()))
	}
	return coldResult{wall: time.Duration(rep.WallNS), rssKiB: rep.MaxRSSKiB, stdout: stdout.Bytes()}, nil
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 400 {
		s = "…" + s[len(s)-400:]
	}
	return s
}

// subject is one side of an alternating comparison.
type subject struct {
	name string
	runs int // how many rounds it takes part in
	run  func(ctx context.Context) (time.Duration, int64, error)
	out  sample
	err  error
}

// alternate runs the subjects in rounds, rotating their order each round so
// no subject always goes first (caches, CPU frequency). warm runs of each
// come first and are not counted. A subject that fails stops taking part and
// keeps its error.
func alternate(ctx context.Context, warm int, subjects []*subject) {
	rounds := 0
	for _, s := range subjects {
		rounds = max(rounds, s.runs)
	}
	for _, s := range subjects {
		for range warm {
			if _, _, err := s.run(ctx); err != nil {
				s.err = err
				break
			}
		}
	}
	for r := range rounds {
		for i := range subjects {
			s := subjects[(i+r)%len(subjects)]
			if s.err != nil || s.out.n() >= s.runs {
				continue
			}
			wall, rss, err := s.run(ctx)
			if err != nil {
				s.err = err
				continue
			}
			s.out.add(wall, rss)
		}
	}
}
