// Package server builds the MCP server from the tools and serves it on stdio.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/sealed"
	"github.com/neonkeys/neonkeys/secret"
	"github.com/neonkeys/neonkeys/tools"
)

// Name is the server name announced to clients.
const Name = "neonkeys"

// Stdio pool sizes: mcp-go serves tools/call on a worker pool (5 by
// default); calls mostly wait on the Neon API, so many may run at once.
const (
	workerPoolSize = 64
	queueSize      = 1000
)

// Options configure the MCP server.
type Options struct {
	Version string
	// Keys runs key operations; nil when no credential was found, and then
	// every tool call answers CredentialErr's advice.
	Keys          *keys.Service
	CredentialErr error
	Redactor      *secret.Redactor // the process-wide redactor (knows the credential)
	Log           io.Writer        // stderr; the server wraps it in the redactor
	ReadOnly      bool             // serve only the read-only tools
	SecretsDir    string           // write minted tokens here instead of into responses
	NoElicit      bool             // never ask the human through elicitation
	// ConfirmTTL is how long a confirmation dialog's sealed state stays
	// valid; <= 0 means sealed.DefaultTTL.
	ConfirmTTL time.Duration
	// SealKey, when set, is the confirmation state's key (sealed.KeySize
	// bytes), shared by every instance of a remote deployment so that any of
	// them opens a state another issued; nil means a random key per process.
	SealKey []byte
	// Now is the clock of the sealed confirmation state (its expiry); nil
	// means time.Now (tests set it).
	Now func() time.Time
	// Destinations is the destinations config read at start (nil: none,
	// or unusable, and DestinationsErr says why). Getenv is the process's
	// environment for destinations (GitHub's credential and URL, a
	// command's variables, the rescue folder); nil means os.Getenv.
	// CredentialFile is the key file the credential came from, for a self
	// destination.
	Destinations    *destination.Config
	DestinationsErr error
	Getenv          func(string) string
	CredentialFile  string

	// courier is stdout under ServeStdio: it tells the tools when an answer
	// carrying a token was written. nil (New alone): a token counts as
	// delivered when the tool returns.
	courier *courier
	// listenDone, when set (tests, export_test.go), is closed once mcp-go's
	// stdio server returned with all its handlers, which can be after
	// ServeStdio returned (awaitExit gives up on a stuck writer).
	listenDone chan struct{}
}

// New builds the MCP server: the tools (only the read-only ones with
// ReadOnly), the rotation prompt, and one middleware that recovers panics,
// redacts every answer and logs each call (redacted) to opts.Log.
func New(opts Options) (*server.MCPServer, error) {
	if opts.Redactor == nil {
		return nil, errors.New("server: a redactor is required")
	}
	logger := newLogger(opts)
	deps := tools.Deps{
		Keys: opts.Keys, CredentialErr: opts.CredentialErr, Redactor: opts.Redactor, Logger: logger,
		SecretsDir: opts.SecretsDir, Elicit: !opts.NoElicit,
		Destinations: opts.Destinations, DestinationsErr: opts.DestinationsErr,
		DestinationEnv: destination.Env{Getenv: opts.Getenv, Redactor: opts.Redactor, CredentialFile: opts.CredentialFile},
	}
	if deps.DestinationEnv.Getenv == nil {
		deps.DestinationEnv.Getenv = os.Getenv
	}
	if opts.courier != nil {
		deps.Courier = opts.courier
	}
	if deps.Elicit {
		sealer, err := newSealer(opts)
		if err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
		deps.Sealer = sealer
	}
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	s := server.NewMCPServer(Name, version,
		server.WithToolCapabilities(false),
		server.WithToolHandlerMiddleware(tools.Middleware(deps)),
		server.WithInstructions(instructions(opts)),
		// A rotation's last step (the old key's revoke) ends after its answer
		// was written: its outcome goes to the client as a log message.
		server.WithLogging(),
	)
	if opts.ReadOnly {
		s.AddTools(tools.ReadOnly(deps)...)
		return s, nil
	}
	s.AddTools(tools.All(deps)...)
	s.AddPrompts(tools.RotatePrompt(deps))
	s.AddPrompts(tools.AuditPrompt(deps))
	return s, nil
}

