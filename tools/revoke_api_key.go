package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/keys"
)

type revokeArgs struct {
	KeyID   int64  `json:"key_id" jsonschema:"minimum=1" jsonschema_description:"The id of the key to revoke (an integer, from list_api_keys)."`
	OrgID   string `json:"org_id,omitempty" jsonschema:"maxLength=64,pattern=^[A-Za-z0-9_-]+$" jsonschema_description:"The organization that owns the key; without it the key is looked up among personal keys and then your organizations."`
	Confirm *bool  `json:"confirm,omitempty" jsonschema_description:"Must be the JSON boolean true, and only after the user agreed to this exact action. Anything else changes nothing and returns a preview."`
}

type revokeResult struct {
	Revoked bool    `json:"revoked" jsonschema_description:"True: the key no longer authenticates."`
	Key     keyView `json:"key" jsonschema_description:"The key that was revoked."`
}

// RevokeAPIKey is the revoke_api_key tool.
func RevokeAPIKey(d Deps) server.ServerTool {
	t := newTool[revokeArgs, revokeResult](NameRevoke, "Revoke a Neon API key",
		"Revoke a Neon API key by id, for good: anything still using it stops working. "+
			"Without confirm: true it only previews which key (name, scope, last use) would be revoked.", revokeHints)
	return serverTool(t, revokeHandler(d))
}

// revokeHandler is revoke_api_key without the schema check in front: a
// test calls it directly, since whether a revoke runs must not depend on
// the schema alone (see bind).
func revokeHandler(d Deps) toolFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult {
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
		key, err := d.Keys.Find(ctx, args.KeyID, args.OrgID)
		if err != nil {
			logFailure(d, NameRevoke, err)
			return errorResult("Not revoked: " + keys.Explain(keys.OpRevoke, err, "org_id") + ".")
		}
		if res, _ := d.guard(ctx, req, confirmed, action{tool: NameRevoke, args: args, refused: "Not revoked", preview: "revoke " + describeKey(*key)}); res != nil {
			return res
		}
		if _, err := d.Keys.Revoke(ctx, *key); err != nil {
			logFailure(d, NameRevoke, err)
			return errorResult("Not revoked: " + keys.Explain(keys.OpRevoke, err, "org_id") +
				". Check with list_api_keys whether the key is still there before trying again.")
		}
		shown := cleanKey(*key)
		return structured(revokeResult{Revoked: true, Key: newKeyView(*key)},
			fmt.Sprintf("Revoked key %d %q (%s). Anything still using it now gets 401.", shown.ID, shown.Name, shown.ScopeText()))
	}
}
