package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

// maxTokenFile is the most deliver reads from a token file: a Neon token
// and its newline are far shorter; anything longer is not a token file.
const maxTokenFile = 4 << 10

// deliverOut is deliver's answer with -o json|yaml.
type deliverOut struct {
	Fingerprint  string        `json:"fingerprint"`
	Destinations []deliveryOut `json:"destinations"`
	Complete     bool          `json:"complete"`
	NextSteps    []string      `json:"next_steps"`
}

func (a *app) deliverCommand() *cobra.Command {
	var tokenFile string
	var to []string
	cmd := &cobra.Command{
		Use:   "deliver --token-file FILE --to NAME [--to NAME…]",
		Short: "Deliver a token you already hold (a rescue file) to configured destinations",
		Long: `Write the token in FILE to the named destinations of the destinations
config: what finishes a rotation that left a rescue file (the rotation
prints this exact command). Nothing is created or revoked, and nothing asks:
the destinations are named on the command line.

The token is read from the file (first line), never from the command line,
where ps and the shell history would show it. --token-file - reads it from
stdin, when stdin is not a terminal (a pipe from a password manager).
Each destination is checked first; if any check fails, nothing is written.

Exit codes: 0 every destination holds the token; 1 a check or a delivery
failed; 2 refused (no such destination, not a Neon token, a bad config).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.deliverToken(cmd.Context(), tokenFile, to)
		},
	}
	f := cmd.Flags()
	f.StringVar(&tokenFile, "token-file", "", "the file holding the token (- for stdin)")
	f.StringArrayVar(&to, "to", nil, "a configured destination to write the token to (repeatable)")
	_ = cmd.MarkFlagRequired("token-file")
	_ = cmd.MarkFlagRequired("to")
	_ = cmd.RegisterFlagCompletionFunc("to", a.completeDestinations)
	return cmd
}

func (a *app) deliverToken(ctx context.Context, tokenFile string, to []string) error {
	token, err := a.readTokenFile(tokenFile)
	if err != nil {
		return err
	}
	cfg, err := a.loadConfig(true)
	if err != nil {
		return err
	}
	a.credentialFile()
	dests, err := a.openNamed(cfg, to)
	if err != nil {
		return err
	}
	if err := a.preflight(ctx, dests, "nothing was written"); err != nil {
		return err
	}
	fp := secret.Fingerprint(token)
	a.say("Delivering the token %s to %d destination(s):\n%s", fp, len(dests), describeDests(dests))
	rep := a.deliverer().Deliver(ctx, token, dests)
	for _, r := range rep.Results {
		if r.Err != "" {
			a.say("%s (%s): %s: %s", r.Name, r.Kind, r.Status, r.Err)
		}
	}
	steps := deliverSteps(rep, tokenFile, a.env.getenv)
	if a.output == outTable {
		err = a.writeDeliveryTable(rep.Results, fp, false)
	} else {
		err = a.writeValue(&deliverOut{Fingerprint: fp, Destinations: deliveriesOut(rep.Results),
			Complete: rep.Next() == destination.RevokeOld, NextSteps: append([]string{}, steps...)})
	}
	if err != nil {
		return writeErr(err)
	}
	a.sayNextSteps(steps)
	if rep.Next() != destination.RevokeOld {
		if rep.Cancelled {
			return failErr("interrupted: not every destination holds the token")
		}
		return failErr("not every destination holds the token")
	}
	a.say("Every destination holds the token %s.", fp)
	return nil
}

// deliverSteps are the commands that finish: the destinations still
// without the token, then, for a rescue file, removing it once done.
func deliverSteps(rep destination.Report, tokenFile string, getenv func(string) string) []string {
	var steps []string
	missing := rep.Names(destination.Failed, destination.Uncertain, destination.NotTried)
	if len(missing) > 0 && tokenFile != "-" {
		steps = append(steps, fmt.Sprintf("fix %s, then: neonkeys deliver --token-file %s%s",
			strings.Join(missing, ", "), handoff.ShellQuote(absPath(tokenFile)), " --to "+strings.Join(missing, " --to ")))
	}
	if dir, err := destination.RescueDir(getenv); err == nil && tokenFile != "-" && filepath.Dir(absPath(tokenFile)) == dir {
		steps = append(steps, "once every system uses the new key and the old key is revoked: rm "+handoff.ShellQuote(absPath(tokenFile)))
	}
	return steps
}

// readTokenFile reads a token from path (- : stdin, not a terminal) and
// checks its shape. The token is registered with the redactor first, and
// no message quotes it.
func (a *app) readTokenFile(path string) (string, error) {
	if strings.TrimSpace(path) == "" {
		return "", usageErr("--token-file is empty: give the file that holds the token; nothing was delivered")
	}
	var r io.Reader
	name := path
	if path == "-" {
		if isTerminal(a.env.io.Stdin) {
			return "", usageErr("--token-file -: stdin is a terminal, where a pasted token would show and stay in the scrollback: pipe it in, or give a file; nothing was delivered")
		}
		r, name = a.env.io.Stdin, "stdin"
	} else {
		// O_NONBLOCK: opening a named pipe returns at once (it would wait
		// for a writer), and the Stat below refuses it.
		f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return "", usageErr("--token-file: %v; nothing was delivered", unwrapPath(err))
		}
		defer f.Close()
		if info, err := f.Stat(); err == nil && !info.Mode().IsRegular() {
			return "", usageErr("--token-file %s is not a regular file; nothing was delivered", path)
		}
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxTokenFile+1))
	if err != nil {
		return "", usageErr("--token-file: reading %s: %v; nothing was delivered", name, unwrapPath(err))
	}
	line, _, _ := strings.Cut(string(data), "\n")
	token := strings.TrimSpace(line)
	a.red.Add(token)
	if len(data) > maxTokenFile {
		return "", usageErr("--token-file: %s is larger than %d bytes, so it is not a token file; nothing was delivered", name, maxTokenFile)
	}
	if problem := keys.TokenShapeProblem(token); problem != "" {
		return "", usageErr("--token-file: the first line of %s is not a Neon token: %s; nothing was delivered", name, problem)
	}
	return token, nil
}

// unwrapPath is an *os.PathError's cause with its path, without Go's
// "open" prefix.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
