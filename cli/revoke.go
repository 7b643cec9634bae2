package cli

import (
	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

func (a *app) revokeCommand() *cobra.Command {
	var orgID string
	var yes bool
	cmd := &cobra.Command{
		Use:   "revoke ID [--org-id O] [--yes]",
		Short: "Revoke an API key",
		Long: `Revoke an API key. Without --org-id the key is looked for among your
personal keys, then in each of your organizations.

On a terminal it shows the key and asks you to type its name; without a
terminal it refuses unless --yes is given.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseKeyID(args[0])
			if err != nil {
				return err
			}
			if err := checkID("--org-id", orgID); err != nil {
				return err
			}
			svc, err := a.service(cmd.Context())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			a.step("Looking up key %d…", id)
			target, err := svc.Locate(ctx, id, orgID)
			if err != nil {
				return a.apiErr(keys.OpRevoke, err)
			}
			key := &target.Key
			// Clean once for every use: the preview, the prompt, the answer.
			cleanStrings(key, secret.StripControl)
			a.say("%s\n%s", a.heading(yes, "Revoke this key?", "Revoking:", "Would revoke:"), describeKey(*key))
			a.sayAboutTarget(*target, keys.OpRevoke)
			if err := a.confirm(ctx, *key, "revoke", yes); err != nil {
				return err
			}
			a.step("Revoking key %d…", key.ID)
			if _, err := svc.Revoke(ctx, *key); err != nil {
				return a.apiErr(keys.OpRevoke, err)
			}
			a.say("Revoked key %d %q (%s).", key.ID, key.Name, key.ScopeText())
			if after := target.SelfAfter(keys.OpRevoke); after != "" {
				a.say("Note: %s.", after)
			}
			if a.output == outTable {
				return nil
			}
			return writeErr(a.writeValue(&keys.RevokedView{Revoked: true, Key: key.View()}))
		},
	}
	f := cmd.Flags()
	f.StringVar(&orgID, "org-id", "", "the organization the key belongs to (faster, and needed without access to /users/me/organizations)")
	f.BoolVarP(&yes, "yes", "y", false, "do not ask; required when not run at a terminal")
	return cmd
}

// sayAboutTarget adds to a revoke's or a rotation's preview what the user
// must know before confirming: the organization was taken from the
// credential, and the key is (or looks like) the one neonkeys runs with.
func (a *app) sayAboutTarget(t keys.Target, op keys.Operation) {
	if t.OrgFromCredential {
		a.say("  (The credential is an organization API key: the key was looked for in its organization %s, no --org-id needed.)", t.OrgID)
	}
	if warn := t.SelfWarning(op); warn != "" {
		a.say("Warning: %s.", warn)
		if hint := a.selfDestinationHint(t, op); hint != "" {
			a.say("  %s.", hint)
		}
	}
}
