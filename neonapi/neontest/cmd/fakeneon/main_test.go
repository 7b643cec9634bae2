package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

func parseEnv(t *testing.T, s string) map[string]string {
	t.Helper()
	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			t.Fatalf("not a KEY=value line: %q", sc.Text())
		}
		env[k] = v
	}
	return env
}

func TestServeSeeded(t *testing.T) {
	envFile := filepath.Join(t.TempDir(), "fake.env")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testkit.SyncBuffer
	ready := make(chan *neontest.Server, 1)
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"-addr", "127.0.0.1:0", "-keys", "50", "-latency", "1ms", "-env-file", envFile}, &stdout, &stderr, ready)
	}()
	select {
	case <-ready:
	case c := <-code:
		t.Fatalf("exited with %d: %s", c, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("not ready in 10s")
	}
	env := parseEnv(t, stdout.String())
	for _, k := range []string{"NEON_API_HOST", "NEON_API_KEY", "NEON_ORG_ID", "NEON_PROJECT_ID", "NEON_ORG_API_KEY", "NEON_PROJECT_API_KEY"} {
		if env[k] == "" {
			t.Errorf("%s missing from %q", k, stdout.String())
		}
	}
	if !strings.HasPrefix(env["NEON_API_HOST"], "http://127.0.0.1:") || !strings.HasSuffix(env["NEON_API_HOST"], "/api/v2") {
		t.Errorf("NEON_API_HOST %q", env["NEON_API_HOST"])
	}
	file, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(file) != stdout.String() {
		t.Errorf("env file differs from stdout")
	}
	if fi, _ := os.Stat(envFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("env file mode %v", fi.Mode().Perm())
	}

	req, _ := http.NewRequest("GET", env["NEON_API_HOST"]+"/api_keys", nil)
	req.Header.Set("Authorization", "Bearer "+env["NEON_API_KEY"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var keys []json.RawMessage
	err = json.NewDecoder(res.Body).Decode(&keys)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || len(keys) != 51 {
		t.Fatalf("GET /api_keys: %d, %d keys, %v", res.StatusCode, len(keys), err)
	}

	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit code %d", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not stop on cancel")
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:8080", "example.com:80", "127.0.0.1", "127.0.0.1:http"} {
		t.Run(addr, func(t *testing.T) {
			var stdout, stderr testkit.SyncBuffer
			if c := run(context.Background(), []string{"-addr", addr}, &stdout, &stderr, nil); c != 2 {
				t.Errorf("exit %d, want 2", c)
			}
			if stdout.String() != "" {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0", "127.1.2.3:0"} {
		if err := checkLoopback(addr); err != nil {
			t.Errorf("%s refused: %v", addr, err)
		}
	}
}
