// Package tools holds neonkeys' MCP tools, one file per tool, and what they
// share: typed arguments bound strictly, schemas reflected from Go structs,
// the confirmation guard, and the middleware that keeps secrets out of every
// answer and log line.
package tools

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/config"
	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/sealed"
	"github.com/neonkeys/neonkeys/secret"
)

// Deps is what the tools need. The zero value of every optional field works.
type Deps struct {
	// Keys runs key operations; nil when no credential was found: every
	// call then answers CredentialErr's advice.
	Keys          *keys.Service
	CredentialErr error
	// Redactor is the process-wide redactor; every text a tool returns or
	// logs passes it. Required.
	Redactor *secret.Redactor
	// Logger writes to stderr through the redactor; nil discards.
	Logger *slog.Logger
	// SecretsDir, when set, receives new tokens as files instead of answers.
	SecretsDir string
	// Elicit asks the human through the client before a mutation, when the
	// client supports elicitation. Sealer must then be set.
	Elicit bool
	Sealer *sealed.Sealer
	// Courier, when set, is the transport that writes the answers: a token
	// put in an answer counts as delivered only once the courier wrote it in
	// full (see handOver). Without one (or with SecretsDir) a token counts as
	// delivered when the tool returns.
	Courier Courier
	// Destinations is the destinations config read at start; nil when
	// there is none or it cannot be used, and then DestinationsErr says
	// why (wrapping destination.ErrNoConfig when no file exists). The
	// tools' schemas offer its names (deliver_to).
	Destinations    *destination.Config
	DestinationsErr error
	// DestinationEnv is what destinations take from the process (Getenv,
	// the credential's key file); its Redactor is always Redactor.
	DestinationEnv destination.Env
}

// Courier reports whether the answer carrying a token reached the client.
type Courier interface {
	// Expect registers token as carried by an answer still to be written.
	// settle is called once, later: nil when that answer was written in
	// full, else why it was not.
	Expect(token string, settle func(error))
}

// Tool names.
const (
	NameListAPIKeys   = "list_api_keys"
	NameListProjects  = "list_projects"
	NameWhoami        = "whoami"
	NameCreateProject = "create_project_scoped_key"
	NameRevoke        = "revoke_api_key"
	NameRotate        = "rotate_api_key"
	NameDestinations  = "list_destinations"
)

// toolFunc is a tool handler that cannot return a Go error: mcp-go would send
// its text to the client verbatim.
type toolFunc func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult

// serverTool pairs a tool with its handler, checking every call's arguments
// against the tool's input schema first (see argsValidator).
func serverTool(t mcp.Tool, h toolFunc) server.ServerTool {
	v := newArgsValidator(t.Name, t.RawInputSchema)
	return server.ServerTool{Tool: t, Handler: func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		raw, err := rawArguments(req)
		if err != nil {
			return errorResult("Nothing was done: the arguments are not valid JSON."), nil
		}
		args, p := v.check(raw)
		if p.refusal != "" {
			return errorResult("Nothing was done: " + p.refusal + "."), nil
		}
		req.Params.RawArguments, req.Params.Arguments = args, json.RawMessage(args)
		res := h(ctx, req)
		if p.confirmNote != "" && res != nil {
			res.Content = append([]mcp.Content{mcp.NewTextContent(p.confirmNote)}, res.Content...)
		}
		return res, nil
	}}
}

// ReadOnly returns the tools whose readOnlyHint says they change nothing:
// the hint clients see is the one list, so the two cannot drift apart.
func ReadOnly(d Deps) []server.ServerTool {
	var out []server.ServerTool
	for _, t := range All(d) {
		if h := t.Tool.Annotations.ReadOnlyHint; h != nil && *h {
			out = append(out, t)
		}
	}
	return out
}

// All returns every tool.
func All(d Deps) []server.ServerTool {
	// One tool a line, so a new one is one more line.
	return []server.ServerTool{
		ListAPIKeys(d),
		ListProjects(d),
		Whoami(d),
		ListDestinations(d),
		AuditAPIKeys(d),
		CreateProjectScopedKey(d),
		RevokeAPIKey(d),
		RotateAPIKey(d),
	}
}

func (d Deps) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// SetupError is a configuration the server cannot call Neon with (such as
// a refused NEON_API_HOST): the server still starts, and every tool call
// answers with it.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// noCredential answers when the server has no usable credential.
func (d Deps) noCredential() *mcp.CallToolResult {
	err := d.CredentialErr
	if err == nil {
		err = config.ErrNoCredential
	}
	if setup := (*SetupError)(nil); errors.As(err, &setup) {
		return errorResult("Neon cannot be reached as configured: " + setup.Error() + ".")
	}
	if !errors.Is(err, config.ErrNoCredential) {
		return errorResult("No Neon credential: " + err.Error() + ". " + config.ErrNoCredential.Error() + ".")
	}
	return errorResult(err.Error() + ".")
}
