package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/ids"
	"github.com/neonkeys/neonkeys/keys"
)

type rotateArgs struct {
	KeyID      ids.KeyID `json:"key_id" jsonschema_description:"The id of the key to replace (an integer, from list_api_keys)."`
	OrgID      ids.OrgID `json:"org_id,omitempty" jsonschema_description:"The organization that owns the key; without it the key is looked up among personal keys and then your organizations."`
	NewKeyName string    `json:"new_key_name,omitempty" jsonschema:"maxLength=64" jsonschema_description:"A name for the replacement; default: the old name with a -rotated-<UTC time> suffix."`
	Confirm    *bool     `json:"confirm,omitempty" jsonschema_description:"Must be the JSON boolean true, and only after the user agreed to this exact action. Anything else changes nothing and returns a preview."`
	// DeliverTo and KeepOld are offered only when destinations are
	// configured (adaptSchema); the enum of names is set there.
	DeliverTo []string `json:"deliver_to,omitempty" jsonschema:"minItems=1,uniqueItems=true" jsonschema_description:"Names of configured destinations (see list_destinations) that receive the new token straight from Neon's answer, instead of the destinations that hold the key; the token is then never shown. Without it, the destinations that hold the key (holds: in the config) receive it."`
	KeepOld   bool     `json:"keep_old,omitempty" jsonschema_description:"With destinations: keep the old key live after every destination holds the new token (create, switch callers, revoke later with revoke_api_key). Default false: the old key is revoked once every destination holds the new token."`
}

type rotateResult struct {
	NewKey     keys.NewKeyView `json:"new_key" jsonschema_description:"The replacement key, with its token (shown once) or the file it was written to."`
	OldKey     keys.View       `json:"old_key" jsonschema_description:"The key that was replaced."`
	OldRevoked bool            `json:"old_revoked" jsonschema_description:"True when the old key was revoked before this answer; false with old_revoke_pending: it is revoked once this answer is delivered; false otherwise: it still works and must be revoked (revoke_api_key)."`
	// OldRevokePending: the token travels in this answer, so the old key is
	// revoked only once the answer was written (keys.RotateAfterHandover).
	OldRevokePending bool   `json:"old_revoke_pending,omitempty" jsonschema_description:"True when the old key will be revoked as soon as this answer is delivered (list_api_keys then shows it gone); over stdio a notifications/message log message also says the outcome."`
	Warning          string `json:"warning,omitempty" jsonschema_description:"Why the old key could not be revoked, when old_revoked is false."`
	handoffView
}

// updateAdvice ends a rotation's answer.
const updateAdvice = "Update the secret wherever it was used (CI secrets, .env files, Terraform variables)."

// rotateAfterHandover rotates with the new token in this answer: the old
// key is revoked only once the answer was written in full, so a client
// that is gone by then loses neither key (the replacement is withdrawn and
// the old key keeps working). The answer says what is known when written;
// the revoke's outcome follows in the server log, and on stdio in a
// notifications/message too (see afterwards).
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
		"The old key %d %q will be revoked as soon as this answer is delivered; %s %s",
		newOut.ID, newOut.Name, created.ScopeText(), where, old.ID, clean(old.Name), afterwards(ctx), updateAdvice)
	return structured(out, summary)
}

// afterwards says where a client learns the outcome of a revoke that runs
// after its answer. Remote mode (neonkeys mcp --http) is stateless: the
// exchange ends with the answer, so no log message can follow it there.
func afterwards(ctx context.Context) string {
	if _, remote := ctx.Value(requestKey{}).(*Request); remote {
		return "list_api_keys shows the outcome: the old key is gone from it once revoked."
	}
	return "the outcome follows in a log message (notifications/message), and list_api_keys shows the old key gone once revoked."
}

