package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/config"
	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/internal/buildinfo"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/sealed"
	"github.com/neonkeys/neonkeys/server"
	"github.com/neonkeys/neonkeys/tools"
)

func (a *app) mcpCommand() *cobra.Command {
	opts := server.Options{}
	hf := &httpFlags{}
	cmd := &cobra.Command{
		Use:   "mcp [--read-only] [--secrets-dir DIR] [--no-elicit] [--confirm-ttl D]",
		Short: "Serve the key operations to an AI assistant over MCP (stdio)",
		Long: `Serve the key operations to an AI assistant as MCP tools on stdin/stdout.

The credential comes from NEON_API_KEY or NEON_API_KEY_FILE in the client's
configuration (never from the command line). Without one the server still
starts, and every tool call explains how to set it.` + httpUsage,
		Args: mcpArgs(hf),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if hf.addr != "" {
				return a.serveHTTP(cmd, opts, hf)
			}
			// --api-key and -o are refused by refuseInapplicable (root.go).
			if isNullDevice(a.rawStdout) {
				// Also a closed stdout: Go reopens fd 1 on the null device.
				// Every answer, a new token's too, would be lost.
				return usageErr("stdout is %s (or was closed): no MCP client could read any answer; an MCP client must give neonkeys mcp a pipe for stdout", os.DevNull)
			}
			if err := checkNotEmpty(cmd.Flags(), "secrets-dir"); err != nil {
				return err
			}
			if opts.SecretsDir != "" {
				if info, err := os.Stat(opts.SecretsDir); err != nil || !info.IsDir() {
					return usageErr("--secrets-dir %s is not a directory", opts.SecretsDir)
				}
				// Answers name token files by absolute path: a desktop
				// client's working folder is nobody's guess.
				abs, err := filepath.Abs(opts.SecretsDir)
				if err != nil {
					return usageErr("--secrets-dir %s: %v", opts.SecretsDir, err)
				}
				opts.SecretsDir = abs
			}
			opts.Version = buildinfo.Read().String()
			opts.Redactor = a.red
			opts.Log = a.stderr
			// stdin is the protocol stream: the credential never comes from
			// it (no --api-key -), and it is passed only so that a key file
			// that is stdin itself is refused.
			cred, err := config.LoadCredential(cmd.Context(), a.env.getenv, a.env.io.Stdin, "", a.stderr)
			if err != nil {
				opts.CredentialErr = err
			} else {
				opts.CredentialFile = cred.File
				api, err := a.client(cred.Token)
				if err != nil {
					// A client must be able to start the server and read why
					// every call fails (a refused NEON_API_HOST), as it can
					// without a credential.
					opts.CredentialErr = &tools.SetupError{Err: err}
				} else {
					opts.Keys = keys.New(api, nil)
				}
			}
			// Read once: the tools' schemas offer its names. A broken file
			// does not stop the server (a client shows little of why a
			// server failed to start): list_destinations says what is
			// wrong, and rotate_api_key refuses, since which systems hold
			// a key is then unknown.
			opts.Getenv = a.env.getenv
			opts.Destinations, opts.DestinationsErr = destination.Load(a.env.getenv)
			if opts.DestinationsErr != nil && !errors.Is(opts.DestinationsErr, destination.ErrNoConfig) {
				a.say("neonkeys mcp: the destinations config cannot be used, so rotate_api_key refuses until it is fixed (and the server restarted): %s",
					a.red.Redact(opts.DestinationsErr.Error()))
			}
			if isTerminal(a.env.io.Stdin) {
				a.say("%s", mcpAtTerminal())
			}
			ctx := cmd.Context()
			if err := server.ServeStdio(ctx, opts, a.env.io.Stdin, a.rawStdout); err != nil && ctx.Err() == nil {
				return failErr("the MCP server stopped: %s", a.red.Redact(err.Error()))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.ReadOnly, "read-only", false, "serve only the read-only tools")
	f.StringVar(&opts.SecretsDir, "secrets-dir", "", "write new tokens to files here instead of into responses")
	f.BoolVar(&opts.NoElicit, "no-elicit", false, "never ask the human through MCP elicitation")
	f.DurationVar(&opts.ConfirmTTL, "confirm-ttl", sealed.DefaultTTL, "how long the user has to answer a confirmation dialog")
	hf.register(f)
	return cmd
}

// mcpAtTerminal is what a person who ran neonkeys mcp by hand reads: a
// client would have given it a pipe, not a terminal, for stdin.
func mcpAtTerminal() string {
	bin, err := os.Executable()
	if err != nil {
		bin = "neonkeys"
	}
	entry, _ := json.Marshal(map[string]any{"command": bin, "args": []string{"mcp"},
		"env": map[string]string{"NEON_API_KEY_FILE": "/path/to/neon-api-key"}})
	return "neonkeys mcp is an MCP server: an AI assistant's MCP client starts it and speaks JSON-RPC\n" +
		"with it on stdin and stdout. To use it, add it to the client's configuration, e.g. under\n" +
		"\"mcpServers\": {\"neonkeys\": " + string(entry) + "}\n" +
		"Waiting for MCP messages on stdin; Ctrl-C to stop."
}
