package neonapi

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/neonkeys/neonkeys/internal/netx"
)

// parseBaseURL checks the API base URL. Plain http is refused unless the
// host is this machine: the Authorization header would cross the network in
// clear (the fake API and local proxies listen on loopback).
func parseBaseURL(raw string) (*url.URL, error) {
	base, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("invalid Neon API URL %q: want https://host/path", cleanText(nil, raw, maxURLLen))
	}
	if base.Scheme == "http" && !netx.IsLoopbackHost(base.Hostname()) {
		return nil, fmt.Errorf("refusing the Neon API URL %q: plain http would send the credential in clear; use https:// (http is accepted only for localhost, 127.0.0.0/8 and ::1)",
			cleanText(nil, base.Redacted(), maxURLLen))
	}
	return base, nil
}

// guardedHTTPClient returns a copy of hc (or a new client) that never
// follows a redirect and speaks TLS 1.2 at least. Go's client keeps the
// Authorization header on a redirect to the same host name with another
// port or scheme (an https → http downgrade included), and a 307 replays a
// create's body: Neon's API does not redirect, so a 3xx is answered as an
// error by the caller (see redirectError). The caller's client is not
// changed.
func guardedHTTPClient(hc *http.Client) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	switch t := c.Transport.(type) {
	case nil:
		c.Transport = withMinTLS(http.DefaultTransport.(*http.Transport).Clone())
	case *http.Transport:
		c.Transport = withMinTLS(t.Clone())
	}
	// Any other RoundTripper is the caller's own (tests wrap the fake's):
	// it decides its TLS.
	return &c
}

// withMinTLS raises t's minimum TLS version to 1.2: older versions are
// broken, and a GODEBUG setting can lower Go's default.
func withMinTLS(t *http.Transport) *http.Transport {
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	if t.TLSClientConfig.MinVersion < tls.VersionTLS12 {
		t.TLSClientConfig.MinVersion = tls.VersionTLS12
	}
	return t
}

// RedirectError is a 3xx answer. neonkeys never follows one: the request
// (and its credential) went to the configured API only.
type RedirectError struct {
	Method, Path string
	Status       int
	// Target is the scheme and host the answer pointed to, cleaned and
	// redacted; empty when the Location header was missing or unreadable.
	Target string
}

func (e *RedirectError) Error() string {
	target := e.Target
	if target == "" {
		target = "an unreadable location"
	}
	return fmt.Sprintf("neon api: %s %s: %d %s: the API redirected to %s; neonkeys never follows redirects, so neither the request nor the credential went there (is the Neon API URL right?)",
		e.Method, e.Path, e.Status, http.StatusText(e.Status), target)
}

// redirectError describes a 3xx answer to req: only the target's scheme and
// host, since its path and query could carry anything.
func (c *Client) redirectError(method, path string, status int, header http.Header, reqURL *url.URL) *RedirectError {
	e := &RedirectError{Method: method, Path: path, Status: status}
	loc := header.Get("Location")
	if loc == "" {
		return e
	}
	u, err := reqURL.Parse(loc)
	if err != nil || u.Host == "" {
		return e
	}
	e.Target = cleanText(c.redactor, u.Scheme+"://"+u.Host, maxURLLen)
	return e
}