// RotateAPIKey is the rotate_api_key tool.
func RotateAPIKey(d Deps) server.ServerTool {
	description := "Replace a Neon API key: create a new key at the same scope (same organization and project), " +
		"hand over its token once, then revoke the old key. Use it when a key leaked or is due for rotation. " +
		"Without confirm: true it only previews."
	if len(d.configuredNames()) > 0 {
		description += " The new token goes to destinations instead of this answer when deliver_to names them, and also " +
			"without deliver_to when destinations of the config hold the key (list_destinations shows which): " +
			"the answer then holds no token, only names, fingerprints and each destination's outcome, " +
			"and the old key is revoked only once every destination holds the new token."
	}
	t := newTool[rotateArgs, rotateResult](NameRotate, "Rotate a Neon API key", description, rotateHints)
	t.RawInputSchema = adaptSchema(t.RawInputSchema, d.configuredNames(), argDeliverTo, argKeepOld)
	return serverTool(t, func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult {
		d := d.forRequest(ctx)
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
		specs, err := d.pickDestinations(args.DeliverTo, old.Name, true)
		if err != nil {
			return errorResult("Not rotated: " + err.Error() + ".")
		}
		if len(specs) > 0 {
			return d.rotateToDestinations(ctx, req, confirmed, args, *target, plan, specs)
		}
		if args.KeepOld {
			return errorResult("Not rotated: keep_old applies to a rotation with destinations, and no destination holds this key: " +
				"name them in deliver_to, or rotate without keep_old.")
		}
		if err := d.checkTokenFile(plan.Name); err != nil {
			return errorResult("Not rotated: " + err.Error() + ".")
		}
		// The new key's scope is the old key's, which describeKey names.
		preview := fmt.Sprintf("create %q to replace %s, at the same scope, then revoke the old key", clean(plan.Name), describeKey(*old)) +
			aboutTarget(*target, keys.OpRotate) + d.selfHint(*target, nil)
		res, approvedName := d.guard(ctx, req, confirmed, action{tool: NameRotate, args: args, refused: "Not rotated", preview: preview,
			plan: plan.Name, world: d.namedWorld(plan)})
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

// rotateBinding is what a rotation's confirmation is bound to: the
// arguments and the destinations they resolved to (without deliver_to,
// the ones holding the key), so a sealed yes for some destinations cannot
// confirm a delivery to others.
type rotateBinding struct {
	Args rotateArgs `json:"args"`
	To   []string   `json:"to"`
}

// rotateToDestinations rotates with the new token going to destinations
// (package handoff orders it): preflight, preview and confirmation naming
// each destination, then create, deliver, and revoke the old key only when
// every destination holds the new one. The answer holds no token, so the
// stdout courier (a token in the transcript) plays no part.
func (d Deps) rotateToDestinations(ctx context.Context, req mcp.CallToolRequest, confirmed bool, args rotateArgs,
	target keys.Target, plan keys.CreateRequest, specs []destination.Spec) *mcp.CallToolResult {
	const refused = "Not rotated"
	dests, res := d.openChecked(ctx, refused, specs)
	if res != nil {
		return res
	}
	old := target.Key
	if hasSelf(dests) {
		// Its key file gets the new token and the server switches to it:
		// the warning that neonkeys stops working does not apply.
		target.Self = keys.NotSelf
	}
	then := "then revoke the old key once every destination holds the new token"
	if args.KeepOld {
		then = "and keep the old key live (keep_old)"
	}
	preview := fmt.Sprintf("create %q to replace %s, at the same scope; %s; %s",
		clean(plan.Name), describeKey(old), deliveryPreview(dests), then) + aboutTarget(target, keys.OpRotate) + d.selfHint(target, dests)
	if missing := d.leftOut(old.Name, dests); len(missing) > 0 && !args.KeepOld {
		preview += fmt.Sprintf(". WARNING: %s also hold%s this key and %s not in deliver_to: %s the old key, which stops working once revoked",
			strings.Join(missing, ", "), plural(len(missing), "s", ""), plural(len(missing), "is", "are"), plural(len(missing), "it keeps", "they keep"))
	}
	preview += d.heldElsewhere(old.Name, dests)
	binding := rotateBinding{Args: args, To: destinationNames(dests)}
	res, approvedName := d.guard(ctx, req, confirmed, action{tool: NameRotate, args: binding, refused: refused, preview: preview,
		plan: plan.Name, world: d.namedWorld(plan)})
	if res != nil {
		return res
	}
	plan.Name = approvedName
	o, res := d.runDelivery(ctx, NameRotate, refused, keys.OpRotate,
		handoff.Plan{Request: plan, Old: &old, Destinations: dests, KeepOld: args.KeepOld})
	if res != nil {
		return res
	}
	out := rotateResult{NewKey: newKeyOf(o), OldKey: newKeyView(old), OldRevoked: o.Revoked != nil, handoffView: outcomeOf(o)}
	if o.RevokeErr != nil {
		logFailure(d, NameRotate, o.RevokeErr)
		out.Warning = "revoking the old key failed: " + explain(keys.OpRevoke, o.RevokeErr)
	}
	res = deliveryAnswer(out, o, rotationHeads(o, out), oldKeyLine(o, out))
	if !hasSelf(dests) && o.Revoked != nil {
		return withSentence(res, target.SelfAfter(keys.OpRotate))
	}
	return res
}

// rotationHeads are the first sentences of a rotation's answer.
func rotationHeads(o *handoff.Outcome, out rotateResult) deliveryHeads {
	key := fmt.Sprintf("new key %d %q (%s, token %s)", out.NewKey.ID, out.NewKey.Name, o.New.ScopeText(), out.NewKey.Fingerprint)
	return deliveryHeads{
		withdrawn: "Not rotated: no destination received the token of the " + key + ", " + withdrawnText(o) + "; the old key still works. Its token is in no answer.",
		partial:   "Rotation incomplete: only some destinations received the token of the " + key + "; both keys stay live. Its token is in no answer.",
		complete:  "Rotated: every destination received the token of the " + key + "; it is in no answer.",
	}
}

// oldKeyLine says what became of the old key.
func oldKeyLine(o *handoff.Outcome, out rotateResult) string {
	old := fmt.Sprintf("The old key %d %q", out.OldKey.ID, out.OldKey.Name)
	switch {
	case o.Revoked != nil:
		return old + " is revoked."
	case o.RevokeErr != nil:
		return "WARNING: " + old + " still works: " + out.Warning + ". Revoke it with revoke_api_key."
	case o.Interrupted:
		return old + " still works: the call was interrupted before its revoke. Revoke it with revoke_api_key once every system uses the new key."
	case o.Next == destination.RevokeOld:
		return old + " still works, as asked (keep_old): revoke it with revoke_api_key once every system uses the new key."
	}
	return old + " still works."
}

// plural picks one or many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
