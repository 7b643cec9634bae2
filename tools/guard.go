package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/sealed"
	"github.com/neonkeys/neonkeys/secret"
)

// elicitID names the one input request the guard makes.
const elicitID = "confirm"

// action describes a mutation for the guard: what it is and what it would do.
type action struct {
	tool    string // tool name, bound into the sealed state
	args    any    // the typed arguments, bound into the sealed state
	refused string // "Not revoked"
	preview string // "revoke key 123 \"ci-bot\" (personal), last used …"
	// plan is what the preview promises beyond the arguments (rotate: the
	// replacement's name). It is sealed into the state, and guard returns the
	// sealed one, so the human's yes is for exactly what gets done.
	plan string
	// world, when set, reads what the action changes, for the plan it will
	// carry out (see namedWorld). It is read when the human is asked and
	// sealed with the question, and read again once the answer comes back:
	// a change refuses. Instances sharing a seal key do not share which
	// states they opened, so this is what refuses a used state replayed on
	// another instance. A revoke needs none: its key must still exist.
	world func(ctx context.Context, plan string) (string, error)
}

// namedWorld is an action's world when it mints a key named like its plan
// at scope's scope: the ids of the keys that already bear that name, so a
// yes mints one key, not one per instance it is replayed on. Its limits:
// lists omit revoked keys, so once the key a yes minted is revoked the
// world is again the one asked about, and a replay within the state's
// expiry passes; two replays racing on two instances both read it before
// either creates.
func (d Deps) namedWorld(scope keys.CreateRequest) func(ctx context.Context, plan string) (string, error) {
	return func(ctx context.Context, plan string) (string, error) {
		scope.Name = plan
		ids, err := d.Keys.NamedIDs(ctx, scope)
		if err != nil {
			return "", err
		}
		// Never "": a state sealed without a world matches no world.
		b, err := json.Marshal(ids)
		return "keys named: " + string(b), err
	}
}

// guard decides whether a mutation may run. It returns a nil result to
// proceed, with the plan to carry out (a.plan, or the one the human
// approved), or the result to answer instead (a refusal, or a request to ask
// the human).
//
// Without confirm: true nothing happens: the answer is a preview and what to
// ask the user. With it, and when the client can ask its user (elicitation),
// the human is asked too; the state carried through the client is sealed and
// bound to this tool and these exact arguments.
func (d Deps) guard(ctx context.Context, req mcp.CallToolRequest, confirmed bool, a action) (*mcp.CallToolResult, string) {
	if !confirmed {
		return refuse(fmt.Sprintf("%s: confirm is not true. This would %s. "+
			"Ask the user to confirm this exact action, then call again with confirm: true.", a.refused, a.preview))
	}
	if !d.Elicit || d.Sealer == nil || !clientElicits(ctx) {
		return nil, a.plan
	}
	binding, err := json.Marshal(a.args)
	if err != nil {
		return refuse(a.refused + ": internal error binding the confirmation.")
	}
	// Remote mode: a state opens only for the credential it was issued to.
	binding = append([]byte(principal(ctx)), binding...)
	state := req.Params.RequestState
	if state == "" && len(req.Params.InputResponses) == 0 {
		terms := sealed.Terms{Plan: a.plan}
		if a.world != nil {
			if terms.World, err = a.world(ctx, a.plan); err != nil {
				logFailure(d, a.tool, err)
				return refuse(fmt.Sprintf("%s: could not prepare the confirmation request: %s.", a.refused, explain(keys.OpList, err)))
			}
		}
		sealedState, err := d.Sealer.Seal(a.tool, string(binding), terms)
		if err != nil {
			return refuse(a.refused + ": could not prepare the confirmation request.")
		}
		return server.NewInputRequestBuilder(sealedState).Elicit(elicitID, mcp.ElicitationParams{
			// The preview holds API strings: the human must read exactly
			// what will be done, with nothing a terminal or a bidi
			// override could rewrite (the middleware cleans it again).
			Message: d.Redactor.Redact(secret.StripControl(fmt.Sprintf("An assistant asks to %s. Allow it?", a.preview))),
			RequestedSchema: map[string]any{
				"type": "object",
				"properties": map[string]any{
					"confirm": map[string]any{
						"type":        "boolean",
						"title":       "Yes, do it",
						"description": "Tick to allow exactly this action.",
					},
				},
				"required": []string{"confirm"},
			},
		}).ToolResult(), ""
	}
	terms, err := d.Sealer.Open(a.tool, string(binding), state)
	if err != nil {
		reason := "the confirmation state is invalid"
		switch {
		case errors.Is(err, sealed.ErrExpired):
			reason = "the confirmation expired"
		case errors.Is(err, sealed.ErrReplayed):
			reason = "the confirmation was already used"
		case errors.Is(err, sealed.ErrMismatch):
			reason = "the confirmation was given for a different call"
		}
		return refuse(fmt.Sprintf("%s: %s. Call again with confirm: true to ask the user afresh.", a.refused, reason))
	}
	answer := server.ElicitationResponse(req.Params.InputResponses, elicitID)
	switch {
	case answer == nil:
		return refuse(a.refused + ": the user's answer is missing.")
	case answer.Action == mcp.ElicitationResponseActionDecline:
		return refuse(a.refused + ": the user declined.")
	case answer.Action == mcp.ElicitationResponseActionCancel:
		return refuse(a.refused + ": the user cancelled.")
	case answer.Action != mcp.ElicitationResponseActionAccept:
		return refuse(a.refused + ": the user did not accept.")
	}
	content, _ := answer.Content.(map[string]any)
	if ok, _ := content["confirm"].(bool); !ok {
		return refuse(a.refused + ": the user did not tick the confirmation.")
	}
	if res := d.checkWorld(ctx, a, terms); res != nil {
		return res, ""
	}
	return nil, terms.Plan
}

// checkWorld reads a's world again for the plan the human approved (not a
// fresh one: a rotation's default name holds the time) and answers a
// refusal when it is not the one sealed with the question, or cannot be
// read: nothing is minted on a world nobody looked at.
func (d Deps) checkWorld(ctx context.Context, a action, terms sealed.Terms) *mcp.CallToolResult {
	if a.world == nil {
		return nil
	}
	now, err := a.world(ctx, terms.Plan)
	if err != nil {
		logFailure(d, a.tool, err)
		return errorResult(fmt.Sprintf("%s: could not check that nothing changed since the user was asked: %s. "+
			"Call again with confirm: true to ask the user afresh.", a.refused, explain(keys.OpList, err)))
	}
	if now != terms.World {
		return errorResult(fmt.Sprintf("%s: the confirmation was already used, or keys named %q were created or revoked since the user was asked. "+
			"Call again with confirm: true to ask the user afresh.", a.refused, clean(terms.Plan)))
	}
	return nil
}

// refuse is guard's answer that nothing happens.
func refuse(text string) (*mcp.CallToolResult, string) { return errorResult(text), "" }

// clientElicits reports whether the client declared form elicitation, the
// mode the guard's question uses. An empty elicitation capability means form
// (the spec's rule for clients of before 2025-11-25); url alone does not.
func clientElicits(ctx context.Context) bool {
	sess, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo)
	if !ok || sess == nil {
		return false
	}
	caps := sess.GetClientCapabilities().Elicitation
	return caps != nil && (caps.Form != nil || caps.URL == nil)
}
