package neonapi

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy says when and how long to wait before trying a request again.
// GET and DELETE are retried on 429, 423, 502, 503, 504 and connection
// errors; POST only when the connection was never made (a retried create that
// reached Neon would mint a second live key).
type RetryPolicy struct {
	MaxRetries int           // retries after the first attempt
	BaseDelay  time.Duration // full-jitter backoff starts here and doubles
	MaxWait    time.Duration // longest wait; a longer Retry-After gives up at once
}

// DefaultRetryPolicy is Neon's own SDK policy: full jitter from 250 ms,
// honouring Retry-After up to 10 s, at most 3 retries.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, BaseDelay: 250 * time.Millisecond, MaxWait: 10 * time.Second}
}

// Retry is a failed attempt that the client is about to try again, as
// Options.OnRetry hears of it.
type Retry struct {
	Method, Path string
	Status       int           // the failed attempt's HTTP status; 0 when no answer came
	Err          error         // why it failed: an *APIError or a *NetworkError
	Wait         time.Duration // how long the client waits before the next attempt
	Number, Of   int           // this is retry Number of at most Of
}

func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusLocked, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// idempotent methods may be repeated: Neon's revoke of a revoked key is a 404,
// never a second effect.
func idempotent(method string) bool {
	return method == http.MethodGet || method == http.MethodDelete
}

// neverSent reports a transport error that happened before any byte of the
// request could reach the server (the dial failed).
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// mayHaveApplied reports whether a failed attempt could still have been
// carried out by Neon: it got no answer after the dial, or a 502, 503 or 504,
// which a proxy or an overloaded server can send after the work was done.
// 429 and 423 are refusals: Neon did not act.
func mayHaveApplied(status int, transportErr error) bool {
	if transportErr != nil {
		return !neverSent(transportErr)
	}
	switch status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// shouldRetry decides whether attempt (0-based) may be followed by another.
// transportErr is set when no response came back.
func (p RetryPolicy) shouldRetry(method string, attempt int, status int, transportErr error) bool {
	if attempt >= p.MaxRetries {
		return false
	}
	if transportErr != nil {
		if errors.Is(transportErr, context.Canceled) {
			return false
		}
		return idempotent(method) || neverSent(transportErr)
	}
	return idempotent(method) && retryableStatus(status)
}

// wait returns how long to sleep before retry number attempt+1, and false
// when the API asked for a wait longer than MaxWait (then it is better to
// report the rate limit than to hang).
func (p RetryPolicy) wait(attempt int, retryAfter time.Duration) (time.Duration, bool) {
	if retryAfter > 0 {
		if retryAfter > p.MaxWait {
			return 0, false
		}
		return retryAfter, true
	}
	ceiling := p.BaseDelay << attempt
	if ceiling <= 0 || ceiling > p.MaxWait {
		ceiling = p.MaxWait
	}
	if ceiling <= 0 {
		return 0, true
	}
	return rand.N(ceiling + 1), true // full jitter: uniform in [0, ceiling]
}

// maxRetryAfterSecs is the longest Retry-After, in seconds, that fits a
// time.Duration; larger values are clamped to it so they cannot overflow
// into a negative wait (and so an immediate retry): they still mean give up.
const maxRetryAfterSecs = math.MaxInt64 / int64(time.Second)

// parseRetryAfter reads a Retry-After header in seconds or HTTP-date form.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	// ParseInt saturates on overflow and says so with ErrRange: a value too
	// long for int64 is still a (huge) number of seconds.
	if secs, err := strconv.ParseInt(v, 10, 64); (err == nil || errors.Is(err, strconv.ErrRange)) && secs >= 0 {
		return time.Duration(min(secs, maxRetryAfterSecs)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
