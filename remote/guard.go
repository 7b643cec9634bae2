package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/neonkeys/neonkeys/internal/netx"
)

// guard checks a /mcp request before mcp-go sees it: its Origin (DNS
// rebinding), its credential, its rate and its body size; then it passes
// the request on with the credential in its context. The body is read last:
// a client refused for its origin, its credential or its rate must not make
// the server read a megabyte first.
func (h *Handler) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !h.originAllowed(origin) {
			// A page of another site (perhaps one whose name now resolves
			// to this machine) must not drive the tools.
			refuseUnread(w, r, http.StatusForbidden, "Forbidden: origin not allowed (see --allowed-origin)")
			return
		}
		ctx, c, err := h.creds.resolve(r) // headers only: the body is not read yet
		if err != nil {
			status := http.StatusInternalServerError
			if errors.As(err, new(badRequest)) {
				status = http.StatusBadRequest
			}
			refuseUnread(w, r, status, err.Error())
			return
		}
		if no, ok := h.limiter.allow(c.limitKey, c.newFrom); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(no.wait.Seconds()))))
			refuseUnread(w, r, http.StatusTooManyRequests, no.why+": retry after "+w.Header().Get("Retry-After")+" s")
			return
		}
		if r.Method == http.MethodPost {
			body, status, err := readBody(w, r, h.cfg.MaxBodyBytes)
			if err != nil {
				writeText(w, status, err.Error())
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		markKind(r, c.kind)
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, callKey{}, c)))
	})
}

// refuseUnread answers a request refused before its body was read. If one
// was announced, the connection closes after the answer: net/http would
// otherwise read up to 256 KiB of it before answering, to reuse the
// connection. Closing, it answers at once; then it drains at most 256 KiB
// (none of a larger body, which it drops at once) without keeping it, so
// that a client still sending does not get a reset that loses the answer.
func refuseUnread(w http.ResponseWriter, r *http.Request, status int, text string) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
	writeText(w, status, text)
}

// readBody reads a request body of at most limit bytes, or says why not.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, int, error) {
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("request body too large: at most %d bytes", limit)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("request body too large: at most %d bytes", limit)
	case err != nil:
		return nil, http.StatusBadRequest, errors.New("the request body could not be read")
	}
	return body, 0, nil
}

// originAllowed: an origin given with --allowed-origin, or a page served
// from this machine's loopback names.
func (h *Handler) originAllowed(origin string) bool {
	for _, o := range h.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return netx.IsLoopbackHost(u.Hostname())
}

// clientIP is the peer's address without its port, for the rate limit of
// requests without a credential.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
