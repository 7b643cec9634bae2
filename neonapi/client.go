// Package neonapi is a small client for the parts of the Neon API v2 that
// manage API keys: one method per operation, ctx first, typed errors, and a
// retry policy that never repeats a create.
package neonapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
	"unicode/utf8"

	// A drop-in for encoding/json that decodes a 10,000-key list about 5x
	// faster (the profile of list -o json was 80% encoding/json.Unmarshal).
	json "github.com/segmentio/encoding/json"

	"github.com/neonkeys/neonkeys/ids"
	"github.com/neonkeys/neonkeys/secret"
)

// DefaultBaseURL is Neon's production API, overridden by NEON_API_HOST.
const DefaultBaseURL = "https://console.neon.tech/api/v2"

// DefaultUserAgent is sent when Options.UserAgent is empty: every request
// names neonkeys and its version (neonkeys/<version>), so Neon can tell our
// traffic apart; a build without a version says "dev".
const DefaultUserAgent = "neonkeys/dev"

// DefaultTimeout bounds one request attempt.
const DefaultTimeout = 30 * time.Second

// maxBodyBytes bounds a response body. A 10,000-key list is about 3 MB
// and a page of 400 projects well under 1 MB, so 8 MiB leaves room for any
// real account, while a hostile answer costs the process at most a few
// times that (the body, then its decoded strings before they are cut; its
// items are bounded apart, by maxListItems in items.go):
// e2e/security_hostile_test.go measures the peak under 100 MiB.
const maxBodyBytes = 8 << 20

// Options configure a Client. Only Token is required.
type Options struct {
	Token      string
	BaseURL    string        // default DefaultBaseURL
	UserAgent  string        // e.g. "neonkeys/1.2.3"; default DefaultUserAgent
	Timeout    time.Duration // per attempt; default DefaultTimeout
	Retry      *RetryPolicy  // default DefaultRetryPolicy()
	HTTPClient *http.Client  // default: a client with its own transport
	// Redactor masks secrets in error texts; the client registers Token with
	// it. Pass the process-wide redactor so minted tokens are masked too.
	Redactor *secret.Redactor
	// OnRetry, when set, hears of each failed attempt that will be tried
	// again, before the wait, so a caller at a terminal can say why it is
	// slow. It runs on the calling goroutine and must return quickly.
	OnRetry func(Retry)
}

// Client calls the Neon API. It is safe for concurrent use.
type Client struct {
	// token is swapped by SetToken while requests run: a rotation of the
	// key neonkeys runs with switches to the new token at once.
	token     atomic.Pointer[string]
	base      *url.URL
	userAgent string
	timeout   time.Duration
	retry     RetryPolicy
	http      *http.Client
	redactor  *secret.Redactor
	onRetry   func(Retry)
}

// New returns a client for opts. The token may be empty: every call then
// fails with the API's 401, which callers turn into advice.
func New(opts Options) (*Client, error) {
	raw := opts.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := parseBaseURL(raw)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:      base,
		userAgent: opts.UserAgent,
		timeout:   opts.Timeout,
		retry:     DefaultRetryPolicy(),
		http:      opts.HTTPClient,
		redactor:  opts.Redactor,
		onRetry:   opts.OnRetry,
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if opts.Retry != nil {
		c.retry = *opts.Retry
	}
	c.http = guardedHTTPClient(opts.HTTPClient)
	if c.redactor == nil {
		c.redactor = secret.NewRedactor()
	}
	c.redactor.Add(opts.Token)
	c.token.Store(&opts.Token)
	return c, nil
}

// SetToken makes every later request use token: after the key file
// neonkeys runs with received a new token, the process goes on with it.
// The token is registered with the redactor first.
func (c *Client) SetToken(token string) {
	c.redactor.Add(token)
	c.token.Store(&token)
}

// Redactor returns the redactor the client registers secrets with.
func (c *Client) Redactor() *secret.Redactor { return c.redactor }

// BaseURL returns the API base URL the client calls.
func (c *Client) BaseURL() string { return c.base.String() }

// do sends one logical request, retrying as the policy allows, and decodes a
// 2xx JSON body into out (when out is not nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	_, err := c.doCounted(ctx, method, path, query, in, out)
	return err
}

