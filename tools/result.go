package tools

import (
	// Same codec as the API client: faster, with the same output.
	"fmt"
	json "github.com/segmentio/encoding/json"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/secret"
)

// errorResult is a tool error (isError) with a text the middleware redacts.
func errorResult(text string) *mcp.CallToolResult {
	return mcp.NewToolResultError(text)
}

// structured returns v as structuredContent plus a short text summary. v is
// turned into a JSON object here so that the middleware can redact it.
func structured(v any, summary string) *mcp.CallToolResult {
	b, err := json.Marshal(v)
	if err != nil {
		return errorResult(fmt.Sprintf("internal error: encoding the result: %v", err))
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return errorResult("internal error: the result is not a JSON object")
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(summary)},
		StructuredContent: obj,
	}
}

// clean makes untrusted text from the API (key names) safe to show.
func clean(s string) string { return secret.StripControl(s) }

// lastUse describes when and where a key was last used.
func lastUse(at *time.Time, from string) string {
	if at == nil || at.IsZero() {
		return "never used"
	}
	s := "last used " + at.UTC().Format(time.RFC3339)
	if from != "" {
		s += " from " + clean(from)
	}
	return s
}
