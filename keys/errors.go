package keys

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/neonkeys/neonkeys/neonapi"
)

// NotFoundError: no key with that id where we looked.
type NotFoundError struct {
	ID           int64
	OrgID        string
	SearchedOrgs bool
	// Orgs counts the caller's organizations; Unsearched those not
	// searched, and Why says why (a bound on the search).
	Orgs, Unsearched int
	Why              string
}

func (e *NotFoundError) Error() string {
	if e.OrgID != "" {
		return fmt.Sprintf("no key %d in organization %s", e.ID, e.OrgID)
	}
	if e.SearchedOrgs && e.Unsearched > 0 {
		return fmt.Sprintf("no key %d among your personal keys or the keys of %d of your %d organizations (%s)",
			e.ID, e.Orgs-e.Unsearched, e.Orgs, e.Why)
	}
	if e.SearchedOrgs {
		return fmt.Sprintf("no key %d among your personal keys or your organizations' keys", e.ID)
	}
	return fmt.Sprintf("no key %d among your personal keys", e.ID)
}

// ProjectNotInOrgError: project-scoped keys exist only for organization projects.
type ProjectNotInOrgError struct{ ProjectID string }

func (e *ProjectNotInOrgError) Error() string {
	return fmt.Sprintf("project %s belongs to no organization: Neon issues project-scoped keys "+
		"only for organization projects (move it to an organization, or use a personal key)", e.ProjectID)
}

// OrgMismatchError: the organization given is not the project's.
type OrgMismatchError struct{ ProjectID, ProjectOrgID, GivenOrgID string }

func (e *OrgMismatchError) Error() string {
	return fmt.Sprintf("project %s belongs to organization %s, not %s", e.ProjectID, e.ProjectOrgID, e.GivenOrgID)
}

// WithdrawnKeyError: Neon minted a key that must not stay live (its answer
// failed verification, its token could not be delivered, or the caller gave
// up meanwhile), so it was revoked again at once, or RevokeErr says why not.
type WithdrawnKeyError struct {
	Reason    string // why the key could not be kept, e.g. "Neon's answer carried no token"
	KeyID     int64
	RevokeErr error
}

func (e *WithdrawnKeyError) Error() string {
	if e.RevokeErr == nil {
		return fmt.Sprintf("%s, so the new key %d was revoked at once; nothing changed", e.Reason, e.KeyID)
	}
	return fmt.Sprintf("%s, and revoking the new key %d failed too (%v): revoke key %d yourself", e.Reason, e.KeyID, e.RevokeErr, e.KeyID)
}

func (e *WithdrawnKeyError) Unwrap() error { return e.RevokeErr }

// MaybeCreatedError: the create was interrupted after it may have reached
// Neon, so a key named Name may exist. Searched says a search right after
// found no new key of that name (Neon may still have been finishing the
// request); SearchErr says why the search failed. Either way only a list
// made later can tell for sure.
type MaybeCreatedError struct {
	Name      string
	Err       error
	Searched  bool
	SearchErr error
}

func (e *MaybeCreatedError) Error() string {
	return fmt.Sprintf("the create request for %q was interrupted (%v)%s", e.Name, e.Err, e.outcome(fmt.Sprint(e.SearchErr)))
}

// outcome is the end of the sentence: what is known about the key, and
// what to do. searchErr is SearchErr as the caller words it.
func (e *MaybeCreatedError) outcome(searchErr string) string {
	switch {
	case e.SearchErr != nil:
		return fmt.Sprintf(": a key may have been created, and looking for it failed (%s); list your keys to check before trying again", searchErr)
	case e.Searched:
		return fmt.Sprintf(": no new key named %q was found right after, but a key may have been created as Neon finished the request; list your keys in a minute to check before trying again", e.Name)
	default:
		return ": a key may have been created; list your keys to check before trying again"
	}
}

func (e *MaybeCreatedError) Unwrap() error { return e.Err }

// Operation names what a caller was doing, for Explain.
type Operation int

// Operations Explain knows.
const (
	OpList Operation = iota
	OpCreate
	OpRevoke
	OpRotate
	OpWhoami
)

