// Package server builds the MCP server from the tools and serves it on stdio.
package server

import (
	"context"
	"errors"
	"io"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

// Options configure the MCP server.
type Options struct {
	Version string
	// Keys runs key operations; nil when no credential was found, and then
	// every tool call answers CredentialErr's advice instead.
	Keys          *keys.Service
	CredentialErr error
	Redactor      *secret.Redactor // the process-wide redactor (knows the credential)
	Log           io.Writer        // stderr; the server wraps it in the redactor
	ReadOnly      bool             // serve only the read-only tools
	SecretsDir    string           // write minted tokens here instead of into responses
	NoElicit      bool             // never ask the human through elicitation
}

// ServeStdio serves MCP on stdin/stdout until stdin closes or ctx ends.
// It returns nil on a clean end of input.
func ServeStdio(ctx context.Context, opts Options, stdin io.Reader, stdout io.Writer) error {
	return errors.New("the MCP server is not built yet")
}
