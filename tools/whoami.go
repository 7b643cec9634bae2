package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/keys"
)

type whoamiArgs struct{}

// whoamiResult is keys.Identity, plus a note when the organizations were
// cut to keep the answer small.
type whoamiResult struct {
	keys.Identity
	Note string `json:"note,omitempty" jsonschema_description:"Set when the list of organizations was cut short to keep the answer small."`
}

// Whoami is the whoami tool.
func Whoami(d Deps) server.ServerTool {
	t := newTool[whoamiArgs, whoamiResult](NameWhoami, "Show the Neon credential in use",
		"Tell which Neon account and kind of key this server uses and which organizations it sees. "+
			"Use it to explain a refused create or rotate: an organization key cannot mint keys.", readOnlyHints)
	return serverTool(t, func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult {
		d := d.forRequest(ctx)
		if _, _, err := bind[whoamiArgs](req); err != nil {
			return errorResult(err.Error())
		}
		if d.Keys == nil {
			return d.noCredential()
		}
		id, err := d.Keys.WhoAmI(ctx)
		if err != nil {
			logFailure(d, NameWhoami, err)
			return errorResult("Could not identify the credential: " + explain(keys.OpWhoami, err) + ".")
		}
		for _, err := range id.Missing {
			logFailure(d, NameWhoami, err)
		}
		orgs := id.Organizations
		out := whoamiResult{Identity: *id}
		out.AccountID, out.Organizations, out.Missing = clean(id.AccountID), []keys.Org{}, nil
		if id.User != nil {
			out.User = &keys.User{ID: clean(id.User.ID), Name: clean(id.User.Name), Email: clean(id.User.Email)}
		}
		budget := maxAnswerBytes
		for _, o := range orgs {
			v := keys.Org{ID: clean(o.ID), Name: clean(o.Name)}
			if budget -= jsonSize(v); budget < 0 {
				out.Note = fmt.Sprintf("answer cut at %d of %d organizations to stay under %d KiB", len(out.Organizations), len(orgs), maxAnswerBytes>>10)
				break
			}
			out.Organizations = append(out.Organizations, v)
		}
		summary := fmt.Sprintf("%s key of account %s%s; it sees %s.", capitalize(article(out.KeyType)), out.AccountID, userText(out.User), count(len(orgs), "organization"))
		if out.Note != "" {
			summary += " The " + out.Note + "."
		}
		if !out.CanMintKeys {
			summary += " It cannot create keys: use a personal key of an organization admin for that."
		}
		return structured(out, summary)
	})
}

// userText names the person behind a personal key: " (Ada Lovelace,
// ada@example.com)".
func userText(u *keys.User) string {
	if u == nil || (u.Name == "" && u.Email == "") {
		return ""
	}
	if u.Name == "" || u.Email == "" {
		return " (" + u.Name + u.Email + ")"
	}
	return " (" + u.Name + ", " + u.Email + ")"
}