// Words are how a face (the CLI, the MCP tools) spells what Explain's hints
// point to, so keys knows no flag and no tool argument.
type Words struct {
	// OrgID names the organization parameter: "--org-id", "org_id".
	OrgID string
	// MoreTime ends "Neon did not answer in time; try again, or …": how
	// to allow each request more time.
	MoreTime string
}

// Explain turns an error from this package or neonapi into one or two plain
// sentences for a person or a model, its hints in the face's words. The
// result still has to pass the redactor: API messages are quoted.
func Explain(op Operation, err error, words Words) string {
	var apiErr *neonapi.APIError
	var notFound *NotFoundError
	var maybe *MaybeCreatedError
	var withdrawn *WithdrawnKeyError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &withdrawn) && withdrawn.RevokeErr != nil:
		// Before the *APIError case: this error unwraps to the failed
		// revoke's, and the user must hear that a stray key is live.
		return fmt.Sprintf("%s, and revoking the new key %d failed too (%s): revoke key %d yourself",
			withdrawn.Reason, withdrawn.KeyID, Explain(OpRevoke, withdrawn.RevokeErr, words), withdrawn.KeyID)
	case errors.As(err, &notFound):
		if notFound.Unsearched > 0 {
			return fmt.Sprintf("%s: pass %s to look in the key's organization", notFound.Error(), words.OrgID)
		}
		if notFound.OrgID == "" {
			return fmt.Sprintf("%s (for an organization key pass %s)", notFound.Error(), words.OrgID)
		}
		return notFound.Error()
	case errors.As(err, &maybe):
		return fmt.Sprintf("the create request for %q was interrupted (%s)%s",
			maybe.Name, Explain(OpList, maybe.Err, words), maybe.outcome(Explain(OpList, maybe.SearchErr, words)))
	case errors.As(err, &apiErr):
		return explainStatus(op, apiErr, words.OrgID)
	case errors.Is(err, context.Canceled):
		return "cancelled before Neon answered"
	case errors.Is(err, context.DeadlineExceeded):
		return "Neon did not answer in time; try again, or " + words.MoreTime
	}
	var netErr *neonapi.NetworkError
	if errors.As(err, &netErr) {
		return fmt.Sprintf("could not reach the Neon API (%s); check NEON_API_HOST and your network, then try again", rootCause(netErr.Err))
	}
	return err.Error()
}

func explainStatus(op Operation, e *neonapi.APIError, orgIDName string) string {
	detail := ""
	if e.Message != "" {
		detail = ": " + e.Message
	}
	switch {
	case e.Status == http.StatusUnauthorized:
		return "Neon rejected the API key (401): missing, invalid or revoked"
	case e.Status == http.StatusNotFound && wrongHost(e) != "":
		return fmt.Sprintf("Neon refused the request (404 Not Found) at %s: %s", e.URL, wrongHost(e))
	case (e.Status == http.StatusForbidden || e.Status == http.StatusNotFound) && (op == OpCreate || op == OpRotate) && e.Method == http.MethodPost:
		return fmt.Sprintf("this credential cannot mint keys: a personal key of an organization admin can (Neon answered %d%s)", e.Status, detail)
	case e.Status == http.StatusNotFound && e.Method == http.MethodDelete:
		return fmt.Sprintf("no such key (Neon answered 404%s); for an organization key pass %s", detail, orgIDName)
	case e.Status == http.StatusForbidden:
		return fmt.Sprintf("this credential may not do that (403%s)", detail)
	case e.Status == http.StatusTooManyRequests:
		return "Neon is rate-limiting this credential (429); wait a minute and try again"
	case e.Status == http.StatusConflict:
		return fmt.Sprintf("Neon refused: a conflict (409%s); pick another key name", detail)
	case e.Status >= 500 || e.Status == http.StatusLocked:
		return fmt.Sprintf("Neon failed to answer (%d %s%s); try again shortly%s",
			e.Status, http.StatusText(e.Status), detail, requestID(e))
	default:
		return fmt.Sprintf("Neon refused the request (%d %s%s)%s", e.Status, http.StatusText(e.Status), detail, requestID(e))
	}
}

func requestID(e *neonapi.APIError) string {
	if e.RequestID == "" {
		return ""
	}
	return " [request id " + e.RequestID + "]"
}

// rootCause is the innermost error's text ("connection refused", "no such
// host"): what a person can act on, without the Go call chain around it.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
