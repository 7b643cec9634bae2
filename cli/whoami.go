package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/keys"
)

func (a *app) whoamiCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show whose credential this is: the account and whether it is a personal or an organization key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.service(cmd.Context())
			if err != nil {
				return err
			}
			w, err := svc.WhoAmI(cmd.Context())
			if err != nil {
				return a.apiErr(keys.OpWhoami, err)
			}
			return a.show(w, func() error { return a.writeWhoamiText(w) })
		},
	}
}

func (a *app) writeWhoamiText(w *keys.Identity) error {
	kind := "personal key"
	switch w.KeyType {
	case keys.KeyTypeOrganization:
		kind = "organization key (org-wide or project-scoped)"
	case keys.KeyTypeOther:
		kind = "not an API key (" + w.AuthMethod + ")"
	}
	fmt.Fprintf(a.stdout, "account        %s\n", w.AccountID)
	if w.User != nil && w.User.Name != "" {
		fmt.Fprintf(a.stdout, "name           %s\n", w.User.Name)
	}
	if w.User != nil && w.User.Email != "" {
		fmt.Fprintf(a.stdout, "email          %s\n", w.User.Email)
	}
	fmt.Fprintf(a.stdout, "credential     %s\n", kind)
	for i, o := range w.Organizations {
		label := ""
		if i == 0 {
			label = "organizations"
		}
		fmt.Fprintf(a.stdout, "%-14s %s (%s)\n", label, o.ID, o.Name)
	}
	return nil
}
