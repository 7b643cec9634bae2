package neontest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawDo sends a request with a fresh connection (so Go's transport never
// replays it after a dropped connection) and returns transport errors.
func rawDo(ctx context.Context, srv *Server, method, path, token, body string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, srv.URL()+path, rd)
	if err != nil {
		return response{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}, err
}

func TestStatusFaults(t *testing.T) {
	httpDate := time.Date(2026, 3, 14, 15, 10, 0, 0, time.UTC).Format(http.TimeFormat)
	tests := []struct {
		name      string
		fault     Fault
		status    int
		retry     string
		body      string // exact body; "" = a GeneralError with msg
		msg       string
		wantCType string
	}{
		{"429 seconds", Fault{Status: 429, RetryAfter: "1"}, 429, "1", "", "too many requests", "application/json"},
		{"429 http-date", Fault{Status: 429, RetryAfter: httpDate}, 429, httpDate, "", "too many requests", "application/json"},
		{"500", Fault{Status: 500}, 500, "", "", "internal server error", "application/json"},
		{"502", Fault{Status: 502}, 502, "", "", "bad gateway", "application/json"},
		{"503", Fault{Status: 503, RetryAfter: "2"}, 503, "2", "", "service unavailable", "application/json"},
		{"423", Fault{Status: 423, Message: "project already has running operations"}, 423, "", "", "running operations", "application/json"},
		{"403", Fault{Status: 403}, 403, "", "", "forbidden", "application/json"},
		{"404", Fault{Status: 404}, 404, "", "", "not found", "application/json"},
		{"409", Fault{Status: 409, Message: "choose another unique name for api key"}, 409, "", "", "unique name", "application/json"},
		{"html body", Fault{Status: 502, Body: "<html>bad gateway</html>", ContentType: "text/html"}, 502, "", "<html>bad gateway</html>", "", "text/html"},
		{"empty body", Fault{Status: 500, EmptyBody: true}, 500, "", "", "", "application/json"},
		{"truncated JSON", Fault{Status: 500, Body: `{"code":"","mess`}, 500, "", `{"code":"","mess`, "", "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := New(t)
			fx := srv.Seed()
			srv.Inject(tt.fault)
			r := do(t, srv, "GET", "/api_keys", fx.AdminToken, "")
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d", r.Status, tt.status)
			}
			if got := r.Header.Get("Retry-After"); got != tt.retry {
				t.Errorf("Retry-After %q, want %q", got, tt.retry)
			}
			if got := r.Header.Get("Content-Type"); got != tt.wantCType {
				t.Errorf("Content-Type %q, want %q", got, tt.wantCType)
			}
			switch {
			case tt.fault.EmptyBody:
				if len(r.Body) != 0 {
					t.Errorf("body %q, want empty", r.Body)
				}
			case tt.body != "":
				if string(r.Body) != tt.body {
					t.Errorf("body %q, want %q", r.Body, tt.body)
				}
			default:
				wantError(t, r, tt.status, tt.msg)
			}
			// One application only: the next request is served normally.
			wantStatus(t, do(t, srv, "GET", "/api_keys", fx.AdminToken, ""), 200)
		})
	}
}

