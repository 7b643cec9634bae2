package tools

import (
	"encoding/json"
	"fmt"

	"github.com/invopop/jsonschema"
	"github.com/mark3labs/mcp-go/mcp"
)

// hints are a tool's four annotation hints. Every tool sets all four:
// mcp.NewTool's defaults (destructive, open world) are wrong for reads.
type hints struct {
	readOnly, destructive, idempotent, openWorld bool
}

var (
	readOnlyHints = hints{readOnly: true, idempotent: true}
	createHints   = hints{}
	revokeHints   = hints{destructive: true, idempotent: true}
	rotateHints   = hints{destructive: true}
)

// newTool builds a tool whose input and output schemas are reflected from In
// and Out with invopop/jsonschema: root type object, no $ref,
// additionalProperties false.
func newTool[In, Out any](name, title, description string, h hints) mcp.Tool {
	t := mcp.NewTool(name,
		mcp.WithDescription(description),
		mcp.WithToolAnnotation(mcp.ToolAnnotation{
			Title:           title,
			ReadOnlyHint:    mcp.ToBoolPtr(h.readOnly),
			DestructiveHint: mcp.ToBoolPtr(h.destructive),
			IdempotentHint:  mcp.ToBoolPtr(h.idempotent),
			OpenWorldHint:   mcp.ToBoolPtr(h.openWorld),
		}),
	)
	t.Title = title
	// Both InputSchema and RawInputSchema set makes Tool.MarshalJSON fail and
	// tools/list never answer: clear the one NewTool filled in.
	t.InputSchema = mcp.ToolInputSchema{}
	t.RawInputSchema = reflectSchema[In]()
	t.OutputSchema = mcp.ToolOutputSchema{}
	t.RawOutputSchema = reflectSchema[Out]()
	return t
}

// reflectSchema returns the JSON schema of T, inlined (no $ref or $defs).
// It panics on failure: schemas are fixed at build time and a test lists them.
func reflectSchema[T any]() json.RawMessage {
	r := &jsonschema.Reflector{DoNotReference: true, ExpandedStruct: true, Anonymous: true}
	s := r.Reflect(new(T))
	s.Version = ""
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("tools: schema of %T: %v", *new(T), err))
	}
	return b
}
