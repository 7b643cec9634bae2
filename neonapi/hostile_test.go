package neonapi_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

func TestPlainHTTPRefusedUnlessLoopback(t *testing.T) {
	tests := []struct {
		url     string
		refused bool
	}{
		{"http://api.example.test/api/v2", true},
		{"http://10.1.2.3:8080/api/v2", true},
		{"http://[2001:db8::1]/api/v2", true},
		{"http://localhost.example.test/api/v2", true},
		{"http://127.0.0.1.example.test/api/v2", true},
		{"http://localhost:4010/api/v2", false},
		{"http://LOCALHOST:4010/api/v2", false},
		{"http://127.0.0.1:4010/api/v2", false},
		{"http://127.9.8.7:4010/api/v2", false},
		{"http://[::1]:4010/api/v2", false},
		{"https://api.example.test/api/v2", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := neonapi.New(neonapi.Options{Token: "napi_0123456789abcdefghij", BaseURL: tt.url})
			if !tt.refused {
				if err != nil {
					t.Fatalf("New refused %s: %v", tt.url, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New accepted %s: the credential would go out in clear", tt.url)
			}
			if !strings.Contains(err.Error(), tt.url) || !strings.Contains(err.Error(), "https://") {
				t.Fatalf("error %q does not name the URL and the fix", err)
			}
		})
	}
}

func TestRefusedURLHidesItsPassword(t *testing.T) {
	_, err := neonapi.New(neonapi.Options{BaseURL: "http://ops:hunter2-secret@api.example.test/api/v2"})
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "api.example.test") {
		t.Fatalf("err = %v", err)
	}
}

// redirectTarget is a second server that records whether anything reached
// it, with which Authorization header.
type redirectTarget struct {
	srv  *httptest.Server
	hits chan string
}

func newRedirectTarget(t *testing.T) *redirectTarget {
	t.Helper()
	rt := &redirectTarget{hits: make(chan string, 10)}
	rt.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.hits <- r.Method + " " + r.URL.Path + " Authorization=" + r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":1,"key":"napi_stolenstolenstolen0000","name":"x"}`)
	}))
	t.Cleanup(rt.srv.Close)
	return rt
}

func TestRedirectsNeverFollowed(t *testing.T) {
	tests := []struct {
		name   string
		status int
		method string
		tls    bool // the API is https; the target plain http (a downgrade)
		call   func(*neonapi.Client) error
	}{
		{"302 on a list, to another port", http.StatusFound, http.MethodGet, false, func(c *neonapi.Client) error {
			_, err := c.ListAPIKeys(context.Background())
			return err
		}},
		{"307 on the create POST", http.StatusTemporaryRedirect, http.MethodPost, false, func(c *neonapi.Client) error {
			_, err := c.CreateAPIKey(context.Background(), "replayed")
			return err
		}},
		{"308 on a revoke", http.StatusPermanentRedirect, http.MethodDelete, false, func(c *neonapi.Client) error {
			_, err := c.RevokeAPIKey(context.Background(), 1)
			return err
		}},
		{"301 from https to http", http.StatusMovedPermanently, http.MethodGet, true, func(c *neonapi.Client) error {
			_, err := c.GetAuthDetails(context.Background())
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []neontest.Option
			if tt.tls {
				opts = append(opts, neontest.WithTLS())
			}
			srv, fx := fakeAPI(t, opts...)
			target := newRedirectTarget(t)
			location := target.srv.URL + neontest.BasePath + "/elsewhere?token=" + fx.AdminToken
			srv.Inject(neontest.Fault{Method: tt.method, Status: tt.status, Header: http.Header{"Location": {location}}, Count: 10})
			c := newClient(t, srv, fx.AdminToken, func(o *neonapi.Options) { o.HTTPClient = srv.Client() })

			err := tt.call(c)
			var redirect *neonapi.RedirectError
			if !errors.As(err, &redirect) {
				t.Fatalf("err = %v (%T), want a *RedirectError", err, err)
			}
			if !strings.Contains(err.Error(), strings.TrimPrefix(target.srv.URL, "http://")) {
				t.Errorf("error %q does not name the target host", err)
			}
			if strings.Contains(err.Error(), fx.AdminToken) || strings.Contains(err.Error(), "elsewhere") {
				t.Errorf("error %q quotes more of the Location than its host", err)
			}
			select {
			case hit := <-target.hits:
				t.Fatalf("the redirect was followed: %s", hit[:min(len(hit), 40)])
			default:
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests to the API, want 1 (a redirect is not retried)", n)
			}
		})
	}
}

func TestRedirectWithoutLocation(t *testing.T) {
	srv, fx := fakeAPI(t)
	srv.Inject(neontest.Fault{Status: http.StatusFound})
	_, err := newClient(t, srv, fx.AdminToken).ListAPIKeys(context.Background())
	if !errors.As(err, new(*neonapi.RedirectError)) || !strings.Contains(err.Error(), "unreadable location") {
		t.Fatalf("err = %v", err)
	}
}

func TestCallersHTTPClientNotChanged(t *testing.T) {
	srv, fx := fakeAPI(t)
	hc := srv.Client()
	newClient(t, srv, fx.AdminToken, func(o *neonapi.Options) { o.HTTPClient = hc })
	if hc.CheckRedirect != nil {
		t.Fatal("New changed the caller's http.Client")
	}
}

// TestTLSBelow12Refused: a client whose transport allows TLS 1.0 (given by
// the caller, or by a GODEBUG setting) still gets TLS 1.2 at least.
func TestTLSBelow12Refused(t *testing.T) {
	old := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"account_id":"a","auth_method":"api_key_user"}`)
	}))
	old.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	old.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	old.StartTLS()
	t.Cleanup(old.Close)
	lax := old.Client()
	lax.Transport.(*http.Transport).TLSClientConfig.MinVersion = tls.VersionTLS10
	// Control: the lax client does connect, so the refusal below is ours.
	resp, err := lax.Get(old.URL)
	if err != nil {
		t.Fatalf("the TLS 1.1 server is unreachable even for a lax client, the test proves nothing: %v", err)
	}
	resp.Body.Close()
	c, err := neonapi.New(neonapi.Options{Token: "napi_0123456789abcdefghij", BaseURL: old.URL + "/api/v2",
		HTTPClient: lax, Retry: &neonapi.RetryPolicy{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetAuthDetails(context.Background()); err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("err = %v, want a TLS version failure", err)
	}
}
