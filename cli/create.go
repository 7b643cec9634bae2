package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/keys"
)

func (a *app) createCommand() *cobra.Command {
	var req keys.CreateRequest
	var outPath string
	cmd := &cobra.Command{
		Use:   "create --name NAME [--project-id P | --org-id O] [--out FILE]",
		Short: "Create an API key: personal, organization-wide or project-scoped",
		Long: `Create an API key. Without --org-id or --project-id it is a personal key;
with --org-id an organization-wide key; with --project-id a key limited to that
project (its organization is looked up).

The token is printed once to stdout. With --out FILE it is written to a new
file (mode 0600; an existing file is never overwritten) and only its
fingerprint is printed, so it never reaches a terminal or a CI log.`,
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
	_ = cmd.MarkFlagRequired("name")
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
