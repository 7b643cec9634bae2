package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/neonkeys/neonkeys/config"
	"github.com/neonkeys/neonkeys/ids"
	"github.com/neonkeys/neonkeys/internal/buildinfo"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/secret"
)

// app holds the state of one run: the environment, the redactor and the
// values of the global flags.
type app struct {
	env env
	red *secret.Redactor
	// stdout and stderr clean and redact every line (cleanWriter): all
	// data and messages pass them. rawStdout is the raw stdout, for a new
	// token (printed once, so not redacted), the MCP protocol stream, and
	// our own help text (the redactor would mask "--api-key string").
	stdout    *cleanWriter
	stderr    *cleanWriter
	rawStdout io.Writer
	// colour sits below stdout's cleanWriter and colours the key table
	// at a terminal (colour.go).
	colour *tableColour

	// credFile is the key file the credential came from (NEON_API_KEY_FILE),
	// set by service: a self destination replaces it.
	credFile string

	output  string
	apiKey  string
	apiHost string
	timeout time.Duration
}

// say writes one line to stderr (through the redactor).
func (a *app) say(format string, args ...any) {
	fmt.Fprintf(a.stderr, format+"\n", args...)
}

// service loads the credential and returns the key service. A missing or
// unreadable credential is a usage error (exit 2) with advice.
func (a *app) service(ctx context.Context) (*keys.Service, error) {
	cred, err := config.LoadCredential(ctx, a.env.getenv, a.env.io.Stdin, a.apiKey, a.stderr)
	if errors.Is(err, config.ErrNoCredential) {
		return nil, &exitError{code: ExitUsage, msg: config.ErrNoCredential.Error()}
	}
	if err != nil {
		return nil, usageErr("%s", err.Error())
	}
	a.credFile = cred.File
	api, err := a.client(cred.Token)
	if err != nil {
		return nil, err
	}
	return keys.New(api, nil), nil
}

func (a *app) client(token string) (*neonapi.Client, error) {
	api, err := neonapi.New(a.clientOptions(token))
	if err != nil {
		return nil, usageErr("%s (check %s)", err.Error(), config.EnvAPIHost)
	}
	return api, nil
}

// clientOptions are the API client's options for this run: the host of
// --api-host or NEON_API_HOST, --timeout, and at a terminal the retry notes.
func (a *app) clientOptions(token string) neonapi.Options {
	host := a.apiHost
	if host == "" {
		host = config.APIHost(a.env.getenv)
	}
	return neonapi.Options{
		Token:     token,
		BaseURL:   host,
		UserAgent: "neonkeys/" + version(),
		Timeout:   a.timeout,
		Redactor:  a.red,
		OnRetry:   a.retryHook(),
	}
}

// apiErr turns a failure of the core or the API into exit 1 with Explain's
// sentence (redacted on the way out, like everything on stderr).
func (a *app) apiErr(op keys.Operation, err error) error {
	var ex *exitError
	if errors.As(err, &ex) {
		return err
	}
	if refusedAsGiven(err) {
		// A request Neon cannot serve as given, found by a read before
		// anything changed: a usage error (see the exit codes in main.go).
		return usageErr("%s", a.red.Redact(explain(op, err)))
	}
	return failErr("%s", a.red.Redact(explain(op, err)))
}

// refusedAsGiven reports the errors of keys that refuse a request before
// anything changed because Neon cannot serve it as given: the same exit
// code (2) in every command that meets them.
func refusedAsGiven(err error) bool {
	return errors.As(err, new(*keys.ProjectNotInOrgError)) ||
		errors.As(err, new(*keys.OrgMismatchError)) ||
		errors.As(err, new(*keys.OrgKeyMismatchError)) ||
		errors.As(err, new(*keys.CannotMintError))
}

// version is the release tag or module version alone (internal/buildinfo),
// as the User-Agent carries it; "dev" when nothing recorded one.
func version() string {
	return buildinfo.Read().Version
}

// checkID applies Neon's format for organization and project ids (package
// ids), so a mistyped id is a usage error before any request.
//
// The value is echoed only when it is no longer than an id can be: this
// check runs before the credential is loaded (so before the redactor knows
// it), and a key pasted into the wrong flag must not land in a CI log.
func checkID(flag, id string) error {
	if id == "" || ids.ProjectID(id).Validate() == nil {
		return nil
	}
	if utf8.RuneCountInString(id) > maxEchoedID {
		return usageErr("%s is not a Neon id: it is %d characters long (%s); the value is not shown, in case it is a key", flag, utf8.RuneCountInString(id), ids.Rule)
	}
	return usageErr("%s %q is not a Neon id (%s)", flag, secret.StripControl(id), ids.Rule)
}

// maxEchoedID is the longest id value an error quotes back: Neon's ids have
// at most 60 characters, and every Neon key is longer.
const maxEchoedID = 60

// checkNewName refuses a name for a new key before any request (Neon's
// rules, and no control or invisible characters: keys.CheckName).
func checkNewName(name string) error {
	if err := keys.CheckName(name); err != nil {
		return usageErr("--name: %v", err)
	}
	return nil
}

// parseKeyID reads a key id argument: a positive integer.
func parseKeyID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || ids.KeyID(id).Validate() != nil {
		return 0, usageErr("key id %q is not a positive integer (see neonkeys list)", secret.StripControl(arg))
	}
	return id, nil
}
