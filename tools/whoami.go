package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
)

type whoamiArgs struct{}

type orgView struct {
	ID   string `json:"id" jsonschema_description:"The organization id; pass it as org_id."`
	Name string `json:"name" jsonschema_description:"The organization name."`
}

type whoamiResult struct {
	AccountID     string    `json:"account_id" jsonschema_description:"The user id (personal key) or organization id (organization key) the credential belongs to."`
	KeyKind       string    `json:"key_kind" jsonschema:"enum=personal,enum=organization,enum=unknown" jsonschema_description:"personal: a user's key; organization: an org-wide or project-scoped key."`
	CanMintKeys   bool      `json:"can_mint_keys" jsonschema_description:"Whether this credential can create keys: only a personal key (of an organization admin for organization keys) can."`
	Organizations []orgView `json:"organizations" jsonschema_description:"The organizations the credential can see."`
	Note          string    `json:"note,omitempty" jsonschema_description:"Set when the list of organizations was cut short to keep the answer small."`
}

// Whoami is the whoami tool.
func Whoami(d Deps) server.ServerTool {
	t := newTool[whoamiArgs, whoamiResult](NameWhoami, "Show the Neon credential in use",
		"Tell which Neon account and kind of key this server uses and which organizations it sees. "+
			"Use it to explain a refused create or rotate: an organization key cannot mint keys.", readOnlyHints)
	return serverTool(t, func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult {
		if _, _, err := bind[whoamiArgs](req); err != nil {
			return errorResult(err.Error())
		}
		if d.Keys == nil {
			return d.noCredential()
		}
		auth, err := d.Keys.API().GetAuthDetails(ctx)
		if err != nil {
			logFailure(d, NameWhoami, err)
			return errorResult("Could not identify the credential: " + keys.Explain(keys.OpWhoami, err, "org_id") + ".")
		}
		out := whoamiResult{AccountID: clean(auth.AccountID), KeyKind: "unknown", Organizations: []orgView{}}
		switch auth.AuthMethod {
		case neonapi.AuthMethodPersonalKey:
			out.KeyKind, out.CanMintKeys = "personal", true
		case neonapi.AuthMethodOrgKey:
			out.KeyKind = "organization"
		}
		orgs, err := d.Keys.API().GetCurrentUserOrganizations(ctx)
		if err != nil {
			logFailure(d, NameWhoami, err)
		}
		budget := maxAnswerBytes
		for _, o := range orgs {
			v := orgView{ID: clean(o.ID), Name: clean(o.Name)}
			if budget -= jsonSize(v); budget < 0 {
				out.Note = fmt.Sprintf("answer cut at %d of %d organizations to stay under %d KiB", len(out.Organizations), len(orgs), maxAnswerBytes>>10)
				break
			}
			out.Organizations = append(out.Organizations, v)
		}
		summary := fmt.Sprintf("A %s key of account %s; it sees %d organizations.", out.KeyKind, out.AccountID, len(orgs))
		if out.Note != "" {
			summary += " The " + out.Note + "."
		}
		if !out.CanMintKeys {
			summary += " It cannot create keys: use a personal key of an organization admin for that."
		}
		return structured(out, summary)
	})
}
