package cli

import (
	"errors"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/keys"
)

func (a *app) listCommand() *cobra.Command {
	var opts keys.ListOptions
	cmd := &cobra.Command{
		Use:   "list [--org-id ORG] [--project-id P] [--name-contains TEXT]",
		Short: "List API keys: your personal keys, or an organization's",
		Long: `List API keys: your personal keys by default, an organization's keys with
--org-id, or the keys scoped to one project with --project-id.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkID("--org-id", opts.OrgID); err != nil {
				return err
			}
			if err := checkID("--project-id", opts.ProjectID); err != nil {
				return err
			}
			if opts.Limit < 0 {
				return usageErr("--limit must be 0 (all) or more")
			}
			svc, err := a.service(cmd.Context())
			if err != nil {
				return err
			}
			res, err := svc.List(cmd.Context(), opts)
			if err != nil {
				return a.apiErr(keys.OpList, err)
			}
			if a.output == outTable {
				a.colour.table()
			}
			if err := a.writeKeys(res.Keys); err != nil {
				if errors.Is(err, syscall.EPIPE) {
					// The reader left (neonkeys list | head): nothing to say.
					return &exitError{code: ExitFailed}
				}
				return failErr("writing the list: %v", err)
			}
			if res.OrgFromCredential {
				a.say("The credential is an organization API key: these are the keys of its organization %s.", res.OrgID)
			}
			if res.Total > len(res.Keys) {
				a.say("Showing %d of %d keys (--limit).", len(res.Keys), res.Total)
			}
			if len(res.Keys) == 0 && a.output == outTable {
				// The table alone would be a bare header.
				a.say("No keys.")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.OrgID, "org-id", "", "list this organization's keys")
	f.StringVar(&opts.ProjectID, "project-id", "", "list the keys scoped to this project (its organization is looked up)")
	f.StringVar(&opts.NameContains, "name-contains", "", "only keys whose name contains this text (case-insensitive)")
	f.IntVarP(&opts.Limit, "limit", "L", 0, "show at most this many keys (default all)")
	return cmd
}
