package cli

import (
	"fmt"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
)

// Progress: at a terminal, a command that waits on the API says what it is
// doing and why it is slow (a retry), on stderr, one line each. When stderr
// is not a terminal (a script, a CI log) nothing is added, so what a
// program reads there is the same however slow Neon is.

// step says what the command does next, when a person watches stderr.
func (a *app) step(format string, args ...any) {
	if a.env.progress {
		a.say(format, args...)
	}
}

// thenStep returns deliver that, once the token is delivered, says the next
// step (the revoke of a rotation, which can take as long as the create).
func (a *app) thenStep(deliver keys.Deliver, format string, args ...any) keys.Deliver {
	return func(c *keys.Created) error {
		if err := deliver(c); err != nil {
			return err
		}
		a.step(format, args...)
		return nil
	}
}

// onRetry is the client's neonapi.Options.OnRetry at a terminal: one line
// per retry, e.g. "Neon answered 503; retrying in 1.2 s, 2 of 3".
func (a *app) onRetry(r neonapi.Retry) {
	a.say("%s; retrying in %.1f s, %d of %d", a.retryCause(r), r.Wait.Seconds(), r.Number, r.Of)
}

// retryCause is why an attempt failed, in the words of the flag that
// changes it where there is one.
func (a *app) retryCause(r neonapi.Retry) string {
	switch {
	case r.Status != 0:
		return fmt.Sprintf("Neon answered %d", r.Status)
	case neonapi.IsTimeout(r.Err):
		return fmt.Sprintf("Neon did not answer within %s (--timeout)", a.timeout)
	default:
		return "Neon could not be reached"
	}
}

// retryHook is the client's OnRetry: onRetry at a terminal, else none.
func (a *app) retryHook() func(neonapi.Retry) {
	if !a.env.progress {
		return nil
	}
	return a.onRetry
}
