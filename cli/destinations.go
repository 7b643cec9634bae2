package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/config"
	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/keys"
)

// Destinations in the CLI: the config file (package destination), the
// preview and results of a create or rotation that delivers its token
// there (package handoff orders the steps), and `neonkeys destinations`.
//
// Exit codes: a config that is missing when --to needs it, malformed,
// refused (writable by others) or without the name asked for is a usage
// error (2), like any other command line neonkeys refuses before acting.
// A destination whose preflight fails is a failure (1): the command line
// was fine, a system outside neonkeys said no (GitHub's 403, a folder
// that is not writable), and trying again later may work; nothing was
// created. After a delivery, 0 means everything was done and 1 that
// something was left undone (the summary and next steps say what).

// loadConfig reads the destinations config. With required (the command
// line names destinations) a missing file is a usage error; without it a
// missing file, or no place to look for one, means no destinations.
func (a *app) loadConfig(required bool) (*destination.Config, error) {
	if _, err := destination.ConfigPath(a.env.getenv); err != nil {
		if !required {
			return nil, nil
		}
		return nil, usageErr("%v; nothing was done", err)
	}
	cfg, err := destination.Load(a.env.getenv)
	switch {
	case err == nil:
		return cfg, nil
	case errors.Is(err, destination.ErrNoConfig) && !required:
		return nil, nil
	case errors.Is(err, destination.ErrNoConfig):
		return nil, usageErr("--to names a destination, but %v: write the destinations config first (see neonkeys destinations --help); nothing was done", err)
	}
	return nil, configErr(err)
}

// configErr is a malformed or refused config: each problem on its own line.
func configErr(err error) error {
	return usageErr("the destinations config cannot be used; nothing was done:\n  %s",
		strings.ReplaceAll(err.Error(), "\n", "\n  "))
}

// destEnv is what destinations take from this run. credFile is set once
// the credential is loaded (service), or by credentialFile.
func (a *app) destEnv() destination.Env {
	return destination.Env{Getenv: a.env.getenv, Redactor: a.red, CredentialFile: a.credFile}
}

// credentialFile is the key file the credential would come from, for the
// commands that deliver without calling Neon (deliver, destinations): the
// precedence of config.LoadCredential, without reading the key. NEON_API_KEY
// is registered with the redactor, as a loaded credential would be.
func (a *app) credentialFile() {
	if key := a.env.getenv(config.EnvAPIKey); key != "" {
		a.red.Add(key)
		return
	}
	a.credFile = a.env.getenv(config.EnvAPIKeyFile)
}

// warnHeldElsewhere warns, before a confirmation, about the destinations
// of names whose holds: is another key than keyName ("" for a create).
func (a *app) warnHeldElsewhere(cfg *destination.Config, keyName string, names []string) {
	for _, w := range cfg.HeldElsewhere(keyName, names...) {
		a.say("WARNING: %s: this replaces that key's token there, and nothing then holds that key (it stays live).", w)
	}
}

// openNamed opens the destinations named (in that order) from cfg.
func (a *app) openNamed(cfg *destination.Config, names []string) ([]destination.Destination, error) {
	specs, err := cfg.Lookup(names...)
	if err != nil {
		return nil, usageErr("--to: %v; nothing was done", err)
	}
	return a.open(specs)
}

func (a *app) open(specs []destination.Spec) ([]destination.Destination, error) {
	dests, err := destination.Open(specs, a.destEnv())
	if err != nil {
		return nil, usageErr("%v; nothing was done", err)
	}
	return dests, nil
}

// deliverer reports each destination as it finishes, at a terminal.
func (a *app) deliverer() destination.Deliverer {
	return destination.Deliverer{Redactor: a.red, OnResult: func(r destination.Result) {
		a.step("  %s: %s", r.Name, r.Status)
	}}
}

// preflight checks dests before anything is minted, and before the
// confirmation: a person is not asked about a delivery that cannot work.
func (a *app) preflight(ctx context.Context, dests []destination.Destination, nothing string) error {
	a.step("Checking %d destination(s)…", len(dests))
	if err := a.deliverer().Preflight(ctx, dests); err != nil {
		return preflightErr(err, nothing)
	}
	return nil
}

