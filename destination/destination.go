package destination

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/neonkeys/neonkeys/secret"
)

// Destination is one place a token is written to.
type Destination interface {
	Name() string
	Kind() Kind
	// Target says what it points at, for previews and confirmations: what a
	// delivery will overwrite.
	Target() string
	// Preflight checks, without writing anything, that Deliver can work.
	Preflight(ctx context.Context) error
	// Deliver writes token and verifies it where it can. The detail is a
	// short note for the person (already redacted), such as what a program
	// printed. An error wrapping ErrMayBeWritten means the write may have
	// happened (an answer lost, a program stopped mid-way).
	Deliver(ctx context.Context, token string) (detail string, err error)
}

// ErrMayBeWritten marks a delivery error after which the destination may
// hold the new token all the same.
var ErrMayBeWritten = errors.New("the destination may hold the new token")

// mayBeWritten wraps err with ErrMayBeWritten.
func mayBeWritten(err error) error { return &uncertainError{err} }

type uncertainError struct{ err error }

func (e *uncertainError) Error() string { return e.err.Error() }
func (e *uncertainError) Unwrap() []error {
	return []error{e.err, ErrMayBeWritten}
}

// Env is what destinations take from the process that runs them.
type Env struct {
	// Getenv reads neonkeys' environment (os.Getenv in production).
	Getenv func(string) string
	// Redactor masks every secret in texts this package returns; the token
	// and the GitHub credential are registered with it.
	Redactor *secret.Redactor
	// HTTPClient talks to GitHub; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// CredentialFile is the file NEON_API_KEY_FILE named when neonkeys' own
	// credential came from it, "" otherwise (the self kind needs it).
	CredentialFile string
}

// Open builds the destinations of specs. It makes no request and runs
// nothing: Preflight does. GitHub destinations share one client and one
// credential lookup.
func Open(specs []Spec, env Env) ([]Destination, error) {
	if env.Getenv == nil {
		return nil, errors.New("destination.Open: no Getenv")
	}
	if env.Redactor == nil {
		env.Redactor = secret.NewRedactor()
	}
	var gh *githubAPI
	out := make([]Destination, 0, len(specs))
	for _, s := range specs {
		switch s.Kind {
		case KindGitHub:
			if gh == nil {
				gh = newGitHubAPI(env)
			}
			out = append(out, &githubDest{name: s.Name, spec: *s.GitHub, api: gh})
		case KindDotenv:
			out = append(out, &dotenvDest{name: s.Name, spec: *s.Dotenv})
		case KindFile:
			out = append(out, &fileDest{name: s.Name, path: s.File.Path})
		case KindCommand:
			out = append(out, &commandDest{name: s.Name, spec: *s.Command, env: env})
		case KindSelf:
			out = append(out, &selfDest{name: s.Name, path: env.CredentialFile})
		default:
			return nil, fmt.Errorf("destination %q: unknown kind %q", s.Name, s.Kind)
		}
	}
	return out, nil
}
