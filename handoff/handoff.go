// Package handoff runs a create or a rotation whose new token goes to
// destinations (package destination) instead of to a person or a model. It
// is the one place that decides, in this order, what happens to each key:
//
//  1. Preflight every destination; any failure mints nothing.
//  2. Create and verify the new key (package keys).
//  3. Deliver its token to the destinations.
//  4. Act on the report: nothing holds the new token → withdraw it and keep
//     the old key; some hold it and some do not → keep both keys live and
//     write the token to a rescue file; every destination holds it → revoke
//     the old key (unless KeepOld, or the run was interrupted).
//
// The CLI and the MCP tools both call Run, so the two faces cannot order
// these steps differently. No path loses the only usable key.
package handoff

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/secret"
)

// Plan is one create (Old nil) or rotation (Old set) with destinations.
type Plan struct {
	Request      keys.CreateRequest
	Old          *keys.Key
	Destinations []destination.Destination
	// KeepOld leaves the old key live even when every destination holds the
	// new token: "create, switch callers, then revoke" by hand.
	KeepOld bool
	// Preflighted: the caller checked every destination moments before, in
	// the same call, with no person asked in between (an MCP tool: a
	// confirmation arrives as a call of its own, which checks afresh), so
	// Run does not check again. The CLI leaves it false: its person may read
	// the question for minutes, and a destination can change meanwhile.
	Preflighted bool
}

// Outcome says what became of each key. New's Token is cleared: with
// destinations the token is shown nowhere, so no caller needs it.
type Outcome struct {
	New *keys.Created
	// Fingerprint names the new token (secret.Fingerprint) for answers:
	// New.Token is cleared, so New.View() cannot compute it.
	Fingerprint string
	Old         *keys.Key
	Report      destination.Report
	Next        destination.Next

	// WithdrawErr: when Next is Withdraw (no destination holds the new
	// key's token), the revoke of the new key failed and it may still work.
	WithdrawErr error

	// RescuePath is the file (0600) holding the token when some
	// destinations hold it and some do not; RescueErr says it could not be
	// written.
	RescuePath string
	RescueErr  error

	// The old key: Revoked, or RevokeErr (still live), or kept on purpose
	// (KeptOld: --keep-old, or an interruption before its revoke).
	Revoked     *neonapi.RevokedAPIKey
	RevokeErr   error
	KeptOld     bool
	Interrupted bool

	// SwitchedCredential: a self destination received the token and this
	// process now runs with it.
	SwitchedCredential bool
}

// Withdrawn reports whether the new key was revoked again because no
// destination received its token (and that revoke succeeded).
func (o *Outcome) Withdrawn() bool {
	return o.Next == destination.Withdraw && o.WithdrawErr == nil
}

// Complete reports whether the run did everything it set out to do: every
// destination holds the new token and the old key is gone (or kept on
// purpose with KeepOld).
func (o *Outcome) Complete() bool {
	return o.Next == destination.RevokeOld && o.RevokeErr == nil && !o.Interrupted
}

// Runner holds what a run needs besides its plan.
type Runner struct {
	Keys      *keys.Service
	Deliverer destination.Deliverer
	// Getenv locates the rescue folder (XDG_STATE_HOME, HOME).
	Getenv func(string) string
}

// Run carries out plan. An error means nothing was minted (a failed
// preflight, a refused create); otherwise the Outcome says what happened,
// and Complete whether it all did.
func (r Runner) Run(ctx context.Context, plan Plan) (*Outcome, error) {
	if len(plan.Destinations) == 0 {
		return nil, errors.New("handoff: a plan needs at least one destination")
	}
	// Callers preflight before their confirmation too (so nobody is asked
	// about a rotation that cannot deliver); this checks again, as a
	// destination may have changed while the person read the preview.
	if !plan.Preflighted {
		if err := r.Deliverer.Preflight(ctx, plan.Destinations); err != nil {
			return nil, err
		}
	}
	created, err := r.Keys.Create(ctx, plan.Request)
	if err != nil {
		return nil, err
	}
	token := created.Token
	shown := *created
	shown.Token = ""
	out := &Outcome{New: &shown, Old: plan.Old, Fingerprint: secret.Fingerprint(token)}
	out.Report = r.Deliverer.Deliver(ctx, token, plan.Destinations)
	out.Next = out.Report.Next()

	if selfHolds(out.Report) {
		r.Keys.UseToken(token)
		out.SwitchedCredential = true
	}
	switch out.Next {
	case destination.Withdraw:
		out.WithdrawErr = r.Keys.Withdraw(created.ID, created.OrgID)
	case destination.Rescue:
		out.RescuePath, out.RescueErr = destination.WriteRescue(r.Getenv, created.ID, created.Name, token)
		out.KeptOld = plan.Old != nil
	case destination.RevokeOld:
		r.revokeOld(ctx, plan, out)
	}
	return out, nil
}