// preflightErr lists the failed checks (each names its destination).
func preflightErr(err error, nothing string) error {
	return failErr("a destination failed its check, so %s:\n  %s",
		nothing, strings.ReplaceAll(err.Error(), "\n", "\n  "))
}

// describeDests is the part of a preview that says where the token goes
// and what each destination overwrites (its Target says it).
func describeDests(dests []destination.Destination) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, d := range dests {
		fmt.Fprintf(tw, "    %s\t%s\t%s\n", d.Name(), d.Kind(), d.Target())
	}
	_ = tw.Flush()
	return b.String()
}

// destNames is "a, b and c".
func destNames(dests []destination.Destination) string {
	names := make([]string, len(dests))
	for i, d := range dests {
		names[i] = d.Name()
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func hasSelf(dests []destination.Destination) bool {
	for _, d := range dests {
		if d.Kind() == destination.KindSelf {
			return true
		}
	}
	return false
}

// deliveryOut is one destination in an answer.
type deliveryOut struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Target string `json:"target"`
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
}

func deliveriesOut(results []destination.Result) []deliveryOut {
	out := make([]deliveryOut, len(results))
	for i, r := range results {
		out[i] = deliveryOut{Name: r.Name, Kind: string(r.Kind), Target: r.Target, Status: string(r.Status), Detail: r.Detail, Error: r.Err}
	}
	return out
}

// handoffOut is the answer (-o json|yaml) of a create or a rotation with
// destinations: the new key without its token, each destination's result,
// what became of both keys, and the commands that finish the job.
type handoffOut struct {
	NewKey          keys.NewKeyView `json:"new_key"`
	NewKeyWithdrawn bool            `json:"new_key_withdrawn"`
	OldKey          *keys.View      `json:"old_key,omitempty"`
	OldKeyRevoked   *bool           `json:"old_key_revoked,omitempty"`
	Destinations    []deliveryOut   `json:"destinations"`
	Next            string          `json:"next"`
	RescueFile      string          `json:"rescue_file,omitempty"`
	Interrupted     bool            `json:"interrupted,omitempty"`
	Complete        bool            `json:"complete"`
	Summary         string          `json:"summary"`
	NextSteps       []string        `json:"next_steps"`
}

// runHandoff carries out plan (package handoff orders every step), then
// reports: progress and the summary on stderr, the destinations on stdout.
// after, when set, adds its notes once the outcome is known.
func (a *app) runHandoff(ctx context.Context, svc *keys.Service, plan handoff.Plan, op keys.Operation, after func(*handoff.Outcome)) error {
	runner := handoff.Runner{Keys: svc, Deliverer: a.deliverer(), Getenv: a.env.getenv}
	a.step("Checking the destinations again, then creating the key…")
	out, err := runner.Run(ctx, plan)
	if err != nil {
		if errors.As(err, new(*destination.PreflightError)) {
			return preflightErr(err, "nothing was created")
		}
		if op == keys.OpCreate {
			return a.createErr(err)
		}
		return a.apiErr(op, err)
	}
	a.say("Created key %d %q (%s): %s.", out.New.ID, out.New.Name, out.New.ScopeText(), out.Fingerprint)
	a.sayProblems(out, op)
	if err := a.writeHandoff(out); err != nil {
		return writeErr(err)
	}
	a.say("%s.", out.Summary())
	if out.SwitchedCredential {
		a.say("neonkeys' own key file now holds the new key, and this run used it from then on.")
	}
	if after != nil {
		after(out)
	}
	a.sayNextSteps(out.NextSteps())
	if !out.Complete() {
		return &exitError{code: ExitFailed}
	}
	return nil
}

// sayProblems explains each failed step of a run on stderr.
func (a *app) sayProblems(out *handoff.Outcome, op keys.Operation) {
	for _, r := range out.Report.Results {
		if r.Err != "" {
			a.say("%s (%s): %s: %s", r.Name, r.Kind, r.Status, r.Err)
		}
	}
	if out.Report.Cancelled {
		a.say("Interrupted: the destinations marked \"not tried\" were not written.")
	}
	if out.WithdrawErr != nil {
		a.say("Withdrawing the new key %d failed: %s", out.New.ID, a.red.Redact(explain(keys.OpRevoke, out.WithdrawErr)))
	}
	if out.RescueErr != nil {
		a.say("Writing the rescue file failed: %s", a.red.Redact(out.RescueErr.Error()))
	}
	if out.RevokeErr != nil && out.Old != nil {
		a.say("Revoking the old key %d failed: %s", out.Old.ID, a.red.Redact(explain(keys.OpRevoke, out.RevokeErr)))
	}
}

func (a *app) sayNextSteps(steps []string) {
	if len(steps) == 0 {
		return
	}
	a.say("Next steps:")
	for _, s := range steps {
		a.say("  %s", s)
	}
}

// writeHandoff prints the outcome: a table of the destinations, or the
// handoffOut object.
func (a *app) writeHandoff(out *handoff.Outcome) error {
	if a.output == outTable {
		return a.writeDeliveryTable(out.Report.Results, out.Fingerprint, out.Old != nil)
	}
	v := newHandoffOut(out)
	return a.writeValue(&v)
}

// newHandoffOut is the answer object of one run (a bulk rotation holds one
// per key).
func newHandoffOut(out *handoff.Outcome) handoffOut {
	v := handoffOut{
		NewKey:          out.New.View(),
		NewKeyWithdrawn: out.Withdrawn(),
		Destinations:    deliveriesOut(out.Report.Results),
		Next:            string(out.Next),
		RescueFile:      out.RescuePath,
		Interrupted:     out.Interrupted || out.Report.Cancelled,
		Complete:        out.Complete(),
		Summary:         out.Summary(),
		NextSteps:       append([]string{}, out.NextSteps()...),
	}
	v.NewKey.Fingerprint = out.Fingerprint
	if out.Old != nil {
		old := out.Old.View()
		revoked := out.Revoked != nil
		v.OldKey, v.OldKeyRevoked = &old, &revoked
	}
	return v
}

// writeDeliveryTable prints one row per destination: its status, which
// token it holds now (the new one by its fingerprint) and its target.
func (a *app) writeDeliveryTable(results []destination.Result, fingerprint string, rotation bool) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DESTINATION\tKIND\tSTATUS\tHOLDS\tTARGET")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Kind, r.Status, holdsText(r.Status, fingerprint, rotation), r.Target)
	}
	return tw.Flush()
}

