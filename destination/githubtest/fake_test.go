package githubtest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/nacl/box"
)

// recordingTB keeps what the fake reports instead of failing the test.
type recordingTB struct {
	testing.TB
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func put(t *testing.T, s *Server, path, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, s.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The fake refuses, and reports, every request GitHub would refuse: a test
// against it cannot pass with a malformed delivery.
func TestFakeChecksTheShape(t *testing.T) {
	rec := &recordingTB{TB: t}
	s := New(rec, "ghp_x")
	sealed := func(value string, pub *[32]byte) string {
		out, err := box.SealAnonymous(nil, []byte(value), pub, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(out)
	}
	otherPub, _, _ := box.GenerateKey(rand.Reader)
	good := sealed("napi_value", s.pub)
	cases := []struct {
		name, path, body, want string
		status                 int
	}{
		{"stale key_id", "/repos/a/b/actions/secrets/S", `{"key_id":"1","encrypted_value":"` + good + `"}`, "key_id", 422},
		{"sealed for another key", "/repos/a/b/actions/secrets/S", `{"key_id":"` + s.keyID + `","encrypted_value":"` + sealed("v", otherPub) + `"}`, "does not open", 422},
		{"plain value", "/repos/a/b/actions/secrets/S", `{"key_id":"` + s.keyID + `","encrypted_value":"napi_value"}`, "", 422},
		{"unknown field", "/repos/a/b/actions/secrets/S", `{"key_id":"` + s.keyID + `","encrypted_value":"` + good + `","value":"x"}`, "unknown field", 400},
		{"org without visibility", "/orgs/a/actions/secrets/S", `{"key_id":"` + s.keyID + `","encrypted_value":"` + good + `"}`, "visibility", 422},
		{"visibility on a repo", "/repos/a/b/actions/secrets/S", `{"key_id":"` + s.keyID + `","encrypted_value":"` + good + `","visibility":"all"}`, "visibility", 422},
		{"wrong path", "/repos/a/b/secrets/S", `{}`, "unexpected request", 404},
	}
	for _, c := range cases {
		rec.errs = nil
		if got := put(t, s, c.path, c.body); got != c.status || len(rec.errs) != 1 || !strings.Contains(rec.errs[0], c.want) {
			t.Errorf("%s: status %d, reports %q; want %d and %q", c.name, got, rec.errs, c.status, c.want)
		}
	}
	if _, ok := s.RepoSecret("a/b", "S"); ok {
		t.Error("a refused PUT stored a secret")
	}
	rec.errs = nil
	if got := put(t, s, "/repos/a/b/actions/secrets/S", `{"key_id":"`+s.keyID+`","encrypted_value":"`+good+`"}`); got != 201 || len(rec.errs) != 0 {
		t.Fatalf("a good PUT: %d, %q", got, rec.errs)
	}
	if v, _ := s.RepoSecret("a/b", "S"); v.Value != "napi_value" {
		t.Errorf("stored %q", v.Value)
	}
}
