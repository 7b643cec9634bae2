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

// allow takes one token from key's bucket. When there is none it returns
// how long until there is.
func (l *limiter) allow(key string) (time.Duration, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
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