// revokeOld revokes the replaced key once every destination holds the new
// token, except when asked to keep it or when the person interrupted the
// run: an interruption means "stop", and a live old key can still be
// revoked later, a revoked one cannot be brought back.
func (r Runner) revokeOld(ctx context.Context, plan Plan, out *Outcome) {
	switch {
	case plan.Old == nil:
	case plan.KeepOld:
		out.KeptOld = true
	case ctx.Err() != nil:
		out.KeptOld, out.Interrupted = true, true
	default:
		out.Revoked, out.RevokeErr = r.Keys.Revoke(ctx, *plan.Old)
		if out.RevokeErr != nil && ctx.Err() != nil {
			out.Interrupted = true
		}
	}
}

// selfHolds reports whether a self destination certainly received the new
// token: the key file neonkeys runs with now holds it.
func selfHolds(rep destination.Report) bool {
	for _, res := range rep.Results {
		if res.Kind == destination.KindSelf && res.Status == destination.Delivered {
			return true
		}
	}
	return false
}

// Summary is one line for a person: what became of the new and the old key.
func (o *Outcome) Summary() string {
	switch o.Next {
	case destination.Withdraw:
		if o.WithdrawErr != nil {
			return fmt.Sprintf("no destination received the new token; withdrawing the new key %d failed, so it may still work", o.New.ID)
		}
		return fmt.Sprintf("no destination received the new token, so the new key %d was revoked again", o.New.ID)
	case destination.Rescue:
		return fmt.Sprintf("only some destinations received the new token, so both the new key %d and the old one are live", o.New.ID)
	}
	switch {
	case o.Old == nil:
		return fmt.Sprintf("every destination holds the new key %d", o.New.ID)
	case o.Revoked != nil:
		return fmt.Sprintf("every destination holds the new key %d; the old key %d is revoked", o.New.ID, o.Old.ID)
	case o.RevokeErr != nil:
		return fmt.Sprintf("every destination holds the new key %d, but revoking the old key %d failed", o.New.ID, o.Old.ID)
	case o.Interrupted:
		return fmt.Sprintf("every destination holds the new key %d; interrupted before revoking the old key %d, which is still live", o.New.ID, o.Old.ID)
	default:
		return fmt.Sprintf("every destination holds the new key %d; the old key %d is kept, as asked", o.New.ID, o.Old.ID)
	}
}

// RevokeCommand is the CLI command that revokes k.
func RevokeCommand(k keys.Key) string {
	if k.OrgID == "" {
		return fmt.Sprintf("neonkeys revoke %d", k.ID)
	}
	// Quoted: the id comes from the API, and a printed step must be safe to
	// paste even when a hostile answer put a blank or $(…) in it.
	return fmt.Sprintf("neonkeys revoke %d --org-id %s", k.ID, destination.ShellQuote(k.OrgID))
}

// NextSteps are the commands that finish what the run left undone, for a
// person at a terminal (an MCP answer shows them to the user too: they
// name the rescue file, never the token).
func (o *Outcome) NextSteps() []string {
	var steps []string
	if o.Next == destination.Withdraw {
		if o.WithdrawErr != nil {
			steps = append(steps, "revoke the new key by hand: "+RevokeCommand(keys.Key{APIKey: neonapi.APIKey{ID: o.New.ID}, OrgID: o.New.OrgID}))
		}
		return steps
	}
	missing := o.Report.Names(destination.Failed, destination.Uncertain, destination.NotTried)
	if len(missing) > 0 {
		if o.RescuePath != "" {
			steps = append(steps, fmt.Sprintf("fix %s, then: neonkeys deliver --token-file %s%s", strings.Join(missing, ", "), ShellQuote(o.RescuePath), toFlags(missing)))
		} else {
			steps = append(steps, fmt.Sprintf("the rescue file could not be written, so the new token is only in %s: rotate again once %s work",
				strings.Join(o.Report.Names(destination.Delivered), ", "), strings.Join(missing, ", ")))
		}
	}
	if o.Old != nil && o.Revoked == nil {
		steps = append(steps, "once every system uses the new key: "+RevokeCommand(*o.Old))
	}
	if o.RescuePath != "" {
		steps = append(steps, "then delete the rescue file: rm "+ShellQuote(o.RescuePath))
	}
	return steps
}

// ShellQuote is destination.ShellQuote, for the commands this package prints.
func ShellQuote(s string) string { return destination.ShellQuote(s) }

func toFlags(names []string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(" --to ")
		b.WriteString(n)
	}
	return b.String()
}
