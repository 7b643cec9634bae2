package remote

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/neonkeys/neonkeys/config"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/secret"
	"github.com/neonkeys/neonkeys/tools"
)

// errNoBearer is what a tool call without a credential answers: how to
// connect, in the tool's answer rather than a 401 (a WWW-Authenticate
// challenge would send clients into an OAuth discovery this server does not
// offer).
var errNoBearer error = noBearerError{}

type noBearerError struct{}

func (noBearerError) Error() string {
	// Worded so that the redactor's bearer rule leaves it whole.
	return "No Neon credential: this remote server takes a Neon API key from each request's Authorization header: " +
		"the word Bearer, a space, then the key. Add that header to this server's entry in your MCP client's configuration " +
		"(its headers setting); create a key in the Neon Console (Account settings > API keys)"
}

// Unwrap makes the tools answer with this advice alone.
func (noBearerError) Unwrap() error { return config.ErrNoCredential }

// Credential kinds, for the access log. Not "bearer": that word sets off
// the redactor's bearer rule on every log line.
const (
	kindNone   = "none"
	kindBearer = "header"
	kindServer = "server"
)

// maxIdleConnsToNeon is how many idle connections to the Neon API are kept.
const maxIdleConnsToNeon = 64

// maxTokenLen bounds the credential in the header: a Neon key is well
// under 100 characters.
const maxTokenLen = 512

// call is what one request runs with.
type call struct {
	kind string
	// svc runs the request's key operations: its own (bearer), the
	// server's (server), nil without a credential.
	svc *keys.Service
	// courier settles the tokens the answer carries (bearer), nil otherwise.
	courier *courier
	// limitKey names the rate-limit bucket: a digest of the credential,
	// never the credential.
	limitKey string
	// newFrom, for a credential from the request (bearer), is the client's
	// address: the first request with a credential takes a token from that
	// address's bucket of new credentials (limiter.allow).
	newFrom string
}

type callKey struct{}

// requestCall returns the call guard put in r's context.
func requestCall(r *http.Request) call {
	c, _ := r.Context().Value(callKey{}).(call)
	return c
}

// credentials turns a request's Authorization header into the key service
// that serves that request only.
type credentials struct {
	cfg  Config
	http *http.Client
}

func newCredentials(cfg Config) (*credentials, error) {
	if _, err := neonapi.New(cfg.API); err != nil {
		return nil, fmt.Errorf("remote: the Neon API client: %w", err)
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	// Many calls reach Neon at once: keep their connections (the default
	// keeps 2 idle per host, so the rest would be dialled anew each time).
	base.MaxIdleConnsPerHost = maxIdleConnsToNeon
	var rt http.RoundTripper = base
	if cfg.API.HTTPClient != nil && cfg.API.HTTPClient.Transport != nil {
		rt = cfg.API.HTTPClient.Transport
	}
	// One transport for every request's client, so connections to Neon are
	// reused: neonapi clones a bare *http.Transport (and its pool), not a
	// RoundTripper of its own kind.
	return &credentials{cfg: cfg, http: &http.Client{Transport: sharedTransport{rt}}}, nil
}

type sharedTransport struct{ rt http.RoundTripper }

func (s sharedTransport) RoundTrip(r *http.Request) (*http.Response, error) { return s.rt.RoundTrip(r) }

// badRequest is a malformed request: 400 with a message that never quotes
// the header.
type badRequest string

func (b badRequest) Error() string { return string(b) }

// resolve reads r's credential. With a server credential the Authorization
// header is not read: the identity-aware proxy in front owns it.
func (c *credentials) resolve(r *http.Request) (context.Context, call, error) {
	ctx := r.Context()
	if c.cfg.ServerCredential {
		out := &courier{}
		ctx = tools.WithRequest(ctx, tools.Request{Keys: c.cfg.Server.Keys, CredentialErr: c.cfg.Server.CredentialErr, Courier: out, Called: noteCall(r)})
		return ctx, call{kind: kindServer, svc: c.cfg.Server.Keys, courier: out, limitKey: kindServer}, nil
	}
	values := r.Header.Values("Authorization")
	switch {
	case len(values) == 0:
		return ctx, call{kind: kindNone, limitKey: "addr:" + clientIP(r)}, nil
	case len(values) > 1:
		return ctx, call{}, badRequest("more than one Authorization header: send one, \"Authorization: Bearer <Neon API key>\"")
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return ctx, call{}, badRequest("malformed Authorization header: it must be \"Bearer <Neon API key>\"")
	}
	if !validToken(token) {
		return ctx, call{}, badRequest(fmt.Sprintf("malformed Authorization header: the key after \"Bearer \" must be 8 to %d characters of A-Z, a-z, 0-9 and -._~+/=", maxTokenLen))
	}
	red := c.cfg.Server.Redactor.Scoped(token)
	opts := c.cfg.API
	opts.Token, opts.Redactor, opts.HTTPClient = token, red, c.http
	api, err := neonapi.New(opts)
	if err != nil {
		return ctx, call{}, fmt.Errorf("the Neon API client: %w", err) // checked in New: not expected
	}
	svc := keys.New(api, nil)
	sum := sha256.Sum256([]byte(token))
	digest := hex.EncodeToString(sum[:16])
	out := &courier{}
	ctx = tools.WithRequest(ctx, tools.Request{Keys: svc, Redactor: red, Principal: digest, Courier: out, Called: noteCall(r)})
	return ctx, call{kind: kindBearer, svc: svc, courier: out, limitKey: "key:" + digest, newFrom: clientIP(r)}, nil
}

// validToken accepts the token68 characters of RFC 6750: a Neon key is
// [A-Za-z0-9_]; anything else is refused before it goes anywhere.
func validToken(t string) bool {
	if len(t) < 8 || len(t) > maxTokenLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		b := t[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("-._~+/=", b) >= 0) {
			return false
		}
	}
	return true
}

// newRedactor is the process redactor, or a fresh one.
func newRedactor(r *secret.Redactor) *secret.Redactor {
	if r != nil {
		return r
	}
	return secret.NewRedactor()
}