func TestFaultMatchingAndCount(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()
	srv.Inject(Fault{Method: "POST", Path: "/organizations/", Status: 503, Count: 2})
	wantStatus(t, do(t, srv, "GET", "/api_keys", fx.AdminToken, ""), 200)                  // method differs
	wantStatus(t, do(t, srv, "POST", "/api_keys", fx.AdminToken, `{"key_name":"a"}`), 200) // path differs
	wantStatus(t, do(t, srv, "GET", "/organizations/"+fx.Org.ID+"/api_keys", fx.AdminToken, ""), 200)
	if n := srv.PendingFaults(); n != 2 {
		t.Fatalf("pending %d, want 2", n)
	}
	orgPath := "/organizations/" + fx.Org.ID + "/api_keys"
	wantError(t, do(t, srv, "POST", orgPath, fx.AdminToken, `{"key_name":"b"}`), 503, "service unavailable")
	wantError(t, do(t, srv, "POST", orgPath, fx.AdminToken, `{"key_name":"b"}`), 503, "service unavailable")
	wantStatus(t, do(t, srv, "POST", orgPath, fx.AdminToken, `{"key_name":"b"}`), 200)
	if n := srv.PendingFaults(); n != 0 {
		t.Errorf("pending %d, want 0", n)
	}
	// A fault answered before any effect: exactly one key "b" exists.
	n := 0
	for _, k := range srv.LiveKeys() {
		if k.Name == "b" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d keys named b, want 1", n)
	}
	// Faults apply in queue order; ClearFaults drops them.
	srv.Inject(Fault{Status: 502}, Fault{Status: 504})
	wantError(t, do(t, srv, "GET", "/auth", fx.AdminToken, ""), 502, "bad gateway")
	srv.ClearFaults()
	wantStatus(t, do(t, srv, "GET", "/auth", fx.AdminToken, ""), 200)
}

func TestEchoAuthorization(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()
	srv.Inject(Fault{EchoAuthorization: true})
	r := do(t, srv, "GET", "/api_keys", fx.AdminToken, "")
	wantError(t, r, 500, "upstream rejected Authorization: Bearer "+fx.AdminToken)
}

func TestDelayHangAndLatency(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()

	srv.Inject(Fault{Delay: 80 * time.Millisecond})
	start := time.Now()
	wantStatus(t, do(t, srv, "GET", "/auth", fx.AdminToken, ""), 200)
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("Delay: answered after %v", d)
	}

	srv.Inject(Fault{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := rawDo(ctx, srv, "GET", "/auth", fx.AdminToken, "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hang: err %v, want deadline exceeded", err)
	}

	srv.SetLatency(60 * time.Millisecond)
	start = time.Now()
	wantStatus(t, do(t, srv, "GET", "/auth", fx.AdminToken, ""), 200)
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("latency: answered after %v", d)
	}
	srv.SetLatency(10 * time.Second)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := rawDo(ctx2, srv, "GET", "/auth", fx.AdminToken, ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("latency with cancelled ctx: %v", err)
	}
	srv.SetLatency(0)

	// Status 0 in the log for the request that got no answer.
	waitFor(t, func() bool {
		for _, r := range srv.Requests() {
			if r.Fault != nil && r.Fault.Hang {
				return r.Status == 0
			}
		}
		return false
	})
}

// waitFor polls cond: server-side logging finishes just after the client
// gives up.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCloseEndsHangs(t *testing.T) {
	srv := NewServer()
	fx := srv.Seed()
	srv.Inject(Fault{Hang: true})
	errc := make(chan error, 1)
	go func() {
		_, err := rawDo(context.Background(), srv, "GET", "/auth", fx.AdminToken, "")
		errc <- err
	}()
	waitFor(t, func() bool { return len(srv.Requests()) == 1 })
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Close blocked on a hanging request")
	}
	if err := <-errc; err == nil {
		t.Errorf("hung request got an answer")
	}
}

