// Command neonkeys manages Neon API keys: a CLI for people and CI jobs, and
// an MCP stdio server (neonkeys mcp) for AI assistants.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/neonkeys/neonkeys/cli"
)

func main() {
	// A closed stdout must fail the write (EPIPE), not kill the process: a
	// new token that cannot be delivered is revoked again, which a process
	// killed by SIGPIPE could not do (neonkeys create … | true).
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:], os.Getenv)
	stop()
	os.Exit(code)
}
