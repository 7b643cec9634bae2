// Package githubtest is an in-memory fake of the part of GitHub's REST API
// that sets Actions secrets: the public keys and the PUTs of repository,
// environment and organization secrets. It checks each request's shape
// (path, credential, JSON body, key_id) and opens every sealed value with
// its private key, so a test can read back the exact value stored. Faults
// make it answer a status of the test's choice.
package githubtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/nacl/box"
)

// Value in a fault's body is replaced by the opened secret value, so a test
// can make GitHub's error quote what was sent.
const Value = "{{value}}"

// Server is the fake. Its URL is what GITHUB_API_URL is set to.
type Server struct {
	URL   string
	Token string // the credential every request must carry as a bearer

	t     testing.TB
	srv   *httptest.Server
	keyID string
	pub   *[32]byte
	priv  *[32]byte

	mu       sync.Mutex
	secrets  map[string]Secret
	faults   []*Fault
	requests []Request
	hold     *barrier
}

// Secret is a stored secret, opened.
type Secret struct {
	Value      string
	Visibility string // organization secrets only
}

// Request is one request the fake served.
type Request struct {
	Method, Path string
	Status       int
}

// Fault makes the fake answer Status with Body to the Nth request (1-based;
// 0: every one) whose method is Method and whose path ends with PathSuffix.
// A PUT answered by a fault stores nothing.
type Fault struct {
	Method     string
	PathSuffix string
	Nth        int
	Status     int
	Body       string

	seen int
}