func TestDropAndReset(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()

	srv.Inject(Fault{DropConnection: true})
	if _, err := rawDo(context.Background(), srv, "GET", "/api_keys", fx.AdminToken, ""); err == nil {
		t.Errorf("DropConnection: no error")
	}

	// Dropped before any effect: no key.
	srv.Inject(Fault{Method: "POST", DropConnection: true})
	if _, err := rawDo(context.Background(), srv, "POST", "/api_keys", fx.AdminToken, `{"key_name":"dropped"}`); err == nil {
		t.Errorf("DropConnection on create: no error")
	}
	// Processed, then dropped: the key exists although the client saw nothing.
	srv.Inject(Fault{Method: "POST", DropConnection: true, Processed: true})
	if _, err := rawDo(context.Background(), srv, "POST", "/api_keys", fx.AdminToken, `{"key_name":"ghost"}`); err == nil {
		t.Errorf("DropConnection+Processed: no error")
	}
	// Reset mid-body: the key is created, the client reads a truncated body.
	srv.Inject(Fault{Method: "POST", ResetMidBody: true})
	r, err := rawDo(context.Background(), srv, "POST", "/api_keys", fx.AdminToken, `{"key_name":"halfway"}`)
	if !errors.Is(err, io.ErrUnexpectedEOF) || r.Status != 200 {
		t.Errorf("ResetMidBody: status %d err %v, want 200 and unexpected EOF", r.Status, err)
	}
	if len(r.Body) == 0 || strings.HasSuffix(string(r.Body), "}") {
		t.Errorf("ResetMidBody body %q, want a non-empty prefix", r.Body)
	}
	// Processed + 500: created, but the answer is an error.
	srv.Inject(Fault{Method: "POST", Status: 500, Processed: true})
	wantError(t, do(t, srv, "POST", "/api_keys", fx.AdminToken, `{"key_name":"failed-but-made"}`), 500, "internal server error")

	live := map[string]bool{}
	for _, k := range srv.LiveKeys() {
		live[k.Name] = true
	}
	for name, want := range map[string]bool{"dropped": false, "ghost": true, "halfway": true, "failed-but-made": true} {
		if live[name] != want {
			t.Errorf("key %q exists: %v, want %v", name, live[name], want)
		}
	}
	var statuses []int
	for _, r := range srv.Mutations() {
		statuses = append(statuses, r.Status)
	}
	if fmt.Sprint(statuses) != "[0 0 200 500]" {
		t.Errorf("logged statuses %v, want [0 0 200 500]", statuses)
	}
}

func TestCreateTampering(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()
	orgPath := "/organizations/" + fx.Org.ID + "/api_keys"
	body := fmt.Sprintf(`{"key_name":%%q,"project_id":%q}`, fx.OrgProject.ID)

	// A tampering fault waits for a create: reads pass through.
	srv.Inject(Fault{OmitKey: true})
	wantStatus(t, do(t, srv, "GET", "/api_keys", fx.AdminToken, ""), 200)
	r := do(t, srv, "POST", orgPath, fx.AdminToken, fmt.Sprintf(body, "omit"))
	wantStatus(t, r, 200)
	if c := decode[created](t, r); c.Key != nil || strings.Contains(string(r.Body), `"key"`) {
		t.Errorf("OmitKey: key present: %s", r.Body)
	}

	srv.Inject(Fault{EmptyKey: true})
	r = do(t, srv, "POST", "/api_keys", fx.AdminToken, `{"key_name":"empty"}`)
	if c := decode[created](t, r); c.Key == nil || *c.Key != "" {
		t.Errorf("EmptyKey: %s", r.Body)
	}

	srv.Inject(Fault{WrongProjectID: "other-project-1"})
	r = do(t, srv, "POST", orgPath, fx.AdminToken, fmt.Sprintf(body, "wrong"))
	c := decode[created](t, r)
	if c.ProjectID == nil || *c.ProjectID != "other-project-1" || c.Key == nil || *c.Key == "" {
		t.Errorf("WrongProjectID: %s", r.Body)
	}
	stored, ok := srv.Key(c.ID)
	if !ok || stored.ProjectID != fx.OrgProject.ID {
		t.Errorf("stored key %+v, want project %s", stored, fx.OrgProject.ID)
	}
	for _, name := range []string{"omit", "empty", "wrong"} {
		found := false
		for _, k := range srv.LiveKeys() {
			found = found || k.Name == name
		}
		if !found {
			t.Errorf("tampered create %q did not create the key", name)
		}
	}
}

