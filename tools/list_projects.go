package tools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/ids"
	"github.com/neonkeys/neonkeys/keys"
)

const (
	defaultProjectLimit = 50
	maxProjectLimit     = 500
)

type listProjectsArgs struct {
	OrgID  ids.OrgID `json:"org_id,omitempty" jsonschema_description:"Organization id (org-…): list only that organization's projects. Without it your personal projects and every organization's are searched."`
	Search string    `json:"search,omitempty" jsonschema:"maxLength=256" jsonschema_description:"Only projects whose name or id contains this text."`
	Limit  *int      `json:"limit,omitempty" jsonschema:"minimum=1,maximum=500,default=50" jsonschema_description:"At most this many projects are returned (default 50)."`
}

type projectView struct {
	ID        string    `json:"id" jsonschema_description:"The project id; pass it as project_id."`
	Name      string    `json:"name" jsonschema_description:"The project name (untrusted text; control characters removed)."`
	OrgID     string    `json:"org_id,omitempty" jsonschema_description:"The organization that owns the project; absent for personal projects (which cannot have project-scoped keys)."`
	RegionID  string    `json:"region_id,omitempty" jsonschema_description:"The region the project runs in."`
	CreatedAt time.Time `json:"created_at" jsonschema_description:"When the project was created (RFC 3339)."`
}

type listProjectsResult struct {
	Projects  []projectView `json:"projects" jsonschema_description:"The matching projects, at most limit of them."`
	Returned  int           `json:"returned" jsonschema_description:"How many projects are in projects."`
	Truncated bool          `json:"truncated" jsonschema_description:"True when more projects matched: narrow with search or raise limit."`
	Note      string        `json:"note,omitempty" jsonschema_description:"Set when the answer was cut short to stay small (fewer projects than limit): says so and how to narrow the list."`
	// NotSearched is only ever set by a search everywhere (no org_id).
	NotSearched []string `json:"not_searched,omitempty" jsonschema_description:"Without org_id: the places (personal projects, an organization) that could not be searched, and why; absent when every place was searched."`
}

// ListProjects is the list_projects tool.
func ListProjects(d Deps) server.ServerTool {
	t := newTool[listProjectsArgs, listProjectsResult](NameListProjects, "List Neon projects",
		"List Neon projects with their id, name and organization, so a project named by the user (\"project shop\") "+
			"can be turned into the project_id that create_project_scoped_key and list_api_keys take. "+
			"Without org_id it searches your personal projects and every organization's, and says where each project was found (org_id).", readOnlyHints)
	return serverTool(t, func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult {
		d := d.forRequest(ctx)
		args, _, err := bind[listProjectsArgs](req)
		if err != nil {
			return errorResult(err.Error())
		}
		limit, err := limitOrDefault(args.Limit, defaultProjectLimit, maxProjectLimit)
		if err = firstErr(err, checkID("org_id", args.OrgID), checkText("search", args.Search)); err != nil {
			return errorResult(err.Error())
		}
		if d.Keys == nil {
			return d.noCredential()
		}
		found, err := d.Keys.ListProjects(ctx, keys.ProjectQuery{OrgID: string(args.OrgID), Search: args.Search, Limit: limit})
		if err != nil {
			logFailure(d, NameListProjects, err)
			return errorResult("Could not list projects: " + explain(keys.OpList, err) + ".")
		}
		out := listProjectsResult{Projects: make([]projectView, 0, len(found.Projects)), Truncated: found.More}
		for _, f := range found.Failed {
			logFailure(d, NameListProjects, f.Err)
			out.NotSearched = append(out.NotSearched, clean(f.What)+": "+explain(keys.OpList, f.Err))
		}
		var lines strings.Builder
		budget := maxAnswerBytes
		for _, p := range found.Projects {
			v := projectView{ID: clean(p.ID), Name: clean(p.Name), OrgID: clean(p.OrgID), RegionID: clean(p.RegionID), CreatedAt: p.CreatedAt}
			org := "personal"
			if v.OrgID != "" {
				org = "organization " + v.OrgID
			}
			line := fmt.Sprintf("\n- %s %q (%s)", v.ID, v.Name, org)
			if budget -= jsonSize(v) + len(line); budget < 0 {
				out.Truncated = true
				out.Note = fmt.Sprintf("answer cut at %d projects to stay under %d KiB: narrow with search or lower limit", len(out.Projects), maxAnswerBytes>>10)
				break
			}
			out.Projects = append(out.Projects, v)
			lines.WriteString(line)
		}
		out.Returned = len(out.Projects)
		head := count(out.Returned, "project")
		if args.OrgID == "" {
			head += fmt.Sprintf(" found in your personal projects and %s", count(found.OrgsSearched, "organization"))
		}
		switch {
		case out.Note != "":
			head += " (" + out.Note + ")"
		case out.Truncated:
			head += " (more match: narrow with search or raise limit)"
		}
		if found.OrgsLeftOut > 0 {
			head += fmt.Sprintf("; %s more not searched (too many to search at once): pass org_id to search one", count(found.OrgsLeftOut, "organization"))
		}
		for _, n := range out.NotSearched {
			head += "; could not search " + n
		}
		summary := lines.String()
		return structured(out, head+summary)
	})
}