// New starts a fake for t, stopped at the end of the test.
func New(t testing.TB, token string) *Server {
	t.Helper()
	pub, priv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, Token: token, keyID: "568250167242549743", pub: pub, priv: priv, secrets: map[string]Secret{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// AddFault installs a fault.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// HoldPuts makes every PUT wait until n PUTs are in flight at once (or 30 s
// have passed, then answer 500): a test proves deliveries run concurrently
// by the deliveries succeeding, not by timing them.
func (s *Server) HoldPuts(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = &barrier{want: n, all: make(chan struct{})}
}

type barrier struct {
	mu   sync.Mutex
	want int
	got  int
	all  chan struct{}
}

func (b *barrier) arrive() bool {
	b.mu.Lock()
	b.got++
	if b.got == b.want {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		return true
	case <-time.After(30 * time.Second): // only when the deliveries are not concurrent
		return false
	}
}

// RepoSecret returns the opened value of a repository secret.
func (s *Server) RepoSecret(repo, name string) (Secret, bool) {
	return s.get("repos/" + repo + "/actions/secrets/" + name)
}

// EnvSecret returns the opened value of an environment secret.
func (s *Server) EnvSecret(repo, env, name string) (Secret, bool) {
	return s.get("repos/" + repo + "/environments/" + env + "/secrets/" + name)
}

// OrgSecret returns the opened value of an organization secret.
func (s *Server) OrgSecret(org, name string) (Secret, bool) {
	return s.get("orgs/" + org + "/actions/secrets/" + name)
}

// SetRepoSecret stores a value, as if set before the test.
func (s *Server) SetRepoSecret(repo, name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets["repos/"+repo+"/actions/secrets/"+name] = Secret{Value: value}
}

func (s *Server) get(key string) (Secret, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.secrets[key]
	return v, ok
}

// Requests returns the requests served so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests had the method.
func (s *Server) Count(method string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method {
			n++
		}
	}
	return n
}

var (
	publicKeyPath = regexp.MustCompile(`^/(repos/[^/]+/[^/]+/actions|repos/[^/]+/[^/]+/environments/[^/]+|orgs/[^/]+/actions)/secrets/public-key$`)
	secretPath    = regexp.MustCompile(`^/(repos/[^/]+/[^/]+/actions|repos/[^/]+/[^/]+/environments/[^/]+|orgs/[^/]+/actions)/secrets/([A-Za-z_][A-Za-z0-9_]*)$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	status := s.handle(w, r)
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.EscapedPath(), Status: status})
	s.mu.Unlock()
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) int {
	path, err := url.PathUnescape(r.URL.EscapedPath())
	if err != nil {
		return s.reject(w, http.StatusBadRequest, "bad path %q", r.URL.EscapedPath())
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+s.Token {
		return s.answer(w, http.StatusUnauthorized, `{"message":"Bad credentials"}`)
	}
	if accept := r.Header.Get("Accept"); !strings.Contains(accept, "application/vnd.github") && !strings.Contains(accept, "application/json") {
		return s.reject(w, http.StatusBadRequest, "%s %s: Accept %q", r.Method, path, accept)
	}
	switch {
	case r.Method == http.MethodGet && publicKeyPath.MatchString(path):
		if f := s.fault(r.Method, path); f != nil {
			return s.answer(w, f.Status, f.Body)
		}
		return s.answer(w, http.StatusOK, fmt.Sprintf(`{"key_id":%q,"key":%q}`, s.keyID, base64.StdEncoding.EncodeToString(s.pub[:])))
	case r.Method == http.MethodPut && secretPath.MatchString(path):
		return s.put(w, r, path)
	}
	return s.reject(w, http.StatusNotFound, "unexpected request %s %s", r.Method, path)
}

func (s *Server) put(w http.ResponseWriter, r *http.Request, path string) int {
	org := strings.HasPrefix(path, "/orgs/")
	var body struct {
		KeyID          string  `json:"key_id"`
		EncryptedValue string  `json:"encrypted_value"`
		Visibility     *string `json:"visibility"`
		SelectedRepos  []int64 `json:"selected_repository_ids"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return s.reject(w, http.StatusBadRequest, "PUT %s: Content-Type %q", path, ct)
	}
	if err := dec.Decode(&body); err != nil {
		return s.reject(w, http.StatusBadRequest, "PUT %s: body: %v", path, err)
	}
	switch {
	case body.KeyID != s.keyID:
		return s.reject(w, http.StatusUnprocessableEntity, "PUT %s: key_id %q, want %q", path, body.KeyID, s.keyID)
	case org && (body.Visibility == nil || (*body.Visibility != "all" && *body.Visibility != "private" && *body.Visibility != "selected")):
		return s.reject(w, http.StatusUnprocessableEntity, "PUT %s: an organization secret needs visibility all, private or selected", path)
	case !org && (body.Visibility != nil || body.SelectedRepos != nil):
		return s.reject(w, http.StatusUnprocessableEntity, "PUT %s: visibility on a repository secret", path)
	}
	sealed, err := base64.StdEncoding.DecodeString(body.EncryptedValue)
	if err != nil {
		return s.reject(w, http.StatusUnprocessableEntity, "PUT %s: encrypted_value is not base64", path)
	}
	plain, ok := box.OpenAnonymous(nil, sealed, s.pub, s.priv)
	if !ok {
		return s.reject(w, http.StatusUnprocessableEntity, "PUT %s: encrypted_value does not open with the public key's private key", path)
	}
	s.mu.Lock()
	hold := s.hold
	s.mu.Unlock()
	if hold != nil && !hold.arrive() {
		return s.answer(w, http.StatusInternalServerError, `{"message":"the PUTs did not arrive together"}`)
	}
	if f := s.fault(r.Method, path); f != nil {
		return s.answer(w, f.Status, strings.ReplaceAll(f.Body, Value, string(plain)))
	}
	sec := Secret{Value: string(plain)}
	if body.Visibility != nil {
		sec.Visibility = *body.Visibility
	}
	key := strings.TrimPrefix(path, "/")
	s.mu.Lock()
	_, existed := s.secrets[key]
	s.secrets[key] = sec
	s.mu.Unlock()
	if existed {
		return s.answer(w, http.StatusNoContent, "")
	}
	return s.answer(w, http.StatusCreated, "{}")
}

func (s *Server) fault(method, path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Method != method || !strings.HasSuffix(path, f.PathSuffix) {
			continue
		}
		f.seen++
		if f.Nth == 0 || f.Nth == f.seen {
			return f
		}
	}
	return nil
}

// reject answers a request whose shape is wrong, and fails the test: the
// code under test sent what GitHub would not accept.
func (s *Server) reject(w http.ResponseWriter, status int, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	s.t.Errorf("githubtest: %s", msg)
	b, _ := json.Marshal(map[string]string{"message": msg})
	return s.answer(w, status, string(b))
}

func (s *Server) answer(w http.ResponseWriter, status int, body string) int {
	if body != "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	if body != "" && status != http.StatusNoContent {
		fmt.Fprint(w, body)
	}
	return status
}
