package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
)

// whoami is the answer of the whoami command, in the API's words where it
// has them.
type whoami struct {
	AccountID     string    `json:"account_id"`
	AuthMethod    string    `json:"auth_method"`
	KeyType       string    `json:"key_type"` // "personal" or "organization"
	Organizations []orgInfo `json:"organizations,omitempty"`
}

type orgInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

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
			ctx := cmd.Context()
			details, err := svc.API().GetAuthDetails(ctx)
			if err != nil {
				return a.apiErr(keys.OpWhoami, err)
			}
			w := whoami{AccountID: details.AccountID, AuthMethod: details.AuthMethod}
			switch details.AuthMethod {
			case neonapi.AuthMethodPersonalKey:
				w.KeyType = keys.ScopePersonal
				// The organizations are a courtesy: a failure here is not one of whoami.
				if orgs, err := svc.API().GetCurrentUserOrganizations(ctx); err == nil {
					for _, o := range orgs {
						w.Organizations = append(w.Organizations, orgInfo{ID: o.ID, Name: o.Name})
					}
				}
			case neonapi.AuthMethodOrgKey:
				w.KeyType = keys.ScopeOrganization
			default:
				w.KeyType = "other"
			}
			return a.show(&w, func() error { return a.writeWhoamiText(w) })
		},
	}
}

func (a *app) writeWhoamiText(w whoami) error {
	kind := "personal key"
	switch w.KeyType {
	case keys.ScopeOrganization:
		kind = "organization key (org-wide or project-scoped)"
	case "other":
		kind = "not an API key (" + w.AuthMethod + ")"
	}
	fmt.Fprintf(a.stdout, "account        %s\n", w.AccountID)
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
