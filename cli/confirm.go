package cli

import (
	"bufio"
	"context"
	"strconv"
	"strings"

	"github.com/neonkeys/neonkeys/keys"
)

// maxConfirmTries is how many wrong answers the prompt takes before giving up.
const maxConfirmTries = 3

type lineResult struct {
	line string
	err  error
}

// confirm asks the person at the terminal to type the key's name before a
// revoke or a rotation. With yes it asks nothing; without a terminal it
// refuses. Ctrl-C (ctx ends) or end of input at the prompt changes nothing.
func (a *app) confirm(ctx context.Context, k keys.Key, verb string, yes bool) error {
	return a.confirmTo(ctx, k, verb, yes, "")
}

// confirmTo is confirm whose prompt also names the destinations (to) the
// new token will overwrite, so the typed answer approves them too.
func (a *app) confirmTo(ctx context.Context, k keys.Key, verb string, yes bool, to string) error {
	if yes {
		return nil
	}
	if !a.env.interactive {
		return usageErr("refusing to %s key %d without --yes when not run at a terminal (stdin and stderr must both be one); nothing was changed", verb, k.ID)
	}
	shown := strings.TrimSpace(cleanText(a.red, k.Name))
	raw := strings.TrimSpace(k.Name)
	prompt, what := "Type the key name to confirm: ", "the key's name"
	if shown == "" {
		// A name of control characters alone cannot be typed: ask for the id.
		shown, raw = strconv.FormatInt(k.ID, 10), strconv.FormatInt(k.ID, 10)
		prompt, what = "Type the key id to confirm: ", "the key's id"
	}
	if to != "" {
		prompt = strings.TrimSuffix(prompt, ": ") + " writing the new token to " + to + ": "
	}
	return a.askTyped(ctx, prompt, what, func(typed string) bool {
		return typed == shown || typed == raw || collapseSpaces(typed) == collapseSpaces(shown)
	})
}

// askTyped shows prompt until the person types an answer ok accepts, at
// most maxConfirmTries times; what names the expected answer in the retry
// hint. Ctrl-C (ctx ends) or end of input changes nothing.
func (a *app) askTyped(ctx context.Context, prompt, what string, ok func(typed string) bool) error {
	in := bufio.NewReader(a.env.io.Stdin)
	for try := 1; try <= maxConfirmTries; try++ {
		a.sayRaw(prompt)
		lines := make(chan lineResult, 1)
		go func() {
			line, err := in.ReadString('\n')
			lines <- lineResult{line, err}
		}()
		select {
		case <-ctx.Done():
			a.say("")
			return usageErr("interrupted: nothing was changed")
		case r := <-lines:
			typed := strings.TrimSpace(r.line)
			if r.err != nil && typed == "" {
				a.say("")
				return usageErr("no confirmation (end of input): nothing was changed")
			}
			if ok(typed) {
				return nil
			}
			if try < maxConfirmTries {
				a.say("That is not %s; try again (Ctrl-C to stop).", what)
			}
		}
	}
	return usageErr("that was not %s %d times: nothing was changed", what, maxConfirmTries)
}

// heading introduces the preview of a revoke or a rotation. It is a
// question only when the prompt follows: with --yes nothing is asked, and
// without a terminal the command refuses.
func (a *app) heading(yes bool, ask, doing, would string) string {
	switch {
	case yes:
		return doing
	case a.env.interactive:
		return ask
	default:
		return would
	}
}

// previewName is a key name as a preview shows it: runs of white space
// collapsed to one space, then quoted with Go's escaping (as the MCP dialog
// does), so a name of up to 256 characters from the API cannot close its
// own quotes or push dialog-like text ("… this only LISTS keys. Allow it?")
// into the preview as if neonkeys had written it.
func previewName(name string) string { return strconv.Quote(collapseSpaces(name)) }

// collapseSpaces trims s and turns each run of white space into one space.
func collapseSpaces(s string) string { return strings.Join(strings.Fields(s), " ") }

// sayRaw writes text to stderr without a newline (a prompt).
func (a *app) sayRaw(s string) { _, _ = a.stderr.Write([]byte(s)) }
