package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

func (a *app) rotateCommand() *cobra.Command {
	var orgID, newName, outPath string
	var yes bool
	cmd := &cobra.Command{
		Use:   "rotate ID [--org-id O] [--name NEW] [--out FILE] [--yes]",
		Short: "Replace an API key with a new one at the same scope, then revoke the old one",
		Long: `Rotate an API key in one step: find it and its scope (personal,
organization-wide or project-scoped), create a replacement at the same scope
(named <old>-rotated-<UTC time> unless --name is given), deliver its token
(stdout, or --out FILE), then revoke the old key.

If the old key cannot be revoked, the new token is still delivered, the old
key id is named, and the exit code is 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseKeyID(args[0])
			if err != nil {
				return err
			}
			if err := checkID("--org-id", orgID); err != nil {
				return err
			}
			if flagSet(cmd.Flags(), "name") {
				if err := checkNewName(newName); err != nil {
					return err
				}
			}
			if err := a.checkTokenDestination(cmd.Flags(), outPath); err != nil {
				return err
			}
			svc, err := a.service(cmd.Context())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			a.step("Looking up key %d…", id)
			target, err := svc.Locate(ctx, id, orgID)
			if err == nil {
				err = target.CheckRotate()
			}
			if err != nil {
				return a.apiErr(keys.OpRotate, err)
			}
			old := &target.Key
			// Clean once for every use: the preview, the prompt, the new name.
			cleanStrings(old, secret.StripControl)
			req := svc.RotateRequest(*old, newName)
			a.say("%s\n%s  A new key %q will be created (%s), its token delivered, then key %d revoked.",
				a.heading(yes, "Rotate this key?", "Rotating:", "Would rotate:"), describeKey(*old), req.Name, req.ScopeText(), old.ID)
			a.sayAboutTarget(*target, keys.OpRotate)
			if err := a.confirm(ctx, *old, "rotate", yes); err != nil {
				return err
			}
			d := &delivery{a: a, outPath: outPath, rotated: old}
			a.step("Creating the replacement…")
			res, err := svc.Rotate(ctx, *old, req, a.thenStep(d.deliver, "Revoking the old key %d…", old.ID))
			if err != nil {
				return a.apiErr(keys.OpRotate, err)
			}
			if res.RevokeErr != nil {
				return failErr("the new key %d is delivered, but revoking the old key %d failed: %s. Key %d is still live: revoke it with %s",
					res.New.ID, old.ID, a.red.Redact(explain(keys.OpRevoke, res.RevokeErr)), old.ID, revokeHint(*old))
			}
			a.say("Revoked the old key %d.", old.ID)
			if after := target.SelfAfter(keys.OpRotate); after != "" {
				a.say("Note: %s.", after)
			}
			return d.summaryErr
		},
	}
	f := cmd.Flags()
	f.StringVar(&orgID, "org-id", "", "the organization the key belongs to (faster)")
	f.StringVar(&newName, "name", "", "name of the replacement (default <old>-rotated-<UTC time>)")
	f.StringVar(&outPath, "out", "", "write the new token to this new file (0600) instead of stdout")
	f.BoolVarP(&yes, "yes", "y", false, "do not ask; required when not run at a terminal")
	return cmd
}

// revokeHint is the command that finishes a rotation by hand.
func revokeHint(k keys.Key) string {
	if k.OrgID == "" {
		return fmt.Sprintf("neonkeys revoke %d", k.ID)
	}
	return fmt.Sprintf("neonkeys revoke %d --org-id %s", k.ID, k.OrgID)
}
