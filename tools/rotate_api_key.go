package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/ids"
	"github.com/neonkeys/neonkeys/keys"
)

type rotateArgs struct {
	KeyID      ids.KeyID `json:"key_id" jsonschema_description:"The id of the key to replace (an integer, from list_api_keys)."`
	OrgID      ids.OrgID `json:"org_id,omitempty" jsonschema_description:"The organization that owns the key; without it the key is looked up among personal keys and then your organizations."`
	NewKeyName string    `json:"new_key_name,omitempty" jsonschema:"maxLength=64" jsonschema_description:"A name for the replacement; default: the old name with a -rotated-<UTC time> suffix."`
	Confirm    *bool     `json:"confirm,omitempty" jsonschema_description:"Must be the JSON boolean true, and only after the user agreed to this exact action. Anything else changes nothing and returns a preview."`
}

type rotateResult struct {
	NewKey     keys.NewKeyView `json:"new_key" jsonschema_description:"The replacement key, with its token (shown once) or the file it was written to."`
	OldKey     keys.View       `json:"old_key" jsonschema_description:"The key that was replaced."`
	OldRevoked bool            `json:"old_revoked" jsonschema_description:"True when the old key was revoked before this answer; false with old_revoke_pending: it is revoked once this answer is delivered; false otherwise: it still works and must be revoked (revoke_api_key)."`
	// OldRevokePending: the token travels in this answer, so the old key is
	// revoked only once the answer was written (keys.RotateAfterHandover).
	OldRevokePending bool   `json:"old_revoke_pending,omitempty" jsonschema_description:"True when the old key will be revoked as soon as this answer is delivered; the outcome follows in a notifications/message log message."`
	Warning          string `json:"warning,omitempty" jsonschema_description:"Why the old key could not be revoked, when old_revoked is false."`
}

// updateAdvice ends a rotation's answer.
const updateAdvice = "Update the secret wherever it was used (CI secrets, .env files, Terraform variables)."

// rotateAfterHandover rotates with the new token in this answer: the old
// key is revoked only once the answer was written in full, so a client
// that is gone by then loses neither key (the replacement is withdrawn and
// the old key keeps working). The answer says what is known when written;
// the revoke's outcome follows in the log and a notifications/message.
func (d Deps) rotateAfterHandover(ctx context.Context, old keys.Key, plan keys.CreateRequest) *mcp.CallToolResult {
	var newOut keys.NewKeyView
	var where string
	created, err := d.Keys.RotateAfterHandover(ctx, old, plan, d.handOver(ctx, &newOut, &where), func(r keys.Delivered) {
		d.reportDelivery(ctx, NameRotate, r)
	})
	if err != nil {
		logFailure(d, NameRotate, err)
		return errorResult("Not rotated: " + explain(keys.OpRotate, err) + ".")
	}
	out := rotateResult{NewKey: newOut, OldKey: newKeyView(old), OldRevokePending: true}
	summary := fmt.Sprintf("Rotated: new key %d %q (%s).\n%s\n"+
		"The old key %d %q will be revoked as soon as this answer is delivered; the outcome follows in a log message (notifications/message). %s",
		newOut.ID, newOut.Name, created.ScopeText(), where, old.ID, clean(old.Name), updateAdvice)
	return structured(out, summary)
}

// RotateAPIKey is the rotate_api_key tool.
func RotateAPIKey(d Deps) server.ServerTool {
	t := newTool[rotateArgs, rotateResult](NameRotate, "Rotate a Neon API key",
		"Replace a Neon API key: create a new key at the same scope (same organization and project), "+
			"hand over its token once, then revoke the old key. Use it when a key leaked or is due for rotation. "+
			"Without confirm: true it only previews.", rotateHints)
	return serverTool(t, func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult {
		args, confirmed, err := bind[rotateArgs](req)
		if err != nil {
			return errorResult("Not rotated: " + err.Error())
		}
		if err := firstErr(checkKeyID(args.KeyID), checkID("org_id", args.OrgID)); err != nil {
			return errorResult("Not rotated: " + err.Error() + ".")
		}
		if args.NewKeyName != "" {
			if err := keys.CheckName(args.NewKeyName); err != nil {
				return errorResult("Not rotated: " + err.Error() + ".")
			}
		}
		if d.Keys == nil {
			return d.noCredential()
		}
		target, err := d.Keys.Locate(ctx, int64(args.KeyID), string(args.OrgID))
		if err == nil {
			err = target.CheckRotate()
		}
		if err != nil {
			logFailure(d, NameRotate, err)
			return errorResult("Not rotated: " + explain(keys.OpRotate, err) + ".")
		}
		old := &target.Key
		plan := d.Keys.RotateRequest(*old, args.NewKeyName)
		if err := d.checkTokenFile(plan.Name); err != nil {
			return errorResult("Not rotated: " + err.Error() + ".")
		}
		// The new key's scope is the old key's, which describeKey names.
		preview := fmt.Sprintf("create %q to replace %s, at the same scope, then revoke the old key", clean(plan.Name), describeKey(*old)) +
			aboutTarget(*target, keys.OpRotate)
		res, approvedName := d.guard(ctx, req, confirmed, action{tool: NameRotate, args: args, refused: "Not rotated", preview: preview, plan: plan.Name})
		if res != nil {
			return res
		}
		if approvedName != plan.Name {
			plan.Name = approvedName
			if err := d.checkTokenFile(plan.Name); err != nil {
				return errorResult("Not rotated: " + err.Error() + ".")
			}
		}
		if d.settlesLater() {
			return withSentence(d.rotateAfterHandover(ctx, *old, plan), target.SelfAfter(keys.OpRotate))
		}
		var newOut keys.NewKeyView
		var where string
		rot, err := d.Keys.Rotate(ctx, *old, plan, func(c *keys.Created) (err error) {
			newOut, where, err = d.deliver(ctx, c)
			return err
		})
		if err != nil {
			logFailure(d, NameRotate, err)
			return errorResult("Not rotated: " + explain(keys.OpRotate, err) + ".")
		}
		out := rotateResult{NewKey: newOut, OldKey: newKeyView(*old), OldRevoked: rot.RevokeErr == nil}
		summary := fmt.Sprintf("Rotated: new key %d %q (%s).\n%s\n", newOut.ID, newOut.Name, rot.New.ScopeText(), where)
		if rot.RevokeErr != nil {
			logFailure(d, NameRotate, rot.RevokeErr)
			out.Warning = "revoking the old key failed: " + explain(keys.OpRevoke, rot.RevokeErr)
			summary += fmt.Sprintf("WARNING: the old key %d %q still works: %s. Revoke it with revoke_api_key once the new token is in place.",
				old.ID, clean(old.Name), out.Warning)
		} else {
			summary += fmt.Sprintf("The old key %d %q is revoked. %s", old.ID, clean(old.Name), updateAdvice)
		}
		return withSentence(structured(out, summary), target.SelfAfter(keys.OpRotate))
	})
}
