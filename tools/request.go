package tools

import (
	"context"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

// Request is the Neon credential one remote request came with (neonkeys mcp
// --http): it serves that request only and is never kept.
type Request struct {
	// Keys runs key operations with the request's credential; nil when the
	// request had none: every call then answers CredentialErr's advice.
	Keys          *keys.Service
	CredentialErr error
	// Redactor masks the request's credential as well as all the process
	// redactor masks (see secret.Redactor.Scoped). nil keeps Deps.Redactor.
	Redactor *secret.Redactor
	// Principal names the credential (a digest, never the credential): a
	// confirmation state issued to one credential does not open for another.
	Principal string
	// Courier, when set, writes this request's answer: a token in it counts
	// as delivered only once it was written (see Deps.Courier).
	Courier Courier
	// Called, when set, is told each tool call's outcome in place of the
	// server log's "tool call" line: remote mode puts it into the request's
	// access-log line, one line per call instead of two. Refusals,
	// failures and panics are still logged.
	Called func(CallOutcome)
}

// CallOutcome is what the log says of a tool call: never its arguments or
// its result.
type CallOutcome struct {
	Tool          string
	IsError       bool
	InputRequired bool
}

type requestKey struct{}

// WithRequest returns ctx carrying the credential of one remote request:
// every tool called with it uses r instead of the server's own Keys.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, &r)
}

// forRequest returns d with the credential of ctx's remote request, if it
// carries one (see WithRequest); on stdio it returns d unchanged. Every
// handler starts with it, so no call can use another request's credential.
func (d Deps) forRequest(ctx context.Context) Deps {
	r, ok := ctx.Value(requestKey{}).(*Request)
	if !ok {
		return d
	}
	d.Keys, d.CredentialErr = r.Keys, r.CredentialErr
	if r.Redactor != nil {
		d.Redactor = r.Redactor
	}
	if r.Courier != nil {
		d.Courier = r.Courier
	}
	return d
}

// reportCall tells ctx's remote request how a tool call ended, if it asked
// (Request.Called); it returns false on stdio, where the server log says it.
func reportCall(ctx context.Context, o CallOutcome) bool {
	r, ok := ctx.Value(requestKey{}).(*Request)
	if !ok || r.Called == nil {
		return false
	}
	r.Called(o)
	return true
}

// principal is the bound prefix of a confirmation state for ctx's remote
// request: "" on stdio, where one process serves one credential.
func principal(ctx context.Context) string {
	if r, ok := ctx.Value(requestKey{}).(*Request); ok && r.Principal != "" {
		return "principal " + r.Principal + "\n"
	}
	return ""
}
