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

// principal is the bound prefix of a confirmation state for ctx's remote
// request: "" on stdio, where one process serves one credential.
func principal(ctx context.Context) string {
	if r, ok := ctx.Value(requestKey{}).(*Request); ok && r.Principal != "" {
		return "principal " + r.Principal + "\n"
	}
	return ""
}
