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

type revokeArgs struct {
	KeyID   ids.KeyID `json:"key_id" jsonschema_description:"The id of the key to revoke (an integer, from list_api_keys)."`
	OrgID   ids.OrgID `json:"org_id,omitempty" jsonschema_description:"The organization that owns the key; without it the key is looked up among personal keys and then your organizations."`
	Confirm *bool     `json:"confirm,omitempty" jsonschema_description:"Must be the JSON boolean true, and only after the user agreed to this exact action. Anything else changes nothing and returns a preview."`
}

// RevokeAPIKey is the revoke_api_key tool.
func RevokeAPIKey(d Deps) server.ServerTool {
	t := newTool[revokeArgs, keys.RevokedView](NameRevoke, "Revoke a Neon API key",
		"Revoke a Neon API key by id, for good: anything still using it stops working. "+
			"Without confirm: true it only previews which key (name, scope, last use) would be revoked.", revokeHints)
	return serverTool(t, revokeHandler(d))
}

// revokeHandler is revoke_api_key without the schema check in front: a
// test calls it directly, since whether a revoke runs must not depend on
// the schema alone (see bind).
func revokeHandler(d Deps) toolFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult {
		d := d.forRequest(ctx)
		args, confirmed, err := bind[revokeArgs](req)
		if err != nil {
			return errorResult("Not revoked: " + err.Error())
		}
		if err := firstErr(checkKeyID(args.KeyID), checkID("org_id", args.OrgID)); err != nil {
			return errorResult("Not revoked: " + err.Error() + ".")
		}
		if d.Keys == nil {
			return d.noCredential()
		}
		target, err := d.Keys.Locate(ctx, int64(args.KeyID), string(args.OrgID))
		if err != nil {
			logFailure(d, NameRevoke, err)
			return errorResult("Not revoked: " + explain(keys.OpRevoke, err) + ".")
		}
		key := &target.Key
		preview := "revoke " + describeKey(*key) + aboutTarget(*target, keys.OpRevoke)
		if res, _ := d.guard(ctx, req, confirmed, action{tool: NameRevoke, args: args, refused: "Not revoked", preview: preview}); res != nil {
			return res
		}
		if _, err := d.Keys.Revoke(ctx, *key); err != nil {
			logFailure(d, NameRevoke, err)
			return errorResult("Not revoked: " + explain(keys.OpRevoke, err) +
				". Check with list_api_keys whether the key is still there before trying again.")
		}
		v := newKeyView(*key)
		return withSentence(structured(keys.RevokedView{Revoked: true, Key: v},
			fmt.Sprintf("Revoked key %d %q (%s). Anything still using it now gets 401.", v.ID, v.Name, scopeOf(v).ScopeText())),
			target.SelfAfter(keys.OpRevoke))
	}
}

// aboutTarget ends a revoke's or a rotation's preview with what the user
// must know before agreeing: the organization came from the credential,
// and the key is (or looks like) the one this server runs with. Both reach
// the preview answer and the elicitation message.
func aboutTarget(t keys.Target, op keys.Operation) string {
	var b strings.Builder
	if t.OrgFromCredential {
		// The key's own scope, just before, names the organization.
		b.WriteString(" (this server's credential is an organization API key: the key was looked for in its own organization, no org_id needed)")
	}
	if warn := t.SelfWarning(op); warn != "" {
		b.WriteString(". WARNING: " + warn)
	}
	return b.String()
}

// withSentence appends a sentence (when not empty) to a result's text.
func withSentence(res *mcp.CallToolResult, sentence string) *mcp.CallToolResult {
	if sentence == "" || res == nil || res.IsError || len(res.Content) == 0 {
		return res
	}
	if text, ok := res.Content[0].(mcp.TextContent); ok {
		text.Text += " Note: " + sentence + "."
		res.Content[0] = text
	}
	return res
}
