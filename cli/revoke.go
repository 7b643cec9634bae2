package cli

import (
	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/secret"
)

// revokedOut is revoke's answer: the API's revoke response plus org_id.
type revokedOut struct {
	neonapi.RevokedAPIKey
	OrgID string `json:"org_id,omitempty"`
}

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
			key, err := svc.Find(ctx, id, orgID)
			if err != nil {
				return a.apiErr(keys.OpRevoke, err)
			}
			// Clean once for every use: the preview, the prompt, the answer.
			cleanStrings(key, secret.StripControl)
			a.say("%s\n%s", a.heading(yes, "Revoke this key?", "Revoking:", "Would revoke:"), describeKey(*key))
			if err := a.confirm(ctx, *key, "revoke", yes); err != nil {
				return err
			}
			a.step("Revoking key %d…", key.ID)
			revoked, err := svc.Revoke(ctx, *key)
			if err != nil {
				return a.apiErr(keys.OpRevoke, err)
			}
			a.say("Revoked key %d %q (%s).", key.ID, key.Name, key.ScopeText())
			if a.output == outTable {
				return nil
			}
			return writeErr(a.writeValue(&revokedOut{RevokedAPIKey: *revoked, OrgID: key.OrgID}))
		},
	}
	f := cmd.Flags()
	f.StringVar(&orgID, "org-id", "", "the organization the key belongs to (faster, and needed without access to /users/me/organizations)")
	f.BoolVarP(&yes, "yes", "y", false, "do not ask; required when not run at a terminal")
	return cmd
}
