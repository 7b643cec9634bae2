package keys_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestCreateInterruptedRevokesTheKeyItMade: a create cut short after it was
// sent (5xx, dropped connection) leaves no live key: the key Neon stored is
// found by its name and revoked, and the error says so. When Neon stored
// nothing, or the only key of that name existed before, nothing is revoked.
func TestCreateInterruptedRevokesTheKeyItMade(t *testing.T) {
	tests := []struct {
		name        string
		req         func(fx *neontest.Fixture) keys.CreateRequest
		fault       neontest.Fault
		wantRevoked bool
		wantText    []string
	}{
		{"503 after Neon stored it", func(*neontest.Fixture) keys.CreateRequest { return keys.CreateRequest{Name: "cut"} },
			neontest.Fault{Method: http.MethodPost, Status: http.StatusServiceUnavailable, Processed: true}, true,
			[]string{`a key named "cut" was created as the request was interrupted (Neon answered 503)`, "was revoked at once"}},
		{"dropped connection after Neon stored it", func(fx *neontest.Fixture) keys.CreateRequest {
			return keys.CreateRequest{Name: "cut", ProjectID: fx.OrgProject.ID}
		}, neontest.Fault{Method: http.MethodPost, DropConnection: true, Processed: true}, true,
			[]string{`a key named "cut" was created`, "the connection to Neon failed", "was revoked at once"}},
		{"200 with an answer that is not JSON", func(*neontest.Fixture) keys.CreateRequest { return keys.CreateRequest{Name: "cut"} },
			neontest.Fault{Method: http.MethodPost, Status: http.StatusOK, Body: "<html>created</html>", ContentType: "text/html", Processed: true}, true,
			[]string{`a key named "cut" was created as the request was interrupted (Neon's answer could not be read)`, "was revoked at once"}},
		{"201 with an answer too large to read", func(*neontest.Fixture) keys.CreateRequest { return keys.CreateRequest{Name: "cut"} },
			neontest.Fault{Method: http.MethodPost, Status: http.StatusCreated, Body: `{"name":"` + strings.Repeat("x", 9<<20) + `"}`, Processed: true}, true,
			[]string{`a key named "cut" was created`, "was revoked at once"}},
		{"500 before Neon stored anything", func(*neontest.Fixture) keys.CreateRequest { return keys.CreateRequest{Name: "cut"} },
			neontest.Fault{Method: http.MethodPost, Status: http.StatusInternalServerError}, false,
			[]string{`no new key named "cut" was found`, "list your keys"}},
		{"a personal key of that name existed before", func(*neontest.Fixture) keys.CreateRequest { return keys.CreateRequest{Name: "laptop"} },
			neontest.Fault{Method: http.MethodPost, Status: http.StatusBadGateway, Count: 4}, false,
			[]string{`no new key named "laptop" was found`}},
		{"an org key of that name existed before", func(fx *neontest.Fixture) keys.CreateRequest {
			return keys.CreateRequest{Name: "ci", OrgID: fx.Org.ID}
		}, neontest.Fault{Method: http.MethodPost, Status: http.StatusBadGateway, Count: 4}, false,
			[]string{`no new key named "ci" was found`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx, svc := setup(t)
			req := tt.req(fx)
			liveBefore := testkit.LiveNamed(srv, req.Name)
			srv.Inject(tt.fault)
			_, err := svc("").Create(context.Background(), req)
			if err == nil {
				t.Fatal("Create succeeded through the fault")
			}
			for _, want := range tt.wantText {
				if text := keys.Explain(keys.OpCreate, err, cliWords()); !strings.Contains(text, want) {
					t.Errorf("the user reads %q, want it to say %q", text, want)
				}
			}
			var withdrawn *keys.WithdrawnKeyError
			if got := errors.As(err, &withdrawn) && withdrawn.RevokeErr == nil; got != tt.wantRevoked {
				t.Errorf("err = %v (%T): revoked %v, want %v", err, err, got, tt.wantRevoked)
			}
			if n := testkit.CountRequests(srv, http.MethodPost); n != 1 {
				t.Errorf("%d POSTs, want exactly one (a create is never retried)", n)
			}
			if live := testkit.LiveNamed(srv, req.Name); len(live) != len(liveBefore) {
				t.Errorf("%d live keys named %q after the interrupted create, want the %d there before", len(live), req.Name, len(liveBefore))
			}
		})
	}
}

// TestCreateCancelledRevokesTheKeyItMade: the caller gives up (Ctrl-C,
// SIGTERM, notifications/cancelled) while Neon has stored the key and not
// yet answered. The search runs on a context of its own, finds the key and
// revokes it; when the search itself fails, the error says it could not
// look and tells the user to list.
func TestCreateCancelledRevokesTheKeyItMade(t *testing.T) {
	tests := []struct {
		name        string
		searchFault *neontest.Fault
		wantRevoked bool
		wantText    string
	}{
		{"search works", nil, true, `a key named "cancelled" was created as the request was interrupted (cancelled before Neon answered)`},
		{"search fails", &neontest.Fault{Method: http.MethodGet, Path: "/api_keys", Status: http.StatusInternalServerError, Count: 10}, false,
			"looking for it failed (Neon failed to answer (500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _, svc := setup(t)
			srv.Inject(neontest.Fault{Method: http.MethodPost, Hang: true, Processed: true})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := svc("").Create(ctx, keys.CreateRequest{Name: "cancelled"})
				done <- err
			}()
			// The fake logs the POST as it arrives and stores the key a
			// moment later: cancel once the key exists, as the test means.
			for len(testkit.LiveNamed(srv, "cancelled")) == 0 {
				select {
				case err := <-done:
					t.Fatalf("Create ended before the key was stored: %v", err)
				case <-time.After(2 * time.Millisecond):
				}
			}
			if tt.searchFault != nil {
				srv.Inject(*tt.searchFault)
			}
			cancel()
			err := <-done
			if !errors.Is(err, context.Canceled) && tt.searchFault != nil {
				t.Errorf("err = %v, want it to wrap the cancellation", err)
			}
			if text := keys.Explain(keys.OpCreate, err, cliWords()); !strings.Contains(text, tt.wantText) {
				t.Errorf("the user reads %q, want it to say %q", text, tt.wantText)
			}
			live := testkit.LiveNamed(srv, "cancelled")
			if tt.wantRevoked && len(live) != 0 {
				t.Errorf("the key made during the cancelled create is still live: %+v", live)
			}
			if !tt.wantRevoked && len(live) != 1 {
				t.Errorf("%d live keys named cancelled, want the one the failed search could not find", len(live))
			}
		})
	}
}