func instructions(opts Options) string {
	text := "Manage Neon API keys: list_api_keys, list_projects and whoami only read. "
	if opts.ReadOnly {
		return text + "This server is read-only: it cannot create, revoke or rotate keys."
	}
	text += "create_project_scoped_key, revoke_api_key and rotate_api_key change keys: call them first without confirm " +
		"to get a preview, show it to the user, and only after the user agrees call again with confirm: true. " +
		"A new token is shown once: tell the user to store it, and never repeat it."
	if opts.Destinations != nil && len(opts.Destinations.Destinations) > 0 {
		text += " list_destinations shows where a new token can be written (CI secrets, .env files, programs) and which key each holds: " +
			"with deliver_to, or when destinations hold the rotated key, the token goes there and is never shown."
	}
	return text
}

func newLogger(opts Options) *slog.Logger {
	if opts.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(opts.Redactor.Writer(opts.Log), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// ServeStdio serves MCP on stdin/stdout until stdin closes or ctx ends.
// It returns nil on a clean end of input.
//
// stdout is wrapped in a courier (one whole message per write; it settles
// the delivery of a token once the answer carrying it was written) and
// stdin passes an inputFilter before mcp-go reads it (see both types).
func ServeStdio(ctx context.Context, opts Options, stdin io.Reader, stdout io.Writer) error {
	out := newCourier(stdout)
	opts.courier = out
	s, err := New(opts)
	if err != nil {
		return err
	}
	errLog := log.New(io.Discard, "", 0)
	if opts.Log != nil {
		errLog = log.New(opts.Redactor.Writer(opts.Log), "neonkeys mcp: ", 0)
	}
	stdio := server.NewStdioServer(s)
	// Options read errLogger, so set it before the pool options apply.
	stdio.SetErrorLogger(errLog)
	server.WithWorkerPoolSize(workerPoolSize)(stdio)
	server.WithQueueSize(queueSize)(stdio)
	in := &eofSignal{r: stdin, eof: make(chan struct{})}
	filtered, toMCP := io.Pipe()
	stop := make(chan struct{})
	defer close(stop)
	go (&inputFilter{out: out, done: stop}).run(in, toMCP)
	done := make(chan error, 1)
	go func() {
		done <- stdio.Listen(ctx, filtered, out)
		if opts.listenDone != nil {
			close(opts.listenDone)
		}
	}()
	select {
	case err = <-done:
	case <-in.eof:
		err = awaitExit(done, errLog)
	case <-ctx.Done():
		err = awaitExit(done, errLog)
	}
	// A token whose answer was not written by now never will be: its key is
	// withdrawn (and a rotation keeps the old key).
	out.close()
	_ = filtered.Close() // ends the filter if it waits on mcp-go
	if opts.Keys != nil {
		// A call cut short may be revoking a key it minted, and a delivered
		// rotation revokes the old key: exiting now would leave a key live
		// with nobody holding its token, or an old key meant to be revoked.
		opts.Keys.Settle()
	}
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return fmt.Errorf("mcp stdio: %w", err)
}

// exitGrace is how long the server may take to wind down after its input
// ends (in-flight calls are cancelled and their answers written); with the
// rest of the shutdown it keeps the exit within 2 s of end of input.
const exitGrace = 1500 * time.Millisecond

// awaitExit waits for Listen to return after the input ended. A client that
// stopped reading stdout can leave a write blocked for ever; the server must
// exit anyway, so after exitGrace it gives up on the stuck writer.
func awaitExit(done <-chan error, errLog *log.Logger) error {
	select {
	case err := <-done:
		return err
	case <-time.After(exitGrace):
		errLog.Printf("the client stopped reading answers; exiting without waiting for them")
		return nil
	}
}

// eofSignal closes eof when its reader fails or ends (the client closed
// stdin), so the server can bound how long it takes to exit.
type eofSignal struct {
	r    io.Reader
	once sync.Once
	eof  chan struct{}
}

func (e *eofSignal) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.once.Do(func() { close(e.eof) })
	}
	return n, err
}

// newSealer seals confirmation states with opts.SealKey, or a random key.
func newSealer(opts Options) (*sealed.Sealer, error) {
	if opts.SealKey != nil {
		return sealed.NewWithKey(opts.SealKey, opts.ConfirmTTL, opts.Now)
	}
	return sealed.New(opts.ConfirmTTL, opts.Now)
}
