package neontest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock for deterministic timestamps.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends one plain net/http request to srv; path is relative to the base URL.
func do(t testing.TB, srv *Server, method, path, token, body string) response {
	t.Helper()
	return callHeader(t, srv, method, path, token, body, nil)
}

func callHeader(t testing.TB, srv *Server, method, path, token, body string, hdr http.Header) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL()+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func decode[T any](t testing.TB, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decoding %q: %v", r.Body, err)
	}
	return v
}

// apiError is the GeneralError shape as a client would read it.
type apiError struct {
	Code      *string `json:"code"`
	Message   string  `json:"message"`
	RequestID string  `json:"request_id"`
}

func wantError(t testing.TB, r response, status int, msgPart string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	e := decode[apiError](t, r)
	if e.Code == nil || *e.Code != "" {
		t.Errorf("code %v, want \"\"", e.Code)
	}
	if !strings.Contains(e.Message, msgPart) {
		t.Errorf("message %q, want it to contain %q", e.Message, msgPart)
	}
	if e.RequestID == "" {
		t.Errorf("request_id is empty")
	}
}

func wantStatus(t testing.TB, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
}

// listItem mirrors ApiKeysListResponseItem as a client decodes it.
type listItem struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
	CreatedBy struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Image string `json:"image"`
	} `json:"created_by"`
	LastUsedAt       *string `json:"last_used_at"`
	LastUsedFromAddr string  `json:"last_used_from_addr"`
	ProjectID        *string `json:"project_id"`
}

type created struct {
	ID        int64   `json:"id"`
	Key       *string `json:"key"`
	Name      string  `json:"name"`
	CreatedAt string  `json:"created_at"`
	CreatedBy string  `json:"created_by"`
	ProjectID *string `json:"project_id"`
}

type revoked struct {
	ID               int64   `json:"id"`
	Name             string  `json:"name"`
	CreatedAt        string  `json:"created_at"`
	CreatedBy        string  `json:"created_by"`
	LastUsedAt       *string `json:"last_used_at"`
	LastUsedFromAddr *string `json:"last_used_from_addr"`
	Revoked          bool    `json:"revoked"`
	ProjectID        *string `json:"project_id"`
}

func names(items []listItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Name
	}
	return out
}
