package neonapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/neonkeys/neonkeys/secret"
)

// APIError is a non-2xx answer of the Neon API. Message has already passed the
// client's redactor: it never holds the client's own token, even when the API
// quoted it back.
type APIError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
	// Method and Path name the failed operation (path without the base URL).
	Method string
	Path   string
	// RetryAfter is the wait the API asked for (429, 503), zero if none.
	RetryAfter time.Duration
	// URL is the address asked, without query or user info, redacted and
	// cut: what a person checks when NEON_API_HOST is wrong.
	URL string
	// NeonShaped: the body was Neon's error JSON ({"code", "message"}). A
	// 404 without it came from something other than Neon's API.
	NeonShaped bool
	// EarlierAttemptMayHaveSucceeded is set when this answer came to a retry
	// of a DELETE and an earlier attempt of the same request may already have
	// been carried out by Neon: it got no answer after the connection was
	// made (dropped, reset, timed out) or it answered 502, 503 or 504. A 404
	// with it set means the key was most likely revoked by that earlier
	// attempt. Never set for GET, nor for POST (not retried once sent).
	EarlierAttemptMayHaveSucceeded bool
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "neon api: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	if e.EarlierAttemptMayHaveSucceeded {
		b.WriteString("; an earlier attempt of this request may already have succeeded")
	}
	return b.String()
}

// maxMessageLen bounds how much of an error body reaches an error text: an
// HTML error page or a runaway body must not flood a terminal or a transcript.
const maxMessageLen = 300

// newAPIError decodes Neon's GeneralError body {code, message, request_id}.
// It tolerates an empty or non-JSON body and the {"error":{...}} shape some
// proxies answer with.
func newAPIError(method, path string, status int, header http.Header, body []byte, red *secret.Redactor) *APIError {
	e := &APIError{Status: status, Method: method, Path: path}
	var general struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
		Error     *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &general); err == nil {
		e.Code, e.Message, e.RequestID = general.Code, general.Message, general.RequestID
		e.NeonShaped = general.Message != ""
		if e.Message == "" && general.Error != nil {
			e.Code, e.Message = general.Error.Code, general.Error.Message
		}
	} else if text := strings.TrimSpace(string(body)); text != "" && !strings.HasPrefix(text, "<") {
		e.Message = text // plain-text body; HTML pages say nothing useful
	}
	if e.RequestID == "" {
		e.RequestID = header.Get("X-Request-Id")
	}
	e.Message = truncate(secret.StripControl(red.Redact(e.Message)), maxMessageLen)
	e.Code = cleanText(red, e.Code, maxTextLen)
	e.RequestID = cleanText(red, e.RequestID, maxTextLen)
	e.RetryAfter, _ = parseRetryAfter(header.Get("Retry-After"), time.Now())
	return e
}

// StatusOf returns the HTTP status of an *APIError in err's chain, or 0.
func StatusOf(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// MayHaveSucceeded reports whether err holds an *APIError whose
// EarlierAttemptMayHaveSucceeded is set: the request failed in the end, but
// an earlier attempt of it may have taken effect at Neon. For a revoke's 404
// that means "probably already revoked by the first attempt".
func MayHaveSucceeded(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.EarlierAttemptMayHaveSucceeded
}

// IsNotFound reports a 404 answer.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }
