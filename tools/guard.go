package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

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
		sealedState, err := d.Sealer.Seal(a.tool, string(binding), a.plan)
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
	plan, err := d.Sealer.Open(a.tool, string(binding), state)
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
	return nil, plan
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
