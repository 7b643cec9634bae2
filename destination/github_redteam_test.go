package destination

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/nacl/box"

	"github.com/neonkeys/neonkeys/destination/githubtest"
)

// TestGitHubPreflightRefusesAMalformedPublicKey: a public key the delivery
// cannot seal with (not base64, not 32 bytes) or a key_id with control
// characters must fail the preflight, before anything is minted; it used
// to pass, so the rotation minted a key and then failed to seal its token.
func TestGitHubPreflightRefusesAMalformedPublicKey(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(make([]byte, 32))
	cases := map[string]string{
		"not base64":       `{"key_id":"568250167242549743","key":"not base64!"}`,
		"31 bytes":         `{"key_id":"568250167242549743","key":"` + base64.StdEncoding.EncodeToString(make([]byte, 31)) + `"}`,
		"64 bytes":         `{"key_id":"568250167242549743","key":"` + base64.StdEncoding.EncodeToString(make([]byte, 64)) + `"}`,
		"key_id with ESC":  `{"key_id":"56825\u001b[2J0167","key":"` + good + `"}`,
		"key_id with line": `{"key_id":"56825\n0167","key":"` + good + `"}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			gh := githubtest.New(t, githubCred)
			gh.AddFault(githubtest.Fault{Method: "GET", PathSuffix: "/secrets/public-key", Status: 200, Body: body})
			d := mustOpen(t, testEnv(t, gh), githubConfig, "repo")[0]
			err := d.Preflight(t.Context())
			if err == nil || !strings.Contains(err.Error(), "public key of acme/shop") {
				t.Fatalf("preflight: %v; want a refusal naming the public key", err)
			}
			if strings.ContainsAny(err.Error(), "\x1b\n") {
				t.Errorf("the refusal quotes control characters: %q", err)
			}
		})
	}
}

// TestGitHubRedirectsAreNotFollowed: a 3xx from the GitHub API is an error,
// never followed. Followed, a 307 on the PUT replayed the sealed token to
// whatever origin Location named, and that origin's 201 counted as
// delivered (the old key then revoked while GitHub kept it); a 302 on the
// public key let another origin choose the key the token is sealed to.
func TestGitHubRedirectsAreNotFollowed(t *testing.T) {
	var sinkHits atomic.Int32
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sinkHits.Add(1)
		if r.Method == http.MethodGet {
			fmt.Fprintf(w, `{"key_id":"1","key":"%s"}`, base64.StdEncoding.EncodeToString(make([]byte, 32)))
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(sink.Close)
	pub, _, err := box.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, redirect := range []string{http.MethodGet, http.MethodPut} {
		t.Run(redirect, func(t *testing.T) {
			sinkHits.Store(0)
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method == redirect:
					http.Redirect(w, r, sink.URL+r.URL.Path, http.StatusTemporaryRedirect)
				case r.Method == http.MethodGet:
					fmt.Fprintf(w, `{"key_id":"1","key":"%s"}`, base64.StdEncoding.EncodeToString(pub[:]))
				default:
					w.WriteHeader(http.StatusNoContent)
				}
			}))
			t.Cleanup(api.Close)
			env := testEnv(t, nil)
			getenv := env.Getenv
			env.Getenv = func(k string) string {
				if k == EnvGitHubAPI {
					return api.URL
				}
				return getenv(k)
			}
			d := mustOpen(t, env, githubConfig, "repo")[0]
			err := d.Preflight(t.Context())
			if err == nil {
				_, err = d.Deliver(t.Context(), testToken)
			}
			if err == nil {
				t.Error("a redirected request counted as answered")
			}
			if n := sinkHits.Load(); n != 0 {
				t.Errorf("the redirect target got %d request(s), want none", n)
			}
		})
	}
}

// TestGitHubGhAuthTokenCannotHang: without GH_TOKEN the credential comes
// from `gh auth token`. A gh (a wrapper, a shim) that leaves a child
// holding its output after it exits used to hang the preflight until that
// child ended; now the lookup ends soon after gh does.
func TestGitHubGhAuthTokenCannotHang(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\nsleep 600 &\nexit 0\n"
	if err := os.WriteFile(filepath.Join(bin, "gh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	gh := githubtest.New(t, githubCred)
	env := testEnv(t, gh)
	getenv := env.Getenv
	env.Getenv = func(k string) string {
		switch k {
		case EnvGHToken, EnvGitHubToken:
			return ""
		case "PATH":
			return bin + ":" + getenv("PATH")
		}
		return getenv(k)
	}
	d := mustOpen(t, env, githubConfig, "repo")[0]
	done := make(chan error, 1)
	go func() { done <- d.Preflight(t.Context()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no GitHub credential") {
			t.Fatalf("preflight: %v; want no GitHub credential", err)
		}
	case <-time.After(60 * time.Second): // generous for -race: the fix returns within about a second
		t.Fatal("the preflight hung on gh's child")
	}
}
