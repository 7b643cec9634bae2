package neonapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"1", time.Second, true},
		{"120", 2 * time.Minute, true},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},                  // a past date means "now"
		{now.Add(90 * time.Second).Format(time.RFC850), 90 * time.Second, true}, // obsolete form http.ParseTime accepts
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseRetryAfterHugeIsClampedNotNegative(t *testing.T) {
	p := DefaultRetryPolicy()
	for _, v := range []string{"9300000000", "9223372036854775807", "99999999999999999999999"} {
		d, ok := parseRetryAfter(v, time.Now())
		if !ok || d != time.Duration(maxRetryAfterSecs)*time.Second {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want the clamp %v", v, d, ok, time.Duration(maxRetryAfterSecs)*time.Second)
		}
		if _, ok := p.wait(0, d); ok {
			t.Errorf("Retry-After %q: wait allowed a retry, want give up", v)
		}
	}
	if _, ok := parseRetryAfter("-99999999999999999999999", time.Now()); ok {
		t.Error("a hugely negative Retry-After was accepted")
	}
}

func TestMayHaveApplied(t *testing.T) {
	dial := &net.OpError{Op: "dial", Err: errors.New("refused")}
	read := &net.OpError{Op: "read", Err: errors.New("reset")}
	tests := []struct {
		status int
		err    error
		want   bool
	}{
		{0, dial, false}, // never sent
		{0, read, true},
		{0, context.DeadlineExceeded, true},
		{502, nil, true},
		{503, nil, true},
		{504, nil, true},
		{429, nil, false},
		{423, nil, false},
	}
	for _, tt := range tests {
		if got := mayHaveApplied(tt.status, tt.err); got != tt.want {
			t.Errorf("mayHaveApplied(%d, %v) = %v, want %v", tt.status, tt.err, got, tt.want)
		}
	}
}

func TestWaitHonoursRetryAfter(t *testing.T) {
	p := RetryPolicy{MaxRetries: 3, BaseDelay: 250 * time.Millisecond, MaxWait: 10 * time.Second}
	if d, ok := p.wait(0, 7*time.Second); !ok || d != 7*time.Second {
		t.Fatalf("wait = %v, %v; want the 7s Retry-After", d, ok)
	}
	if d, ok := p.wait(0, 10*time.Second); !ok || d != 10*time.Second {
		t.Fatalf("wait = %v, %v; MaxWait itself is allowed", d, ok)
	}
	if _, ok := p.wait(0, 11*time.Second); ok {
		t.Fatal("a Retry-After past MaxWait must give up")
	}
}

func TestWaitFullJitterWithinBounds(t *testing.T) {
	p := RetryPolicy{MaxRetries: 3, BaseDelay: 100 * time.Millisecond, MaxWait: time.Second}
	for attempt := range 8 {
		ceiling := min(p.BaseDelay<<attempt, p.MaxWait)
		var lo, hi time.Duration = ceiling, 0
		for range 500 {
			d, ok := p.wait(attempt, 0)
			if !ok {
				t.Fatal("backoff without Retry-After must always allow a retry")
			}
			if d < 0 || d > ceiling {
				t.Fatalf("attempt %d: wait %v outside [0, %v]", attempt, d, ceiling)
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		// Full jitter spreads waits over the whole range, not around one value.
		if hi-lo < ceiling/4 {
			t.Errorf("attempt %d: waits span only [%v, %v] of [0, %v]", attempt, lo, hi, ceiling)
		}
	}
}

func TestWaitHugeAttemptCapsAtMaxWait(t *testing.T) {
	p := RetryPolicy{BaseDelay: time.Second, MaxWait: 3 * time.Second}
	for _, attempt := range []int{40, 63, 64, 200} {
		d, ok := p.wait(attempt, 0)
		if !ok || d < 0 || d > p.MaxWait {
			t.Fatalf("attempt %d: wait %v, %v (shift overflow must cap at MaxWait)", attempt, d, ok)
		}
	}
	if d, ok := (RetryPolicy{}).wait(0, 0); !ok || d != 0 {
		t.Fatalf("zero policy: wait %v, %v", d, ok)
	}
}

func TestShouldRetry(t *testing.T) {
	p := RetryPolicy{MaxRetries: 2}
	dial := &net.OpError{Op: "dial", Err: errors.New("refused")}
	read := &net.OpError{Op: "read", Err: errors.New("reset")}
	tests := []struct {
		method  string
		attempt int
		status  int
		err     error
		want    bool
	}{
		{http.MethodGet, 0, 503, nil, true},
		{http.MethodGet, 1, 429, nil, true},
		{http.MethodGet, 2, 503, nil, false}, // MaxRetries reached
		{http.MethodGet, 0, 500, nil, false},
		{http.MethodGet, 0, 404, nil, false},
		{http.MethodDelete, 0, 423, nil, true},
		{http.MethodDelete, 0, 504, nil, true},
		{http.MethodPost, 0, 503, nil, false},
		{http.MethodPost, 0, 429, nil, false},
		{http.MethodGet, 0, 0, read, true},
		{http.MethodPost, 0, 0, read, false},
		{http.MethodPost, 0, 0, dial, true},
		{http.MethodPost, 0, 0, fmt.Errorf("wrapped: %w", dial), true},
		{http.MethodPost, 2, 0, dial, false},
		{http.MethodGet, 0, 0, context.Canceled, false},
		{http.MethodGet, 0, 0, fmt.Errorf("do: %w", context.Canceled), false},
		{http.MethodGet, 0, 0, context.DeadlineExceeded, true}, // a per-attempt timeout
	}
	for _, tt := range tests {
		if got := p.shouldRetry(tt.method, tt.attempt, tt.status, tt.err); got != tt.want {
			t.Errorf("shouldRetry(%s, %d, %d, %v) = %v, want %v", tt.method, tt.attempt, tt.status, tt.err, got, tt.want)
		}
	}
}

func TestDefaultRetryPolicy(t *testing.T) {
	// The product contract: 3 retries, backoff from 250 ms, Retry-After up to 10 s.
	p := DefaultRetryPolicy()
	if p.MaxRetries != 3 || p.BaseDelay != 250*time.Millisecond || p.MaxWait != 10*time.Second {
		t.Fatalf("DefaultRetryPolicy = %+v", p)
	}
}