// holdsText says which token a destination holds after a delivery.
func holdsText(s destination.Status, fingerprint string, rotation bool) string {
	before := "what it held before"
	if rotation {
		before = "the old key"
	}
	switch s {
	case destination.Delivered:
		return "the new key " + fingerprint
	case destination.Uncertain:
		return "the new key or " + before
	default:
		return before
	}
}

// destinationsOut is the answer of neonkeys destinations -o json|yaml.
type destinationsOut struct {
	ConfigFile   string     `json:"config_file"`
	Destinations []destView `json:"destinations"`
}

// destView is one configured destination; Check and Error only with --check.
type destView struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Target string `json:"target"`
	Holds  string `json:"holds,omitempty"`
	Check  string `json:"check,omitempty"`
	Error  string `json:"error,omitempty"`
}

func (a *app) destinationsCommand() *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "destinations [--check]",
		Short: "List the configured destinations a new token can be delivered to",
		Long: `List the destinations of the config file ($NEONKEYS_CONFIG, else
$XDG_CONFIG_HOME/neonkeys/config.yaml, else ~/.config/neonkeys/config.yaml):
each name, its kind, what it points at and the key it holds (holds:).

With --check, each destination is checked as a rotation checks it before
minting anything (GitHub: the repository's public key can be read; a file:
its folder is writable; a command: the program exists), writing nothing.

No config file: the list is empty and the path is named (exit 0). A
malformed or refused config: its problems, exit 2. A failed check: exit 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.listDestinations(cmd.Context(), check)
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "check each destination without writing to it")
	return cmd
}

func (a *app) listDestinations(ctx context.Context, check bool) error {
	path, err := destination.ConfigPath(a.env.getenv)
	if err != nil {
		return usageErr("%v", err)
	}
	out := destinationsOut{ConfigFile: path, Destinations: []destView{}}
	cfg, err := destination.Load(a.env.getenv)
	if errors.Is(err, destination.ErrNoConfig) {
		a.say("No destinations: %s does not exist. Write it to deliver new tokens (see neonkeys rotate --help).", path)
		return a.showDestinations(&out, check)
	}
	if err != nil {
		return configErr(err)
	}
	a.credentialFile()
	dests, err := a.open(cfg.Destinations)
	if err != nil {
		return err
	}
	var errs []error
	if check {
		errs = a.deliverer().PreflightEach(ctx, dests)
	}
	failed := 0
	for i, d := range dests {
		v := destView{Name: d.Name(), Kind: string(d.Kind()), Target: d.Target(), Holds: cfg.Destinations[i].Holds}
		if check {
			v.Check = "passed"
			var pe *destination.PreflightError
			if errors.As(errs[i], &pe) {
				v.Check, v.Error = "failed", pe.Err
				failed++
				a.say("%s: %s", v.Name, v.Error)
			}
		}
		out.Destinations = append(out.Destinations, v)
	}
	if err := a.showDestinations(&out, check); err != nil {
		return err
	}
	if failed > 0 {
		return failErr("%d of %d destinations failed the check", failed, len(dests))
	}
	return nil
}

func (a *app) showDestinations(out *destinationsOut, check bool) error {
	return writeErr(a.show(out, func() error {
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		head := "NAME\tKIND\tHOLDS\tTARGET"
		if check {
			head = "NAME\tKIND\tHOLDS\tCHECK\tTARGET"
		}
		fmt.Fprintln(tw, head)
		for _, d := range out.Destinations {
			holds := d.Holds
			if holds == "" {
				holds = "-"
			}
			if check {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Name, d.Kind, holds, d.Check, d.Target)
			} else {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Name, d.Kind, holds, d.Target)
			}
		}
		return tw.Flush()
	}))
}

// selfDestinationHint follows the warning that a revoke or a rotation
// stops neonkeys' own credential: when that credential comes from a key
// file, a self destination would replace the file with the new key.
func (a *app) selfDestinationHint(t keys.Target, op keys.Operation) string {
	if a.credFile == "" || t.SelfWarning(op) == "" {
		return ""
	}
	how := fmt.Sprintf("add a self destination (for example own-key: {self: true} under destinations:) to %s, then run neonkeys rotate %d --to own-key",
		configPathText(a.env.getenv), t.ID)
	if cfg, err := a.loadConfig(false); err == nil && cfg != nil {
		for _, s := range cfg.Destinations {
			if s.Kind == destination.KindSelf {
				how = fmt.Sprintf("run neonkeys rotate %d --to %s (your self destination)", t.ID, s.Name)
				break
			}
		}
	}
	what := "To rotate it without losing access"
	if op == keys.OpRevoke {
		what = "To replace it without losing access, rotate it instead"
	}
	return fmt.Sprintf("%s: neonkeys reads its key from %s, which a self destination replaces with the new key (neonkeys then uses it): %s",
		what, a.credFile, how)
}

func configPathText(getenv func(string) string) string {
	if p, err := destination.ConfigPath(getenv); err == nil {
		return p
	}
	return "the destinations config ($" + destination.EnvConfig + ")"
}

// completeDestinations completes --to with the configured names (nothing,
// silently, when the config is missing or broken).
func (a *app) completeDestinations(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	cfg, err := destination.Load(a.env.getenv)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return cfg.Names(), cobra.ShellCompDirectiveNoFileComp
}
