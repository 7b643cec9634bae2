package neonapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

func TestAPIErrorsFromTheFake(t *testing.T) {
	srv, fx := fakeAPI(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		token   string
		call    func(c *neonapi.Client) error
		status  int
		is      func(error) bool
		message string
	}{
		{"401 bad token", "napi_notavalidtoken0000000000000000", func(c *neonapi.Client) error { _, err := c.ListAPIKeys(ctx); return err },
			http.StatusUnauthorized, neonapi.IsUnauthorized, "authentication failed"},
		{"403 member cannot create org keys", fx.MemberToken, func(c *neonapi.Client) error {
			_, err := c.CreateOrgAPIKey(ctx, fx.Org.ID, neonapi.CreateOrgAPIKeyRequest{KeyName: "x"})
			return err
		}, http.StatusForbidden, neonapi.IsForbidden, "admin"},
		{"404 unknown key", fx.AdminToken, func(c *neonapi.Client) error { _, err := c.RevokeAPIKey(ctx, 42); return err },
			http.StatusNotFound, neonapi.IsNotFound, "not found"},
		{"404 org key on personal route", fx.OrgKeyToken, func(c *neonapi.Client) error { _, err := c.ListAPIKeys(ctx); return err },
			http.StatusNotFound, neonapi.IsNotFound, "organization"},
		{"409 duplicate name", fx.AdminToken, func(c *neonapi.Client) error { _, err := c.CreateAPIKey(ctx, "laptop"); return err },
			http.StatusConflict, neonapi.IsConflict, "unique"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetRequests()
			err := tt.call(newClient(t, srv, tt.token))
			apiErr := asAPIError(t, err)
			if apiErr.Status != tt.status || !tt.is(err) || neonapi.StatusOf(err) != tt.status {
				t.Fatalf("err = %v (status %d), want %d", err, apiErr.Status, tt.status)
			}
			if !strings.Contains(apiErr.Message, tt.message) {
				t.Fatalf("message %q lacks %q", apiErr.Message, tt.message)
			}
			sent := srv.Requests()[0]
			if apiErr.RequestID != sent.Header.Get("X-Request-ID") {
				t.Fatalf("RequestID %q, want the one sent: %q", apiErr.RequestID, sent.Header.Get("X-Request-ID"))
			}
			if apiErr.Method != sent.Method || apiErr.Path != sent.Path {
				t.Fatalf("error names %s %s, request was %s %s", apiErr.Method, apiErr.Path, sent.Method, sent.Path)
			}
			text := err.Error()
			for _, want := range []string{fmt.Sprint(tt.status), apiErr.Message, apiErr.RequestID} {
				if !strings.Contains(text, want) {
					t.Errorf("error text %q lacks %q", text, want)
				}
			}
			if len(srv.Requests()) != 1 {
				t.Fatalf("%d requests: a %d must not be retried", len(srv.Requests()), tt.status)
			}
		})
	}
}

func TestIsHelpersOnOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("plain"), context.Canceled} {
		if neonapi.StatusOf(err) != 0 || neonapi.IsNotFound(err) || neonapi.IsUnauthorized(err) ||
			neonapi.IsForbidden(err) || neonapi.IsRateLimited(err) || neonapi.IsConflict(err) || neonapi.MayHaveSucceeded(err) {
			t.Errorf("%v classified as an API answer", err)
		}
	}
	wrapped := fmt.Errorf("rotate: %w", &neonapi.APIError{Status: http.StatusNotFound})
	if !neonapi.IsNotFound(wrapped) {
		t.Fatal("IsNotFound must see through wrapping")
	}
	if neonapi.MayHaveSucceeded(wrapped) {
		t.Fatal("MayHaveSucceeded without the field set")
	}
	maybe := fmt.Errorf("revoke: %w", &neonapi.APIError{Status: http.StatusNotFound, EarlierAttemptMayHaveSucceeded: true})
	if !neonapi.MayHaveSucceeded(maybe) {
		t.Fatal("MayHaveSucceeded must see through wrapping")
	}
}

func TestErrorBodiesTolerated(t *testing.T) {
	long := strings.Repeat("x", 1000)
	tests := []struct {
		name        string
		fault       neontest.Fault
		wantCode    string
		wantMessage string
	}{
		{"general error", neontest.Fault{Status: 400, Body: `{"code":"BAD","message":"bad input","request_id":"rid-1"}`}, "BAD", "bad input"},
		{"error envelope", neontest.Fault{Status: 400, Body: `{"error":{"code":"E1","message":"wrapped"}}`}, "E1", "wrapped"},
		{"plain text", neontest.Fault{Status: 400, Body: "upstream says no\n", ContentType: "text/plain"}, "", "upstream says no"},
		{"html page", neontest.Fault{Status: 400, Body: "<html><body>Bad Gateway</body></html>", ContentType: "text/html"}, "", ""},
		{"empty body", neontest.Fault{Status: 400, EmptyBody: true}, "", ""},
		{"truncated json", neontest.Fault{Status: 400, Body: `{"message":"cut`}, "", `{"message":"cut`},
		{"control characters", neontest.Fault{Status: 400, Message: "evil\x1b[2J\rname\u202e"}, "", "evil[2Jname"},
		{"very long message", neontest.Fault{Status: 400, Body: `{"message":"` + long + `"}`}, "", strings.Repeat("x", 300) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx := fakeAPI(t)
			c := newClient(t, srv, fx.AdminToken)
			f := tt.fault
			f.Method, f.Path = http.MethodGet, "/auth"
			srv.Inject(f)
			_, err := c.GetAuthDetails(context.Background())
			apiErr := asAPIError(t, err)
			if apiErr.Status != 400 || apiErr.Code != tt.wantCode || apiErr.Message != tt.wantMessage {
				t.Fatalf("got status %d code %q message %q", apiErr.Status, apiErr.Code, apiErr.Message)
			}
			if apiErr.RequestID == "" {
				t.Fatal("the request id (body or X-Request-Id header) is lost")
			}
		})
	}
}