// doCounted is do that also returns the size of the answer it decoded.
func (c *Client) doCounted(ctx context.Context, method, path string, query url.Values, in, out any) (int, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
	}
	// earlierMayHaveApplied records that a failed attempt may still have
	// been carried out by Neon, so a later 404 on a DELETE is no proof that
	// the key never existed.
	earlierMayHaveApplied := false
	for attempt := 0; ; attempt++ {
		status, header, respBody, err := c.attempt(ctx, method, path, query, body)
		if err == nil && status >= 200 && status < 300 {
			if out == nil {
				return len(respBody), nil
			}
			// Counted before the decode allocates a struct per item. Only a
			// GET is checked: it changed nothing, while refusing a create's
			// answer would lose the token of a key already minted.
			if method == http.MethodGet {
				if limit := checkItems(respBody); limit != "" {
					return 0, &LimitError{Method: method, Path: path, Limit: limit, Status: status}
				}
			}
			if err := json.Unmarshal(respBody, out); err != nil {
				// Not err's text: a decoder error quotes the body, and a
				// quoted piece of a secret can be too short to redact.
				return 0, fmt.Errorf("neon api: %s %s: unreadable answer: HTTP %d with %d bytes that are not the JSON expected",
					method, path, status, len(respBody))
			}
			c.cleanDecoded(out)
			return len(respBody), nil
		}
		if err == nil && status >= 300 && status < 400 {
			// Never followed, never retried: see guardedHTTPClient.
			return 0, c.redirectError(method, path, status, header, c.requestURL(path, query))
		}
		if tooBig := (*LimitError)(nil); errors.As(err, &tooBig) {
			// Asking again would only read as much again.
			tooBig.Method, tooBig.Path = method, path
			return 0, tooBig
		}
		var failure error
		var retryAfter time.Duration
		if err != nil {
			failure = c.transportError(ctx, method, path, err)
		} else {
			apiErr := newAPIError(method, path, status, header, respBody, c.redactor)
			apiErr.URL = c.shownURL(path)
			// A GET has no effect to have succeeded; a POST is never retried
			// once it may have been sent.
			apiErr.EarlierAttemptMayHaveSucceeded = earlierMayHaveApplied && method != http.MethodGet
			failure, retryAfter = apiErr, apiErr.RetryAfter
		}
		if !c.retry.shouldRetry(method, attempt, status, err) {
			return 0, failure
		}
		earlierMayHaveApplied = earlierMayHaveApplied || mayHaveApplied(status, err)
		d, ok := c.retry.wait(attempt, retryAfter)
		if !ok {
			return 0, failure
		}
		if c.onRetry != nil {
			c.onRetry(Retry{Method: method, Path: path, Status: status, Err: failure,
				Wait: d, Number: attempt + 1, Of: c.retry.MaxRetries})
		}
		if err := sleep(ctx, d); err != nil {
			return 0, fmt.Errorf("neon api: %s %s: cancelled while waiting to retry: %w", method, path, err)
		}
	}
}

// transportError wraps a failure that produced no HTTP answer. The text of
// url.Error names the URL, which never holds the token; it still passes the
// redactor because a proxy could have put anything there.
func (c *Client) transportError(ctx context.Context, method, path string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("neon api: %s %s: %w", method, path, ctxErr)
	}
	return &NetworkError{Method: method, Path: path, Err: err, text: cleanText(c.redactor, err.Error(), maxMessageLen)}
}

// NetworkError is a request that got no HTTP answer: refused, reset, timed out.
type NetworkError struct {
	Method, Path string
	Err          error
	text         string
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("neon api: %s %s: no answer: %s", e.Method, e.Path, e.text)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// IsTimeout reports whether a request ran out of its per-request time.
func IsTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded)
}

// attempt sends the request once within the per-attempt timeout and reads
// the whole body inside it, so a stalled body also times out.
func (c *Client) attempt(ctx context.Context, method, path string, query url.Values, body []byte) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := c.requestURL(path, query)
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reader)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("X-Request-ID", newRequestID())
	if token := *c.token.Load(); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	respBody, err := readBody(resp)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, respBody, nil
}

// readBody reads an answer of at most maxBodyBytes; a larger one is a
// *LimitError, refused on its Content-Length before a byte is read when
// the server announces it.
func readBody(resp *http.Response) ([]byte, error) {
	tooBig := &LimitError{Status: resp.StatusCode,
		Limit: fmt.Sprintf("the answer is larger than %d MiB, the most neonkeys reads", maxBodyBytes>>20)}
	if resp.ContentLength > maxBodyBytes {
		return nil, tooBig
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		// ReadFrom wants MinRead bytes free for the read that sees EOF.
		buf.Grow(int(resp.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxBodyBytes+1)); err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if buf.Len() > maxBodyBytes {
		return nil, tooBig
	}
	return buf.Bytes(), nil
}

// LimitError is an answer, or a walk through pages, that went past a bound
// neonkeys sets on what it reads from the API, so a hostile or broken API
// cannot exhaust its memory. Limit says which bound.
type LimitError struct {
	Method, Path string
	Limit        string
	// Status is the HTTP status of an answer refused for its size (0 for
	// a walk through pages). A 2xx means the request was carried out: a
	// create that ends so minted a key whose token was not read.
	Status int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("neon api: %s %s: stopped reading: %s", e.Method, e.Path, e.Limit)
}

// requestURL is the URL of path under the base URL.
func (c *Client) requestURL(path string, query url.Values) *url.URL {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = query.Encode()
	return &u
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func keyPath(id ids.KeyID) string { return fmt.Sprintf("/api_keys/%d", id) }

// checkKeyID rejects a key id Neon could not have issued, before a request
// goes out: DELETE /api_keys/0 would only earn a confusing 404.
func checkKeyID(id int64) (ids.KeyID, error) {
	if err := ids.KeyID(id).Validate(); err != nil {
		return 0, fmt.Errorf("invalid key id %d: Neon key ids are positive integers", id)
	}
	return ids.KeyID(id), nil
}

// checkOrgID and checkProjectID reject an id Neon could not have issued.
// Paths are built only from the typed ids they return, which keeps "../"
// and friends out of every URL.
func checkOrgID(id string) (ids.OrgID, error) {
	if err := ids.OrgID(id).Validate(); err != nil {
		return "", invalidID("organization", id)
	}
	return ids.OrgID(id), nil
}

func checkProjectID(id string) (ids.ProjectID, error) {
	if err := ids.ProjectID(id).Validate(); err != nil {
		return "", invalidID("project", id)
	}
	return ids.ProjectID(id), nil
}

func invalidID(kind, id string) error {
	return fmt.Errorf("invalid %s id %q: Neon ids are %s", kind, secret.StripControl(truncate(id, 80)), ids.Rule)
}

// truncate cuts s to at most n bytes, marking the cut. It cuts on a rune
// boundary so the result stays valid UTF-8 for terminals and JSON.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// orgPath builds an organization path from a checked id (checkOrgID).
func orgPath(orgID ids.OrgID, rest string) string {
	return "/organizations/" + string(orgID) + rest
}