func TestRequestLog(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()
	do(t, srv, "GET", "/projects?limit=5&org_id="+fx.Org.ID, fx.AdminToken, "")
	r := do(t, srv, "POST", "/api_keys", fx.AdminToken, `{"key_name":"logged"}`)
	c := decode[created](t, r)
	do(t, srv, "DELETE", fmt.Sprintf("/api_keys/%d", c.ID), fx.AdminToken, "")
	do(t, srv, "GET", "/nowhere", "", "")

	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d entries, want 4", len(reqs))
	}
	g := reqs[0]
	if g.Method != "GET" || g.Path != "/projects" || g.RawQuery != "limit=5&org_id="+fx.Org.ID || g.Status != 200 {
		t.Errorf("entry 0: %s %s ? %s -> %d", g.Method, g.Path, g.RawQuery, g.Status)
	}
	if g.Header.Get("Authorization") != "Bearer "+fx.AdminToken || g.RequestID == "" {
		t.Errorf("entry 0 headers %v", g.Header)
	}
	p := reqs[1]
	if p.Path != "/api_keys" || string(p.Body) != `{"key_name":"logged"}` || p.Status != 200 || !strings.Contains(string(p.ResponseBody), *c.Key) {
		t.Errorf("entry 1: %s %q -> %d %q", p.Path, p.Body, p.Status, p.ResponseBody)
	}
	if reqs[3].Path != "/nowhere" || reqs[3].Status != 404 {
		t.Errorf("entry 3: %s -> %d", reqs[3].Path, reqs[3].Status)
	}
	// Entries are copies.
	reqs[0].Header.Set("Authorization", "changed")
	if srv.Requests()[0].Header.Get("Authorization") == "changed" {
		t.Errorf("Requests shares headers with the log")
	}
	muts := srv.Mutations()
	if len(muts) != 2 || muts[0].Method != "POST" || muts[1].Method != "DELETE" {
		t.Errorf("mutations %v", muts)
	}
	srv.ResetRequests()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d entries after reset", n)
	}
}

func TestRequestLogLimit(t *testing.T) {
	srv := New(t, WithRequestLogLimit(3))
	for range 5 {
		do(t, srv, "GET", "/auth", "", "")
	}
	do(t, srv, "GET", "/last", "", "")
	reqs := srv.Requests()
	if len(reqs) != 3 || reqs[2].Path != "/last" {
		t.Errorf("log %d entries, last %q", len(reqs), reqs[len(reqs)-1].Path)
	}
	off := New(t, WithoutRequestLog())
	do(t, off, "GET", "/auth", "", "")
	if n := len(off.Requests()); n != 0 {
		t.Errorf("WithoutRequestLog: %d entries", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := New(t)
	fx := srv.Seed()
	before := len(srv.LiveKeys())
	orgPath := "/organizations/" + fx.Org.ID + "/api_keys"
	const workers = 40
	var wg sync.WaitGroup
	ids := make(chan int64, workers)
	for i := range workers {
		wg.Go(func() {
			if i%5 == 0 {
				srv.Inject(Fault{Method: "GET", Path: "/auth", Status: 503})
			}
			path, tok := "/api_keys", fx.AdminToken
			if i%2 == 1 {
				path = orgPath
			}
			r := do(t, srv, "POST", path, tok, fmt.Sprintf(`{"key_name":"worker-%d"}`, i))
			if r.Status != 200 {
				t.Errorf("create %d: %d %s", i, r.Status, r.Body)
				return
			}
			c := decode[created](t, r)
			ids <- c.ID
			do(t, srv, "GET", path, tok, "")
			do(t, srv, "GET", "/projects?org_id="+fx.Org.ID, fx.MemberToken, "")
			do(t, srv, "GET", "/auth", *c.Key, "")
			_ = srv.Requests()
			_ = srv.TokenValid(*c.Key)
			if r := do(t, srv, "DELETE", fmt.Sprintf("%s/%d", path, c.ID), tok, ""); r.Status != 200 {
				t.Errorf("revoke %d: %d %s", i, r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("duplicate key id %d", id)
		}
		seen[id] = true
	}
	if len(seen) != workers {
		t.Errorf("%d keys created, want %d", len(seen), workers)
	}
	if after := len(srv.LiveKeys()); after != before {
		t.Errorf("%d live keys after, want %d", after, before)
	}
}