func TestUnreadableSuccessBody(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/auth", Status: http.StatusOK, Body: "not json " + fx.AdminToken})
	_, err := c.GetAuthDetails(context.Background())
	if err == nil || !strings.Contains(err.Error(), "unreadable answer") {
		t.Fatalf("err = %v, want an unreadable answer", err)
	}
	if strings.Contains(err.Error(), fx.AdminToken) {
		t.Fatal("the error quotes the token")
	}
}

func TestEchoedTokenNeverInErrorText(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	ctx := context.Background()
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/api_keys", EchoAuthorization: true})

	_, err := c.ListAPIKeys(ctx)
	apiErr := asAPIError(t, err)
	if apiErr.Status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", apiErr.Status)
	}
	body := string(srv.Requests()[0].ResponseBody)
	if !strings.Contains(body, fx.AdminToken) {
		t.Fatalf("the fake did not echo the token (body %q): the test proves nothing", body)
	}
	if strings.Contains(err.Error(), fx.AdminToken) || strings.Contains(apiErr.Message, fx.AdminToken) {
		t.Fatalf("token leaked into the error: %q", err)
	}
	if !strings.Contains(err.Error(), secret.Mask) {
		t.Fatalf("error %q: the echoed token should read as masked", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d requests: a 500 must not be retried", n)
	}
}

func TestMintedTokenRedactedInLaterErrors(t *testing.T) {
	srv, fx := fakeAPI(t)
	red := secret.NewRedactor()
	c := newClient(t, srv, fx.AdminToken, func(o *neonapi.Options) { o.Redactor = red })
	ctx := context.Background()
	// A token without the napi_ prefix escapes the shape pass: only its exact
	// value, registered by the create, can mask it later.
	const legacy = "legacy0123456789abcdefghijklmnopqrstuv"
	srv.Inject(neontest.Fault{Method: http.MethodPost, Path: "/api_keys", Status: http.StatusOK,
		Body: `{"id":1000099,"key":"` + legacy + `","name":"minted","created_at":"2025-01-01T00:00:00Z","created_by":"u-1"}`})
	created, err := c.CreateAPIKey(ctx, "minted")
	if err != nil {
		t.Fatal(err)
	}
	if created.Key != legacy {
		t.Fatalf("key %q", created.Key)
	}
	if got := red.Redact("x " + legacy); strings.Contains(got, legacy) {
		t.Fatal("the shared redactor does not know the minted token")
	}
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/auth", Status: http.StatusBadRequest, Message: "you sent " + legacy})
	_, err = c.GetAuthDetails(ctx)
	if err == nil || strings.Contains(err.Error(), legacy) {
		t.Fatalf("minted token leaked: %v", err)
	}
}

func TestTokenRedactedInRetryAfterGiveUp(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/api_keys", EchoAuthorization: true, Status: http.StatusServiceUnavailable, Count: 10})
	_, err := c.ListAPIKeys(context.Background())
	if neonapi.StatusOf(err) != http.StatusServiceUnavailable || strings.Contains(err.Error(), fx.AdminToken) {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Fatalf("%d requests, want 1 + MaxRetries(3)", n)
	}
}

func TestLongMessageCutOnRuneBoundary(t *testing.T) {
	// One ASCII byte first puts every 2-byte "é" on an odd offset, so byte
	// 300 falls inside a rune.
	msg := "x" + strings.Repeat("é", 500)
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/auth", Status: http.StatusBadRequest, Message: msg})
	_, err := c.GetAuthDetails(context.Background())
	apiErr := asAPIError(t, err)
	if !utf8.ValidString(apiErr.Message) || !utf8.ValidString(err.Error()) {
		t.Fatalf("the cut split a rune: %q", apiErr.Message)
	}
	want := "x" + strings.Repeat("é", 149) + "…" // 299 bytes kept
	if apiErr.Message != want {
		t.Fatalf("message %q (%d bytes), want %q", apiErr.Message, len(apiErr.Message), want)
	}
}

func TestOwnTokenWithoutNapiPrefixNeverInErrorText(t *testing.T) {
	// A credential no shape rule knows (no napi_ prefix), quoted without
	// "Bearer": only the client registering its own token can mask it.
	const token = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqr"
	if len(token) != 64 {
		t.Fatalf("fixture token is %d chars", len(token))
	}
	red := secret.NewRedactor()
	if red.Redact("credential "+token) != "credential "+token {
		t.Fatal("the shape rules already mask this token: the test would prove nothing")
	}
	srv, _ := fakeAPI(t)
	c := newClient(t, srv, token, func(o *neonapi.Options) { o.Redactor = red })
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/api_keys", Status: http.StatusInternalServerError,
		Message: "upstream rejected credential " + token + " for this route"})
	_, err := c.ListAPIKeys(context.Background())
	apiErr := asAPIError(t, err)
	if body := string(srv.Requests()[0].ResponseBody); !strings.Contains(body, token) {
		t.Fatalf("the fake did not quote the token (body %q): the test proves nothing", body)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(apiErr.Message, token) {
		t.Fatalf("token leaked into the error: %q", err)
	}
	if !strings.Contains(apiErr.Message, secret.Mask) {
		t.Fatalf("message %q: the token should read as masked", apiErr.Message)
	}
}
