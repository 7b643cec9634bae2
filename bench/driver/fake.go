package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// fake is a running fakeneon process (the fake Neon API on loopback).
type fake struct {
	cmd  *exec.Cmd
	host string // NEON_API_HOST, e.g. http://127.0.0.1:40123/api/v2
	key  string // NEON_API_KEY of the account the fake serves
	keys int
}

// startFake runs fakeneon with nKeys extra personal keys (0: its default
// account) and the given per-request latency, and reads the environment it
// prints.
func startFake(ctx context.Context, bin string, nKeys int, latency time.Duration) (*fake, error) {
	args := []string{"-addr", "127.0.0.1:0"}
	if nKeys > 0 {
		args = append(args, "-keys", fmt.Sprint(nKeys))
	}
	if latency > 0 {
		args = append(args, "-latency", latency.String())
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start fakeneon: %w", err)
	}
	f := &fake{cmd: cmd, keys: nKeys}
	found := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
			if v, ok := strings.CutPrefix(line, "NEON_API_HOST="); ok {
				f.host = strings.Trim(v, `"'`)
			}
			if v, ok := strings.CutPrefix(line, "NEON_API_KEY="); ok {
				f.key = strings.Trim(v, `"'`)
			}
			if f.host != "" && f.key != "" {
				found <- nil
				_, _ = io.Copy(io.Discard, out)
				return
			}
		}
		found <- fmt.Errorf("fakeneon ended without printing NEON_API_HOST and NEON_API_KEY (%v)", sc.Err())
	}()
	select {
	case err = <-found:
	case <-time.After(60 * time.Second):
		err = fmt.Errorf("fakeneon printed no environment within 60 s")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

func (f *fake) close() {
	if f == nil || f.cmd.Process == nil {
		return
	}
	_ = f.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = f.cmd.Process.Kill()
		<-done
	}
}
