package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/ids"
	"github.com/neonkeys/neonkeys/secret"
)

// PromptAudit is the name of the audit prompt.
const PromptAudit = "audit-api-keys"

// AuditPrompt is a prompt that runs the audit, explains the findings and
// offers each fix, every one behind the tools' confirmation guard.
func AuditPrompt(d Deps) server.ServerPrompt {
	p := mcp.NewPrompt(PromptAudit,
		mcp.WithPromptDescription("Audit the Neon API keys: find the keys to revoke or rotate, explain each finding in plain words, and offer the fixes one by one."),
		mcp.WithArgument("org_id",
			mcp.ArgumentDescription("Optional: audit only this organization's keys (org-…).")),
	)
	return server.ServerPrompt{Prompt: p, Handler: func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		call := "audit_api_keys with no arguments"
		// From the client, so perhaps from a model: used only when it is
		// an organization id, and then cleaned and redacted like any text.
		if org := req.Params.Arguments["org_id"]; org != "" {
			if ids.OrgID(org).Validate() != nil {
				org = d.Redactor.Redact(cut(secret.StripControl(org), maxFilterLen))
				call = fmt.Sprintf("audit_api_keys with no arguments (%q is not an organization id: tell me so)", org)
			} else {
				call = fmt.Sprintf("audit_api_keys with org_id %q", org)
			}
		}
		text := fmt.Sprintf(`Audit my Neon API keys and help me fix what it finds. Follow these steps:

1. Call %s. It only reads.
2. Summarise in plain words: how many keys were audited, how many findings of each severity, and anything that could not be audited (and why).
3. Explain each finding, worst first, in one or two sentences a non-specialist understands: which key (name, id, scope), what is wrong, the evidence (its age, its last use, who created it), and why it matters. For an unfinished rotation, say whether the old key was used after its replacement was created: if it was, something still holds the old token, and it must be switched to the new key before the old one is revoked.
4. For each finding, offer its fix (the tool and arguments in the finding's fix; the CLI command too, for a person who prefers a terminal) and ask me which to apply. Do not apply any without my clear yes for that key.
5. For each fix I accept, call the tool with those arguments but without confirm first: it shows a preview. Show me the preview, and only after I confirm call it again with confirm: true. If a confirmation dialog appears, that is me being asked again.
6. When a rotation's key is held by destinations (held_by), say that the new token goes there; otherwise tell me where I must update it myself. Never repeat a token.
7. At the end, list what was fixed, what I declined, and what is left.`, call)
		return &mcp.GetPromptResult{
			Description: "Audit Neon API keys and fix the findings",
			Messages:    []mcp.PromptMessage{mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text))},
		}, nil
	}}
}
