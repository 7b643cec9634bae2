package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
)

func (a *app) createCommand() *cobra.Command {
	var req keys.CreateRequest
	var outPath string
	var to []string
	var yes bool
	cmd := &cobra.Command{
		Use:   "create --name NAME [--project-id P | --org-id O] [--out FILE | --to NAME… [--yes]]",
		Short: "Create an API key: personal, organization-wide or project-scoped",
		Long: `Create an API key. Without --org-id or --project-id it is a personal key;
with --org-id an organization-wide key; with --project-id a key limited to that
project (its organization is looked up).

The token is printed once to stdout. With --out FILE it is written to a new
file (mode 0600; an existing file is never overwritten) and only its
fingerprint is printed, so it never reaches a terminal or a CI log.

With --to NAME (repeatable; names from the destinations config, see
neonkeys destinations) the token is written to those destinations and shown
nowhere. They are checked before the key is created; since they overwrite
what they hold, you are asked to type the new key's name (--yes: do not
ask, required when not run at a terminal). If the first delivery fails the
new key is revoked again; if a later one fails the key stays, its token is
kept in a rescue file (0600) and the commands that finish are printed.
Exit codes with --to: 0 every destination holds the token; 1 not all do.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkNewName(req.Name); err != nil {
				return err
			}
			if err := checkID("--org-id", req.OrgID); err != nil {
				return err
			}
			if err := checkID("--project-id", req.ProjectID); err != nil {
				return err
			}
			if len(to) > 0 {
				return a.createTo(cmd, req, outPath, to, yes)
			}
			if err := a.checkTokenDestination(cmd.Flags(), outPath); err != nil {
				return err
			}
			ctx := cmd.Context()
			svc, err := a.service(ctx)
			if err != nil {
				return err
			}
			d := &delivery{a: a, outPath: outPath}
			a.step("Creating the key…")
			if _, err := svc.CreateAndDeliver(ctx, req, d.deliver); err != nil {
				return a.createErr(err)
			}
			return d.summaryErr
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Name, "name", "", "name of the new key (at most 64 characters)")
	f.StringVar(&req.OrgID, "org-id", "", "create an organization key (org-wide unless --project-id is given)")
	f.StringVar(&req.ProjectID, "project-id", "", "create a key scoped to this project")
	f.StringVar(&outPath, "out", "", "write the token to this new file (0600) instead of stdout")
	f.StringArrayVar(&to, "to", nil, "deliver the token to this configured destination instead (repeatable)")
	f.BoolVarP(&yes, "yes", "y", false, "with --to: do not ask; required when not run at a terminal")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.RegisterFlagCompletionFunc("to", a.completeDestinations)
	return cmd
}

// createErr is apiErr for create, except for the user's mistakes, which
// exit 2: a project without an organization (no project-scoped key can
// exist for it), or --org-id naming another organization than the project's.
func (a *app) createErr(err error) error {
	var mismatch *keys.OrgMismatchError
	if errors.As(err, &mismatch) {
		return usageErr("project %s belongs to organization %s, not %s: drop --org-id or pass --org-id %s; nothing was created",
			mismatch.ProjectID, mismatch.ProjectOrgID, mismatch.GivenOrgID, mismatch.ProjectOrgID)
	}
	if errors.As(err, new(*keys.ProjectNotInOrgError)) {
		return usageErr("%s", a.red.Redact(explain(keys.OpCreate, err)))
	}
	return a.apiErr(keys.OpCreate, err)
}

// createTo creates a key whose token goes to destinations: preflight, the
// preview naming each destination, the confirmation, then package handoff.
func (a *app) createTo(cmd *cobra.Command, req keys.CreateRequest, outPath string, to []string, yes bool) error {
	if outPath != "" {
		return outWithDestinations()
	}
	cfg, err := a.loadConfig(true)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	dests, err := a.openNamed(cfg, to)
	if err != nil {
		return err
	}
	a.warnHeldElsewhere(cfg, "", to)
	if err := a.preflight(ctx, dests, "nothing was created"); err != nil {
		return err
	}
	// The preview's scope names the project's organization.
	resolved, err := svc.Resolve(ctx, req)
	if err != nil {
		return a.createErr(err)
	}
	a.say("%s\n  A new key %q will be created (%s), its token written to %d destination(s):\n%s",
		a.heading(yes, "Create this key?", "Creating:", "Would create:"), req.Name, resolved.ScopeText(), len(dests), describeDests(dests))
	if !yes && !a.env.interactive {
		return usageErr("refusing to create a key whose token overwrites %s without --yes when not run at a terminal (stdin and stderr must both be one); nothing was created", destNames(dests))
	}
	if err := a.confirmTo(ctx, keys.Key{APIKey: neonapi.APIKey{Name: req.Name}}, "create", yes, destNames(dests)); err != nil {
		return err
	}
	return a.runHandoff(ctx, svc, handoff.Plan{Request: req, Destinations: dests}, keys.OpCreate, nil)
}
