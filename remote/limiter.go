package remote

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiterIdle is how long an unused bucket is kept: by then it is full
// again, so dropping it changes nothing.
const limiterIdle = 10 * time.Minute

// maxBuckets bounds the buckets kept at once; idle ones go first.
const maxBuckets = 100_000

// New credentials per client address: a key this instance has no bucket for
// takes a token from its address's bucket of new credentials first. A
// client that makes up a new key for every request would otherwise get a
// fresh bucket each time, and make this server send Neon one doomed call
// per request. A person's key is new once per idle spell (limiterIdle), so
// even a team behind one proxy address stays far below this.
const (
	newCredentialRate  = 1  // per second, sustained
	newCredentialBurst = 60 // at once
)

// limiter is a token bucket per credential (by digest: no credential is
// kept), so one client cannot crowd out the others or hammer Neon through
// this server.
type limiter struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int, now func() time.Time) *limiter {
	return &limiter{rate: rate.Limit(perSecond), burst: burst, now: now, buckets: map[string]*bucket{}}
}

// refusal is why allow refused, and how long until it would not.
type refusal struct {
	wait time.Duration
	why  string
}

// allow takes one token from key's bucket. A key without a bucket yet is a
// credential new to this instance: when newFrom (its client's address) is
// set, it first takes a token from that address's bucket of new
// credentials, and gets no bucket of its own if there is none.
func (l *limiter) allow(key, newFrom string) (refusal, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if newFrom != "" {
			if wait, ok := l.take("new:"+newFrom, newCredentialRate, newCredentialBurst, now); !ok {
				return refusal{wait, "Too many new credentials from this address"}, false
			}
		}
		b = l.add(key, l.rate, l.burst, now)
	}
	if wait, ok := b.take(now); !ok {
		return refusal{wait, "Too many requests with this credential"}, false
	}
	return refusal{}, true
}

// take takes one token from key's bucket, made with r and burst if new.
// The caller holds l.mu.
func (l *limiter) take(key string, r rate.Limit, burst int, now time.Time) (time.Duration, bool) {
	b, ok := l.buckets[key]
	if !ok {
		b = l.add(key, r, burst, now)
	}
	return b.take(now)
}

// add makes key's bucket. The caller holds l.mu.
func (l *limiter) add(key string, r rate.Limit, burst int, now time.Time) *bucket {
	if len(l.buckets) >= maxBuckets {
		l.sweep(now)
	}
	b := &bucket{lim: rate.NewLimiter(r, burst)}
	l.buckets[key] = b
	return b
}

// take takes one token, or says how long until there is one.
func (b *bucket) take(now time.Time) (time.Duration, bool) {
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	if delay := res.DelayFrom(now); delay > 0 {
		res.CancelAt(now)
		return delay, false
	}
	return 0, true
}

// sweep drops idle buckets; if too few are idle, half of all go (a flood
// of new credentials must not grow memory without bound).
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.seen) > limiterIdle {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) < maxBuckets {
		return
	}
	n := 0
	for k := range l.buckets {
		delete(l.buckets, k)
		if n++; n >= maxBuckets/2 {
			return
		}
	}
}
