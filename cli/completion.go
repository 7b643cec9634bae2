package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/config"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/secret"
)

// completionTimeout bounds all the API calls behind one completion: the
// shell waits on them at each Tab, so after it the answer is whatever came
// back, possibly nothing. Failures are silent: a completion cannot explain.
const completionTimeout = 2 * time.Second

// registerCompletions completes -o values everywhere, --org-id and
// --project-id wherever a command has them, and the key id of revoke and
// rotate, from the API.
func (a *app) registerCompletions(root *cobra.Command) {
	_ = root.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{outTable, outJSON, outYAML}, cobra.ShellCompDirectiveNoFileComp
	})
	for _, c := range root.Commands() {
		if c.Flags().Lookup("org-id") != nil {
			_ = c.RegisterFlagCompletionFunc("org-id", a.completeOrgIDs)
		}
		if c.Flags().Lookup("project-id") != nil {
			_ = c.RegisterFlagCompletionFunc("project-id", a.completeProjectIDs)
		}
		switch c.Name() {
		case "revoke", "rotate":
			c.ValidArgsFunction = a.completeKeyIDs
		}
	}
}

// completionAPI returns a client for completions and the context bounding
// them, or a nil client when there is no usable credential. It never reads
// stdin (the shell's) and prints nothing.
func (a *app) completionAPI(cmd *cobra.Command) (context.Context, context.CancelFunc, *neonapi.Client) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	if a.apiKey == "-" {
		return ctx, cancel, nil
	}
	cred, err := config.LoadCredential(ctx, a.env.getenv, strings.NewReader(""), a.apiKey, io.Discard)
	if err != nil {
		return ctx, cancel, nil
	}
	opts := a.clientOptions(cred.Token)
	opts.Timeout = completionTimeout
	opts.Retry = &neonapi.RetryPolicy{} // no retry: the shell is waiting
	opts.OnRetry = nil
	api, err := neonapi.New(opts)
	if err != nil {
		return ctx, cancel, nil
	}
	return ctx, cancel, api
}

// candidates collects completions that start with what the user typed.
type candidates struct {
	prefix string
	red    *secret.Redactor
	out    []string
}

// add offers value with a description made safe for the shell: the API's
// text loses control characters (a tab would start a new field, a newline
// a new candidate) and passes the redactor.
func (c *candidates) add(value, description string) {
	if !strings.HasPrefix(value, c.prefix) || checkID("", value) != nil && !isKeyID(value) {
		return
	}
	c.out = append(c.out, value+"\t"+secret.StripControl(c.red.Redact(description)))
}

func isKeyID(s string) bool {
	_, err := parseKeyID(s)
	return err == nil
}

func (a *app) completeOrgIDs(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	ctx, cancel, api := a.completionAPI(cmd)
	defer cancel()
	c := &candidates{prefix: toComplete, red: a.red}
	if api != nil {
		orgs, _ := api.GetCurrentUserOrganizations(ctx)
		for _, o := range orgs {
			c.add(o.ID, o.Name)
		}
	}
	return c.out, cobra.ShellCompDirectiveNoFileComp
}

func (a *app) completeProjectIDs(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	ctx, cancel, api := a.completionAPI(cmd)
	defer cancel()
	c := &candidates{prefix: toComplete, red: a.red}
	if api == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	for _, scope := range a.completionScopes(ctx, cmd, api) {
		projects, _ := api.ListProjects(ctx, neonapi.ListProjectsOptions{OrgID: scope.id, MaxItems: 1000})
		for _, p := range projects {
			c.add(p.ID, fmt.Sprintf("%s (%s)", p.Name, scope.name))
		}
	}
	return c.out, cobra.ShellCompDirectiveNoFileComp
}

func (a *app) completeKeyIDs(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel, api := a.completionAPI(cmd)
	defer cancel()
	c := &candidates{prefix: toComplete, red: a.red}
	if api == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	for _, scope := range a.completionScopes(ctx, cmd, api) {
		var list []neonapi.APIKey
		if scope.id == "" {
			list, _ = api.ListAPIKeys(ctx)
		} else {
			list, _ = api.ListOrgAPIKeys(ctx, scope.id)
		}
		for _, k := range list {
			c.add(strconv.FormatInt(k.ID, 10), fmt.Sprintf("%s (%s)", k.Name, scope.name))
		}
	}
	return c.out, cobra.ShellCompDirectiveNoFileComp
}

// completionScope is where to look: the personal account (id "") or an
// organization.
type completionScope struct{ id, name string }

// completionScopes is the --org-id given on the line, else the personal
// account and each of the user's organizations.
func (a *app) completionScopes(ctx context.Context, cmd *cobra.Command, api *neonapi.Client) []completionScope {
	if org, _ := cmd.Flags().GetString("org-id"); org != "" {
		return []completionScope{{id: org, name: "organization " + org}}
	}
	scopes := []completionScope{{name: "personal"}}
	orgs, _ := api.GetCurrentUserOrganizations(ctx)
	for _, o := range orgs {
		scopes = append(scopes, completionScope{id: o.ID, name: o.Name})
	}
	return scopes
}
