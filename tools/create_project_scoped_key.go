package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/ids"
	"github.com/neonkeys/neonkeys/keys"
)

type createArgs struct {
	ProjectID ids.ProjectID `json:"project_id" jsonschema_description:"The project the new key may reach (see list_projects to find it by name)."`
	KeyName   string        `json:"key_name" jsonschema:"minLength=1,maxLength=64" jsonschema_description:"A name for the new key (at most 64 characters), e.g. ci-deploy."`
	OrgID     ids.OrgID     `json:"org_id,omitempty" jsonschema_description:"The project's organization; looked up from the project when absent."`
	Confirm   *bool         `json:"confirm,omitempty" jsonschema_description:"Must be the JSON boolean true, and only after the user agreed to this exact action. Anything else changes nothing and returns a preview."`
	// DeliverTo is offered only when destinations are configured
	// (adaptSchema, which sets the enum of names).
	DeliverTo []string `json:"deliver_to,omitempty" jsonschema:"minItems=1,uniqueItems=true" jsonschema_description:"Names of configured destinations (see list_destinations) that receive the new token straight from Neon's answer: it is then never shown, in this answer or anywhere else."`
}

// createResult is the new key, and with deliver_to each destination's
// outcome (the token then absent).
type createResult struct {
	keys.NewKeyView
	handoffView
}

// CreateProjectScopedKey is the create_project_scoped_key tool.
func CreateProjectScopedKey(d Deps) server.ServerTool {
	description := "Create a Neon API key that can reach only one project, for CI or an app. " +
		"Without confirm: true it only previews; the new token is returned once, in this answer " +
		"(or written to a file when the server runs with --secrets-dir)."
	if len(d.configuredNames()) > 0 {
		description += " With deliver_to it goes to those destinations instead (list_destinations shows them), " +
			"and the answer holds no token, only names, the fingerprint and each destination's outcome."
	}
	t := newTool[createArgs, createResult](NameCreateProject, "Create a project-scoped Neon API key", description, createHints)
	t.RawInputSchema = adaptSchema(t.RawInputSchema, d.configuredNames(), argDeliverTo)
	return serverTool(t, func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult {
		d := d.forRequest(ctx)
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
		specs, err := d.pickDestinations(args.DeliverTo, "", false)
		if err != nil {
			return errorResult("Not created: " + err.Error() + ".")
		}
		if len(specs) > 0 {
			return d.createToDestinations(ctx, req, confirmed, args, plan, specs)
		}
		if err := d.checkTokenFile(plan.Name); err != nil {
			return errorResult("Not created: " + err.Error() + ".")
		}
		preview := fmt.Sprintf("create a key named %q scoped to %s", clean(plan.Name), plan.ScopeText())
		if res, _ := d.guard(ctx, req, confirmed, action{tool: NameCreateProject, args: args, refused: "Not created", preview: preview,
			plan: plan.Name, world: d.namedWorld(plan)}); res != nil {
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
		return structured(createResult{NewKeyView: out}, fmt.Sprintf("Created key %d %q scoped to %s.\n%s", out.ID, out.Name, created.ScopeText(), where))
	})
}

// createToDestinations creates a key whose token goes to destinations
// (package handoff orders it); the answer holds no token.
func (d Deps) createToDestinations(ctx context.Context, req mcp.CallToolRequest, confirmed bool, args createArgs,
	plan keys.CreateRequest, specs []destination.Spec) *mcp.CallToolResult {
	const refused = "Not created"
	dests, res := d.openChecked(ctx, refused, specs)
	if res != nil {
		return res
	}
	preview := fmt.Sprintf("create a key named %q scoped to %s; %s", clean(plan.Name), plan.ScopeText(), deliveryPreview(dests)) +
		d.heldElsewhere("", dests)
	// deliver_to is among the arguments the confirmation is sealed to.
	if res, _ := d.guard(ctx, req, confirmed, action{tool: NameCreateProject, args: args, refused: refused, preview: preview,
		plan: plan.Name, world: d.namedWorld(plan)}); res != nil {
		return res
	}
	o, res := d.runDelivery(ctx, NameCreateProject, refused, keys.OpCreate, handoff.Plan{Request: plan, Destinations: dests})
	if res != nil {
		return res
	}
	out := createResult{NewKeyView: newKeyOf(o), handoffView: outcomeOf(o)}
	key := fmt.Sprintf("key %d %q scoped to %s (token %s)", out.ID, out.Name, o.New.ScopeText(), out.Fingerprint)
	return deliveryAnswer(out, o, deliveryHeads{
		withdrawn: "Not created: no destination received the token of the new " + key + ", " + withdrawnText(o) + ". Its token is in no answer.",
		partial:   "Created " + key + ", but only some destinations received its token; it is in no answer.",
		complete:  "Created " + key + ": every destination received its token; it is in no answer.",
	})
}
