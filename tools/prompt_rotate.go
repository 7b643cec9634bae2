package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/secret"
)

// PromptRotate is the name of the rotation prompt.
const PromptRotate = "rotate-api-key"

// RotatePrompt is a prompt that walks the assistant through a rotation.
func RotatePrompt(d Deps) server.ServerPrompt {
	p := mcp.NewPrompt(PromptRotate,
		mcp.WithPromptDescription("Rotate a Neon API key step by step: find it, confirm with the user, rotate, and say where to update the secret."),
		mcp.WithArgument("key", mcp.RequiredArgument(),
			mcp.ArgumentDescription("The id or the name of the key to rotate.")),
	)
	return server.ServerPrompt{Prompt: p, Handler: func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		d := d.forRequest(ctx)
		// From the client, so perhaps from a model: cleaned, bounded on a
		// rune boundary, and redacted like any answer.
		key := d.Redactor.Redact(cut(secret.StripControl(req.Params.Arguments["key"]), maxFilterLen))
		if key == "" {
			key = "(ask the user which key)"
		}
		if len(d.configuredNames()) > 0 {
			return rotatePromptResult(fmt.Sprintf(rotateWithDestinations, key, key)), nil
		}
		text := fmt.Sprintf(`Help me rotate the Neon API key %q. Follow these steps and do not skip the confirmation:

1. Find the key: call list_api_keys (with name_contains if %q is a name; pass org_id or project_id for organization keys, using list_projects to turn a project name into its id). If several keys match, show them and ask me which one.
2. Show me the key's id, name, scope (personal, organization or project) and when and from where it was last used.
3. Ask me to confirm the rotation of exactly that key. Do not continue without a clear yes.
4. Call rotate_api_key with the key_id (and org_id for an organization key) and confirm: true. If a confirmation dialog appears, that is me being asked again.
5. Give me the new token exactly once (or the token file path if the server wrote it to a file), and tell me where to update it: CI secrets, .env files, Terraform variables, deployment configuration. Do not repeat the token afterwards.
6. If the old key could not be revoked, say so clearly and offer to revoke it with revoke_api_key after I have updated the secret.
7. Afterwards, call list_api_keys: the new key's last_used_at shows when the updated consumers start using it. If the old key is still live, its last_used_at shows whether something still holds the old secret; revoke it once nothing does.`, key, key)
		return rotatePromptResult(text), nil
	}}
}

func rotatePromptResult(text string) *mcp.GetPromptResult {
	return &mcp.GetPromptResult{
		Description: "Rotate a Neon API key",
		Messages:    []mcp.PromptMessage{mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text))},
	}
}

// rotateWithDestinations is the prompt when destinations are configured:
// the token goes from Neon's answer straight to the systems that use the
// key, so the steps are "which systems hold it?", rotate, verify.
const rotateWithDestinations = `Help me rotate the Neon API key %q. Follow these steps and do not skip the confirmation:

1. Find the key: call list_api_keys (with name_contains if %q is a name; pass org_id or project_id for organization keys, using list_projects to turn a project name into its id). If several keys match, show them and ask me which one.
2. Show me the key's id, name, scope (personal, organization or project) and when and from where it was last used.
3. Which systems hold this key? Call list_destinations (check: true) and show me the destinations whose holds names this key (or its name before a -rotated-<time> suffix), each with what it points at. Ask me whether any other listed destination also uses this key. Those are the destinations to deliver to.
4. Call rotate_api_key with the key_id (and org_id for an organization key) and deliver_to set to exactly those destination names, without confirm: show me the preview, which names each destination and what it overwrites. Ask me to confirm exactly that. Do not continue without a clear yes.
5. Call rotate_api_key again with the same arguments and confirm: true. If a confirmation dialog appears, that is me being asked again. The token goes straight to the destinations: it is not in the answer, and you must never ask for it or read the rescue file.
6. Tell me each destination's status and the new key's fingerprint. If status is not complete, say clearly which destinations have the new token and which still have the old one, and give me the next steps from the answer word for word.
7. Verify: call list_api_keys. The new key must be listed and, when status is complete without keep_old, the old key id must be gone. Later, the new key's last_used_at shows that the systems use it.`
