package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

// rotateFlags are rotate's options.
type rotateFlags struct {
	orgID, newName, outPath string
	to                      []string
	keepOld, yes            bool
}

func (a *app) rotateCommand() *cobra.Command {
	var fl rotateFlags
	var bf bulkFlags
	cmd := &cobra.Command{
		Use:   "rotate ID|--older-than AGE [--org-id O] [--name NEW] [--to NAME…] [--keep-old] [--out FILE] [--yes]",
		Short: "Replace an API key with a new one at the same scope, then revoke the old one",
		Long: `Rotate an API key in one step: find it and its scope (personal,
organization-wide or project-scoped), create a replacement at the same scope
(named <old>-rotated-<UTC time> unless --name is given), deliver its token,
then revoke the old key.

The token goes to the destinations of --to (names from the destinations
config, see neonkeys destinations), else to those whose holds: names the key,
else to stdout (or --out FILE). With destinations the token is shown nowhere:
each destination is checked before anything is created (and before you are
asked), and the old key is revoked only when every one holds the new token.
If the first fails, the new key is revoked again; if a later one fails, both
keys stay live, the token is kept in a rescue file (0600) and the commands
that finish the job are printed. --keep-old keeps the old key in any case.

With --older-than AGE (90d, 12w, 12h) instead of an ID, every key created
longer ago than AGE (personal and every organization's, or --org-id's) is
planned, the plan shown, and one confirmation asked: then key by key, each
to the destinations that hold it, going on past a failed one. A key no
destination holds is skipped (--only-held: not listed), or rotated into a
token file in --out-dir with --include-unheld.

Exit codes: 0 all done; 1 anything left undone (a destination failed, the
old key could not be revoked, Ctrl-C); 2 refused before anything changed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.rotateOneOrMany(cmd, args, fl, bf)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.orgID, "org-id", "", "the organization the key belongs to (faster)")
	f.StringVar(&fl.newName, "name", "", "name of the replacement (default <old>-rotated-<UTC time>)")
	f.StringVar(&fl.outPath, "out", "", "write the new token to this new file (0600) instead of stdout (not with destinations)")
	f.StringArrayVar(&fl.to, "to", nil, "deliver the new token to this configured destination (repeatable; default: the destinations that hold the key)")
	f.BoolVar(&fl.keepOld, "keep-old", false, "keep the old key live; revoke it yourself once every system uses the new one")
	f.BoolVarP(&fl.yes, "yes", "y", false, "do not ask; required when not run at a terminal")
	addBulkFlags(f, &bf)
	_ = cmd.RegisterFlagCompletionFunc("to", a.completeDestinations)
	return cmd
}

func (a *app) rotate(cmd *cobra.Command, arg string, fl rotateFlags) error {
	id, err := parseKeyID(arg)
	if err != nil {
		return err
	}
	if err := checkID("--org-id", fl.orgID); err != nil {
		return err
	}
	if flagSet(cmd.Flags(), "name") {
		if err := checkNewName(fl.newName); err != nil {
			return err
		}
	}
	if err := checkOutFile(cmd.Flags(), fl.outPath); err != nil {
		return err
	}
	if len(fl.to) > 0 && fl.outPath != "" {
		return outWithDestinations()
	}
	cfg, err := a.loadConfig(len(fl.to) > 0)
	if err != nil {
		return err
	}
	if cfg == nil {
		// No destination can hold the key: refuse a token that would be
		// lost before any request, as without a config at all.
		if err := a.checkTokenDestination(cmd.Flags(), fl.outPath); err != nil {
			return err
		}
	}
	ctx := cmd.Context()
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	a.step("Looking up key %d…", id)
	target, err := svc.Locate(ctx, id, fl.orgID)
	if err == nil {
		err = target.CheckRotate()
	}
	if err != nil {
		return a.apiErr(keys.OpRotate, err)
	}
	old := &target.Key
	// Clean once for every use: the preview, the prompt, the new name.
	cleanStrings(old, secret.StripControl)
	dests, err := a.rotationDestinations(cfg, fl, *old)
	if err != nil {
		return err
	}
	req := svc.RotateRequest(*old, fl.newName)
	if len(dests) > 0 {
		return a.rotateTo(ctx, svc, *target, req, dests, fl)
	}
	if cfg != nil {
		if err := a.checkTokenDestination(cmd.Flags(), fl.outPath); err != nil {
			return err
		}
	}
	return a.rotateToOutput(ctx, svc, *target, req, fl)
}

// outWithDestinations refuses --out next to destinations: with
// destinations the token is written nowhere else, and a file destination
// (replaced on each rotation) is the tracked way to keep one.
func outWithDestinations() error {
	return usageErr("--out cannot be combined with destinations: with destinations the new token is written to them only (add a file destination to keep it in a file); nothing was done")
}

// rotationDestinations are the destinations of --to, else those that hold
// the key (holds:), opened; none when the config has none for it.
func (a *app) rotationDestinations(cfg *destination.Config, fl rotateFlags, old keys.Key) ([]destination.Destination, error) {
	if len(fl.to) > 0 {
		dests, err := a.openNamed(cfg, fl.to)
		if err == nil {
			a.warnHeldElsewhere(cfg, old.Name, fl.to)
		}
		return dests, err
	}
	if cfg == nil {
		return nil, nil
	}
	held := cfg.HeldBy(old.Name)
	if len(held) == 0 {
		return nil, nil
	}
	if fl.outPath != "" {
		return nil, usageErr("key %d is held by the destinations %s (holds: in %s), and a rotation delivers to them only: drop --out (add a file destination to keep the token in a file); nothing was done",
			old.ID, specNames(held), cfg.Path)
	}
	a.step("Key %d is held by %s (holds: in %s).", old.ID, specNames(held), cfg.Path)
	return a.open(held)
}

func specNames(specs []destination.Spec) string {
	names := ""
	for i, s := range specs {
		if i > 0 {
			names += ", "
		}
		names += s.Name
	}
	return names
}

// rotateTo rotates with destinations: preflight, the preview naming each
// destination, the confirmation, then package handoff does the rest.
func (a *app) rotateTo(ctx context.Context, svc *keys.Service, target keys.Target, req keys.CreateRequest, dests []destination.Destination, fl rotateFlags) error {
	old := target.Key
	if err := a.preflight(ctx, dests, "nothing was created and nothing was revoked"); err != nil {
		return err
	}
	then := fmt.Sprintf("then key %d revoked once every destination holds the new token", old.ID)
	if fl.keepOld {
		then = fmt.Sprintf("and key %d kept live (--keep-old)", old.ID)
	}
	a.say("%s\n%s  A new key %q will be created (%s), its token written to %d destination(s), %s:\n%s",
		a.heading(fl.yes, "Rotate this key?", "Rotating:", "Would rotate:"), describeKey(old), req.Name, req.ScopeText(), len(dests), then, describeDests(dests))
	if hasSelf(dests) {
		// The key file is among the destinations: neonkeys switches to the
		// new key, so the "stops working" warning would be wrong.
		a.say("  neonkeys' own key file is among them: it gets the new key, and neonkeys uses it from then on.")
		target.Self = keys.NotSelf
	}
	a.sayAboutTarget(target, keys.OpRotate)
	if err := a.confirmTo(ctx, old, "rotate", fl.yes, destNames(dests)); err != nil {
		return err
	}
	plan := handoff.Plan{Request: req, Old: &old, Destinations: dests, KeepOld: fl.keepOld}
	return a.runHandoff(ctx, svc, plan, keys.OpRotate, func(out *handoff.Outcome) {
		if note := target.SelfAfter(keys.OpRotate); note != "" && out.Revoked != nil {
			a.say("Note: %s.", note)
		}
	})
}

// rotateToOutput is a rotation without destinations: the token to stdout
// or --out, then the old key revoked (kept with --keep-old).
func (a *app) rotateToOutput(ctx context.Context, svc *keys.Service, target keys.Target, req keys.CreateRequest, fl rotateFlags) error {
	old := &target.Key
	then := fmt.Sprintf("then key %d revoked", old.ID)
	if fl.keepOld {
		then = fmt.Sprintf("and key %d kept live (--keep-old)", old.ID)
	}
	a.say("%s\n%s  A new key %q will be created (%s), its token delivered, %s.",
		a.heading(fl.yes, "Rotate this key?", "Rotating:", "Would rotate:"), describeKey(*old), req.Name, req.ScopeText(), then)
	a.sayAboutTarget(target, keys.OpRotate)
	if err := a.confirm(ctx, *old, "rotate", fl.yes); err != nil {
		return err
	}
	d := &delivery{a: a, outPath: fl.outPath, rotated: old}
	a.step("Creating the replacement…")
	if fl.keepOld {
		if _, err := svc.CreateAndDeliver(ctx, req, d.deliver); err != nil {
			return a.apiErr(keys.OpRotate, err)
		}
		a.say("Kept the old key %d, as asked: once every system uses the new key, run %s", old.ID, handoff.RevokeCommand(*old))
		return d.summaryErr
	}
	res, err := svc.Rotate(ctx, *old, req, a.thenStep(d.deliver, "Revoking the old key %d…", old.ID))
	if err != nil {
		return a.apiErr(keys.OpRotate, err)
	}
	if res.RevokeErr != nil {
		return failErr("the new key %d is delivered, but revoking the old key %d failed: %s. Key %d is still live: revoke it with %s",
			res.New.ID, old.ID, a.red.Redact(explain(keys.OpRevoke, res.RevokeErr)), old.ID, handoff.RevokeCommand(*old))
	}
	a.say("Revoked the old key %d.", old.ID)
	if after := target.SelfAfter(keys.OpRotate); after != "" {
		a.say("Note: %s.", after)
	}
	return d.summaryErr
}
