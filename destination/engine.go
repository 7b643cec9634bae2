package destination

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/neonkeys/neonkeys/secret"
)

// Status is where a destination stands after a delivery.
type Status string

const (
	// Delivered: it holds the new token (written and verified).
	Delivered Status = "delivered"
	// Failed: it certainly does not hold the new token; it keeps what it had.
	Failed Status = "failed"
	// Uncertain: the write may have happened (an answer lost, a program
	// stopped by its timeout); treat it as holding either token.
	Uncertain Status = "uncertain"
	// NotTried: the delivery never started (an earlier failure of the first
	// destination, or cancellation).
	NotTried Status = "not tried"
)

// Result is one destination's outcome. Detail and Err are redacted text.
type Result struct {
	Name   string
	Kind   Kind
	Target string
	Status Status
	Detail string // what the destination reported on success (a program's output)
	Err    string // why it failed, "" when delivered
}

// Report is the outcome of one Deliver, in the order the destinations were
// given.
type Report struct {
	Results []Result
	// Cancelled: ctx ended before every delivery had started.
	Cancelled bool
}

// Next is what the caller does with the old and the new key after a delivery.
type Next string

const (
	// RevokeOld: every destination holds the new token; the old key can go
	// (unless the person asked to keep it).
	RevokeOld Next = "revoke-old"
	// Withdraw: no destination holds the new token nor may hold it; revoke
	// the new key, keep the old one.
	Withdraw Next = "withdraw"
	// Rescue: some hold the new token and some do not: keep both keys live,
	// write the token to a rescue file, and tell the person which is where.
	Rescue Next = "rescue"
)

// Next decides the caller's move; see the package comment.
func (r Report) Next() Next {
	delivered, maybe := 0, 0
	for _, res := range r.Results {
		switch res.Status {
		case Delivered:
			delivered++
		case Uncertain:
			maybe++
		}
	}
	switch {
	case delivered == len(r.Results):
		return RevokeOld
	case delivered == 0 && maybe == 0:
		return Withdraw
	default:
		return Rescue
	}
}

// Names returns the names of the destinations with one of the statuses.
func (r Report) Names(statuses ...Status) []string {
	var names []string
	for _, res := range r.Results {
		for _, s := range statuses {
			if res.Status == s {
				names = append(names, res.Name)
				break
			}
		}
	}
	return names
}

// Deliverer runs preflights and deliveries.
type Deliverer struct {
	// Redactor masks the token (registered by Deliver) and every other
	// secret in the texts of results and errors: the Env's own, so it also
	// knows the GitHub credential. Nil means one of its own.
	Redactor *secret.Redactor
	// OnResult, when set, is told of each destination as it finishes
	// (progress for a person; calls are never concurrent).
	OnResult func(Result)
}

// PreflightError is one destination's failed preflight.
type PreflightError struct {
	Name   string
	Target string
	Err    string // redacted
}

func (e *PreflightError) Error() string {
	return fmt.Sprintf("destination %s (%s): %s", e.Name, e.Target, e.Err)
}

// Preflight checks every destination, all at once, writing nothing. It
// returns nil, or the failures (each a *PreflightError naming its
// destination) joined: the caller must then mint nothing.
func (d Deliverer) Preflight(ctx context.Context, dests []Destination) error {
	var errs []error
	for _, err := range d.PreflightEach(ctx, dests) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// PreflightEach checks every destination at once and returns one entry per
// destination, in order: nil when it passed, else a *PreflightError
// (destinations --check shows them all).
func (d Deliverer) PreflightEach(ctx context.Context, dests []Destination) []error {
	d = d.withRedactor()
	errs := make([]error, len(dests))
	var wg sync.WaitGroup
	for i, dest := range dests {
		wg.Go(func() {
			if err := dest.Preflight(ctx); err != nil {
				errs[i] = &PreflightError{Name: dest.Name(), Target: dest.Target(), Err: d.clean(err)}
			}
		})
	}
	wg.Wait()
	return errs
}

func (d Deliverer) withRedactor() Deliverer {
	if d.Redactor == nil {
		d.Redactor = secret.NewRedactor()
	}
	return d
}

func (d Deliverer) clean(err error) string {
	return secret.StripControl(d.Redactor.Redact(err.Error()))
}

// Deliver writes token to every destination, in the order and with the
// failure rules of the package comment, and reports each outcome.
func (d Deliverer) Deliver(ctx context.Context, token string, dests []Destination) Report {
	d = d.withRedactor()
	d.Redactor.Add(token)
	rep := Report{Results: make([]Result, len(dests))}
	for i, dest := range dests {
		rep.Results[i] = Result{Name: dest.Name(), Kind: dest.Kind(), Target: dest.Target(), Status: NotTried}
	}
	if len(dests) == 0 {
		return rep
	}
	var mu sync.Mutex // guards rep and serialises OnResult
	run := func(i int) {
		if ctx.Err() != nil {
			mu.Lock()
			rep.Cancelled = true
			mu.Unlock()
			return
		}
		res := d.deliverOne(ctx, token, dests[i])
		mu.Lock()
		defer mu.Unlock()
		rep.Results[i] = res
		if d.OnResult != nil {
			d.OnResult(res)
		}
	}
	// The first alone: if it certainly failed, nothing holds the new token
	// and the rest are not tried, so the caller can withdraw it cleanly.
	run(0)
	if rep.Results[0].Status == Failed || rep.Cancelled {
		rep.Cancelled = rep.Cancelled || ctx.Err() != nil
		return rep
	}
	var wg sync.WaitGroup
	for _, group := range githubGroups(dests[1:], 1) {
		wg.Go(func() {
			for _, i := range group {
				run(i)
			}
		})
	}
	for i := 1; i < len(dests); i++ {
		if _, ok := dests[i].(*githubDest); !ok {
			run(i)
		}
	}
	wg.Wait()
	return rep
}

// githubGroups returns the indexes (offset by base) of the GitHub
// destinations, grouped by the secret they write: groups run concurrently,
// a group's members one after the other.
func githubGroups(dests []Destination, base int) [][]int {
	var groups [][]int
	at := map[string]int{}
	for i, dest := range dests {
		g, ok := dest.(*githubDest)
		if !ok {
			continue
		}
		id := g.secretID()
		if j, seen := at[id]; seen {
			groups[j] = append(groups[j], base+i)
			continue
		}
		at[id] = len(groups)
		groups = append(groups, []int{base + i})
	}
	return groups
}

func (d Deliverer) deliverOne(ctx context.Context, token string, dest Destination) Result {
	res := Result{Name: dest.Name(), Kind: dest.Kind(), Target: dest.Target()}
	detail, err := dest.Deliver(ctx, token)
	switch {
	case err == nil:
		res.Status, res.Detail = Delivered, secret.StripControl(d.Redactor.Redact(detail))
	case errors.Is(err, ErrMayBeWritten):
		res.Status, res.Err = Uncertain, d.clean(err)
	default:
		res.Status, res.Err = Failed, d.clean(err)
	}
	return res
}
