package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/ids"
	"github.com/neonkeys/neonkeys/keys"
)

type createArgs struct {
	ProjectID ids.ProjectID `json:"project_id" jsonschema_description:"The project the new key may reach (see list_projects to find it by name)."`
	KeyName   string        `json:"key_name" jsonschema:"minLength=1,maxLength=64" jsonschema_description:"A name for the new key (at most 64 characters), e.g. ci-deploy."`
	OrgID     ids.OrgID     `json:"org_id,omitempty" jsonschema_description:"The project's organization; looked up from the project when absent."`
	Confirm   *bool         `json:"confirm,omitempty" jsonschema_description:"Must be the JSON boolean true, and only after the user agreed to this exact action. Anything else changes nothing and returns a preview."`
}

// CreateProjectScopedKey is the create_project_scoped_key tool.
func CreateProjectScopedKey(d Deps) server.ServerTool {
	t := newTool[createArgs, keys.NewKeyView](NameCreateProject, "Create a project-scoped Neon API key",
		"Create a Neon API key that can reach only one project, for CI or an app. "+
			"Without confirm: true it only previews; the new token is returned once, in this answer "+
			"(or written to a file when the server runs with --secrets-dir).", createHints)
	return serverTool(t, func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult {
		args, confirmed, err := bind[createArgs](req)
		if err != nil {
			return errorResult("Not created: " + err.Error())
		}
		if err := firstErr(checkID("project_id", args.ProjectID), checkID("org_id", args.OrgID), keys.CheckName(args.KeyName)); err != nil {
			return errorResult("Not created: " + err.Error() + ".")
		}
		if args.ProjectID == "" {
			return errorResult("Not created: project_id is required.")
		}
		if d.Keys == nil {
			return d.noCredential()
		}
		plan, err := d.Keys.Resolve(ctx, keys.CreateRequest{Name: args.KeyName, OrgID: string(args.OrgID), ProjectID: string(args.ProjectID)})
		if err != nil {
			logFailure(d, NameCreateProject, err)
			return errorResult("Not created: " + explain(keys.OpCreate, err) + ".")
		}
		if err := d.checkTokenFile(plan.Name); err != nil {
			return errorResult("Not created: " + err.Error() + ".")
		}
		preview := fmt.Sprintf("create a key named %q scoped to %s", clean(plan.Name), plan.ScopeText())
		if res, _ := d.guard(ctx, req, confirmed, action{tool: NameCreateProject, args: args, refused: "Not created", preview: preview}); res != nil {
			return res
		}
		var out keys.NewKeyView
		var where string
		var created *keys.Created
		if d.settlesLater() {
			created, err = d.Keys.CreateAndHandOver(ctx, plan, d.handOver(ctx, &out, &where), func(r keys.Delivered) {
				d.reportDelivery(ctx, NameCreateProject, r)
			})
		} else {
			created, err = d.Keys.CreateAndDeliver(ctx, plan, func(c *keys.Created) (err error) {
				out, where, err = d.deliver(ctx, c)
				return err
			})
		}
		if err != nil {
			logFailure(d, NameCreateProject, err)
			return errorResult("Not created: " + explain(keys.OpCreate, err) + ".")
		}
		return structured(out, fmt.Sprintf("Created key %d %q scoped to %s.\n%s", out.ID, out.Name, created.ScopeText(), where))
	})
}
