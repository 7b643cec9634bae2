package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/ids"
	"github.com/neonkeys/neonkeys/keys"
)

// List limits: an account may hold thousands of keys, and a model's context
// must not be flooded.
const (
	defaultListLimit = 50
	maxListLimit     = 500
)

type listAPIKeysArgs struct {
	OrgID        ids.OrgID     `json:"org_id,omitempty" jsonschema_description:"Organization id (org-…). Without it the caller's personal keys are listed; with it the organization's keys, including project-scoped ones."`
	NameContains string        `json:"name_contains,omitempty" jsonschema:"maxLength=256" jsonschema_description:"Only keys whose name contains this text (case-insensitive)."`
	ProjectID    ids.ProjectID `json:"project_id,omitempty" jsonschema_description:"Only keys scoped to this project; its organization is looked up when org_id is absent."`
	Limit        *int          `json:"limit,omitempty" jsonschema:"minimum=1,maximum=500,default=50" jsonschema_description:"At most this many keys are returned (default 50); total still counts every match."`
}

type listAPIKeysResult struct {
	Keys      []keys.View `json:"keys" jsonschema_description:"The matching keys, at most limit of them. Never includes tokens."`
	Total     int         `json:"total" jsonschema_description:"How many keys matched in all."`
	Returned  int         `json:"returned" jsonschema_description:"How many keys are in keys."`
	Truncated bool        `json:"truncated" jsonschema_description:"True when more keys matched than were returned: narrow with name_contains or project_id or raise limit."`
	Note      string      `json:"note,omitempty" jsonschema_description:"Set when the answer was cut short to stay small (fewer keys than limit): says so and how to narrow the list."`
}

// ListAPIKeys is the list_api_keys tool.
func ListAPIKeys(d Deps) server.ServerTool {
	t := newTool[listAPIKeysArgs, listAPIKeysResult](NameListAPIKeys, "List Neon API keys",
		"List Neon API keys with their id, name, scope and last use: the caller's personal keys, or an organization's keys "+
			"(project-scoped ones show their project_id) when org_id is given. Use it to find the id of a key to revoke or rotate. "+
			"Tokens are never shown.", readOnlyHints)
	return serverTool(t, func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult {
		d := d.forRequest(ctx)
		args, _, err := bind[listAPIKeysArgs](req)
		if err != nil {
			return errorResult(err.Error())
		}
		limit, err := limitOrDefault(args.Limit, defaultListLimit, maxListLimit)
		if err = firstErr(err, checkID("org_id", args.OrgID), checkID("project_id", args.ProjectID), checkText("name_contains", args.NameContains)); err != nil {
			return errorResult(err.Error())
		}
		if d.Keys == nil {
			return d.noCredential()
		}
		res, err := d.Keys.List(ctx, keys.ListOptions{OrgID: string(args.OrgID), ProjectID: string(args.ProjectID), NameContains: args.NameContains, Limit: limit})
		if err != nil {
			logFailure(d, NameListAPIKeys, err)
			return errorResult("Could not list keys: " + explain(keys.OpList, err) + ".")
		}
		out := listAPIKeysResult{Keys: make([]keys.View, 0, len(res.Keys)), Total: res.Total}
		var lines strings.Builder
		budget := maxAnswerBytes
		for _, k := range res.Keys {
			v, line := newKeyView(k), "\n- "+describeKeyIn(k, res.OrgID) // the summary names res.OrgID
			if budget -= jsonSize(v) + len(line); budget < 0 {
				out.Note = fmt.Sprintf("answer cut at %d keys to stay under %d KiB: narrow with name_contains or project_id, or lower limit", len(out.Keys), maxAnswerBytes>>10)
				break
			}
			out.Keys = append(out.Keys, v)
			lines.WriteString(line)
		}
		out.Returned = len(out.Keys)
		out.Truncated = out.Total > out.Returned
		kind := "personal key"
		if args.OrgID != "" || args.ProjectID != "" || res.OrgFromCredential {
			kind = "organization key"
		}
		summary := count(out.Total, kind) + " matched"
		if res.OrgFromCredential {
			summary += fmt.Sprintf(" in organization %s (this server's credential is an organization API key, so its organization's keys are listed; no org_id needed)", clean(res.OrgID))
		} else if res.OrgID != "" {
			summary += " in organization " + clean(res.OrgID)
		}
		switch {
		case out.Note != "":
			summary += fmt.Sprintf("; showing the first %d (%s)", out.Returned, out.Note)
		case out.Truncated:
			summary += fmt.Sprintf("; showing the first %d (narrow with name_contains or project_id, or raise limit)", out.Returned)
		}
		summary += lines.String()
		return structured(out, summary)
	})
}
