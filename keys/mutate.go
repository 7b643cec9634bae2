package keys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/secret"
)

// CreateRequest asks for a new key: personal when OrgID and ProjectID are
// empty, organization-wide with OrgID, project-scoped with ProjectID (OrgID
// is then resolved from the project when empty).
type CreateRequest struct {
	Name      string
	OrgID     string
	ProjectID string
}

// Scope returns the scope the request creates.
func (r CreateRequest) Scope() string {
	return Key{APIKey: neonapi.APIKey{ProjectID: r.ProjectID}, OrgID: r.OrgID}.Scope()
}

// ScopeText describes the scope for a person.
func (r CreateRequest) ScopeText() string { return describeScope(r.OrgID, r.ProjectID) }

// Created is a freshly minted key. Token is the secret: it goes to exactly
// one place (the create answer, or a token file) and nowhere else.
// Its answers show it as View returns it.
type Created struct {
	ID        int64
	Name      string
	Token     string
	CreatedAt time.Time
	CreatedBy Creator
	OrgID     string
	ProjectID string
}

// Scope returns the scope of the new key.
func (c Created) Scope() string { return CreateRequest{OrgID: c.OrgID, ProjectID: c.ProjectID}.Scope() }

// ScopeText describes the scope for a person.
func (c Created) ScopeText() string { return describeScope(c.OrgID, c.ProjectID) }

// CheckName validates a key name as Neon would, before any request.
func CheckName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("the key name is empty")
	case !utf8.ValidString(name):
		return errors.New("the key name is not valid UTF-8")
	case secret.StripControl(name) != name:
		// A terminal would act on them, and a list would show a name other
		// than the one stored.
		return errors.New("the key name holds control or invisible characters (such as ESC, BEL, a newline or a bidi override): use printable text")
	case utf8.RuneCountInString(name) > MaxNameLen:
		return fmt.Errorf("the key name is %d characters long; Neon allows at most %d", utf8.RuneCountInString(name), MaxNameLen)
	}
	return nil
}

// Resolve fills in what a create needs without changing anything: it checks
// the name and looks up the project's organization. Tools call it to build
// the confirmation preview; Create calls it again.
func (s *Service) Resolve(ctx context.Context, req CreateRequest) (CreateRequest, error) {
	if err := CheckName(req.Name); err != nil {
		return req, err
	}
	if req.ProjectID == "" {
		return req, nil
	}
	project, err := s.api.GetProject(ctx, req.ProjectID)
	if err != nil {
		return req, err
	}
	if project.OrgID == "" {
		return req, &ProjectNotInOrgError{ProjectID: req.ProjectID}
	}
	if req.OrgID != "" && req.OrgID != project.OrgID {
		return req, &OrgMismatchError{ProjectID: req.ProjectID, ProjectOrgID: project.OrgID, GivenOrgID: req.OrgID}
	}
	req.OrgID = project.OrgID
	return req, nil
}

// Create mints a key at the requested scope and checks Neon's answer: a
// non-empty token, and the project asked for. A wrong answer is revoked at
// once and reported as *WithdrawnKeyError. A create interrupted after it was
// sent (cancel, network error, 5xx, unreadable answer) is followed by a search for the key by
// its name: one that was not there before is revoked (*WithdrawnKeyError);
// otherwise *MaybeCreatedError says what the search found.
func (s *Service) Create(ctx context.Context, req CreateRequest) (*Created, error) {
	req, err := s.Resolve(ctx, req)
	if err != nil {
		return nil, err
	}
	before, listed, err := s.namedBefore(ctx, req)
	if err != nil {
		// Nothing is sent: a create whose stray key could not be told
		// from an older one of the same name is not worth the risk.
		return nil, err
	}
	// The secrets held before the create: the answer's token is registered
	// with the redactor while it is decoded, so only this copy can tell a
	// token that repeats one of them.
	held := s.api.Redactor().Known()
	var resp *neonapi.CreatedAPIKey
	if req.OrgID == "" {
		resp, err = s.api.CreateAPIKey(ctx, req.Name)
	} else {
		resp, err = s.api.CreateOrgAPIKey(ctx, req.OrgID, neonapi.CreateOrgAPIKeyRequest{KeyName: req.Name, ProjectID: req.ProjectID})
	}
	if err != nil {
		// A 5xx, a lost connection, a cancel or an unreadable answer may
		// come after Neon stored the key: find it by its name, revoke it.
		if mayHaveCreated(err) {
			return nil, s.settleInterrupted(req, before, err)
		}
		return nil, err
	}
	if reason := verify(req, resp, held); reason != "" {
		return nil, s.undo(req, resp, reason)
	}
	creator := s.creator(ctx, resp.CreatedBy, listed)
	if ctx.Err() != nil {
		// The caller gave up (Ctrl-C, notifications/cancelled) while Neon
		// minted the key: nobody will receive its token, so it must not stay.
		return nil, s.undo(req, resp, "the request was cancelled after Neon created the key")
	}
	return &Created{
		ID: resp.ID, Name: resp.Name, Token: resp.Key, CreatedAt: resp.CreatedAt,
		CreatedBy: creator, OrgID: req.OrgID, ProjectID: req.ProjectID,
	}, nil
}

// creator turns the user id of a create answer into the object every
// answer shows: from the keys listed before the create (the caller's own
// personal key is among them for a personal key), else from GET /users/me.
// It is a courtesy: when neither says, the object holds the id alone.
func (s *Service) creator(ctx context.Context, id string, listed []neonapi.APIKey) Creator {
	if c, ok := creatorOf(id, listed); ok {
		return c
	}
	u, err := s.api.GetCurrentUser(ctx)
	if err != nil || u.ID != id {
		return Creator{ID: id}
	}
	return Creator{ID: id, Name: u.FullName(), Image: u.Image}
}

// verify checks a create answer before its token goes anywhere, and
// returns why it cannot be kept ("" when it can). The token is the one
// string of an answer that is not cleaned (neonapi passes it as is), so it
// must have a Neon token's shape (see tokenShapeProblem) and must not hold a
// secret the process held before (held): an API or proxy that quotes the
// credential, or sends escape sequences, as the "new token" would otherwise
// have them printed to a terminal, a transcript or a token file. The reasons
// never quote the token.
func verify(req CreateRequest, resp *neonapi.CreatedAPIKey, held *secret.Redactor) string {
	if resp.Key == "" {
		return "Neon's answer carried no token"
	}
	if problem := tokenShapeProblem(resp.Key); problem != "" {
		return "Neon's answer carried a new token that is not shaped like a Neon token (" + problem + ")"
	}
	if held.Contains(resp.Key) {
		return "Neon's answer carried, as the new token, a secret neonkeys already holds (such as its own credential)"
	}
	if resp.ProjectID != req.ProjectID {
		got := resp.ProjectID
		if got == "" {
			got = "no project"
		}
		want := req.ProjectID
		if want == "" {
			want = "no project"
		}
		return fmt.Sprintf("Neon scoped the new key to %s instead of %s", got, want)
	}
	return ""
}

// A new Neon token is "napi_" followed by minTokenBody to maxTokenBody ASCII
// letters and digits: the rule is napi_[A-Za-z0-9]{32,128}. Neon prefixes
// every key created since 2025-01-31 with napi_ (older, unprefixed keys are
// never minted again); it does not publish the length after it, and public
// secret scanners' rules for it range from 32 to 128 characters. Anything
// else (an escape sequence, a newline, a bidi override, a quoted header or
// a megabyte of text) is not a token.
const (
	tokenPrefix  = "napi_"
	minTokenBody = 32
	maxTokenBody = 128
)

// tokenShapeProblem says how token differs from a Neon token, "" when it
// does not. It names lengths and kinds of characters, never the token.
func tokenShapeProblem(token string) string {
	body, ok := strings.CutPrefix(token, tokenPrefix)
	switch {
	case !ok:
		return "it does not start with " + tokenPrefix
	case len(body) < minTokenBody || len(body) > maxTokenBody:
		return fmt.Sprintf("%d bytes after %s; a Neon token has %d to %d", len(body), tokenPrefix, minTokenBody, maxTokenBody)
	case strings.IndexFunc(body, notAlnum) >= 0:
		return "it holds characters other than ASCII letters and digits"
	}
	return ""
}

// TokenShapeProblem is tokenShapeProblem for a token neonkeys did not mint
// itself (deliver --token-file): "" when token has a Neon token's shape.
func TokenShapeProblem(token string) string { return tokenShapeProblem(token) }

func notAlnum(r rune) bool {
	return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9')
}

// undo revokes a key whose create answer failed verification.
func (s *Service) undo(req CreateRequest, resp *neonapi.CreatedAPIKey, reason string) error {
	err := s.withdraw(resp.ID, req.OrgID)
	return &WithdrawnKeyError{Reason: reason, KeyID: resp.ID, RevokeErr: err}
}

// withdraw revokes a key minted a moment ago that must not stay live. It
// uses a fresh context: the caller's may be ending, and a stray key must
// not stay. Settle waits for withdrawals still running.
func (s *Service) withdraw(id int64, orgID string) error {
	s.withdrawing.Add(1)
	defer s.withdrawing.Done()
	ctx, cancel := context.WithTimeout(context.Background(), withdrawTimeout)
	defer cancel()
	_, err := s.Revoke(ctx, Key{APIKey: neonapi.APIKey{ID: id}, OrgID: orgID})
	return err
}

// Withdraw revokes key id (of organization orgID, "" for a personal key),
// minted a moment ago by this process, that must not stay live: a
// destination did not receive its token. Like every withdrawal it uses its
// own bounded context and is waited for by Settle.
func (s *Service) Withdraw(id int64, orgID string) error { return s.withdraw(id, orgID) }

// UseToken makes every later call use token as the credential: the key
// file neonkeys runs with has just received it (a rotation of that key).
func (s *Service) UseToken(token string) { s.api.SetToken(token) }

// Settle waits, at most withdrawTimeout, for the revokes of minted keys
// that must not stay live. A server calls it before it exits, so ending its
// input cannot leave such a key behind.
func (s *Service) Settle() {
	done := make(chan struct{})
	go func() {
		s.withdrawing.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(withdrawTimeout):
	}
}

// withdrawTimeout bounds the revoke of a key that must not stay live.
const withdrawTimeout = 30 * time.Second

// Revoke revokes key at its scope.
func (s *Service) Revoke(ctx context.Context, key Key) (*neonapi.RevokedAPIKey, error) {
	var revoked *neonapi.RevokedAPIKey
	var err error
	if key.OrgID == "" {
		revoked, err = s.api.RevokeAPIKey(ctx, key.ID)
	} else {
		revoked, err = s.api.RevokeOrgAPIKey(ctx, key.OrgID, key.ID)
	}
	if neonapi.IsNotFound(err) && neonapi.MayHaveSucceeded(err) {
		// A retry found no key after an attempt whose answer was lost: that
		// attempt revoked it. Either way the key no longer works.
		return &neonapi.RevokedAPIKey{ID: key.ID, Name: key.Name, Revoked: true}, nil
	}
	return revoked, err
}

// The rotation suffix RotatedName appends: a marker and a compact UTC time.
const (
	rotatedMarker = "-rotated-"
	rotatedLayout = "20060102T150405Z"
)

// MaxRotatedBaseLen is how many characters of the old name RotatedName
// keeps: a longer one is cut to this length to fit Neon's limit.
const MaxRotatedBaseLen = MaxNameLen - len(rotatedMarker+rotatedLayout)

// RotatedName returns "<old>-rotated-<UTC time>", cut to Neon's 64
// characters, replacing an earlier rotation suffix instead of stacking them.
func RotatedName(old string, now time.Time) string {
	old = secret.StripControl(old) // an old name from the API may hold them; a new one must not
	if base, _, ok := SplitRotated(old); ok {
		old = base
	}
	if utf8.RuneCountInString(old) > MaxRotatedBaseLen {
		old = string([]rune(old)[:MaxRotatedBaseLen])
	}
	if old == "" {
		old = "neon-api-key"
	}
	return old + rotatedMarker + now.UTC().Format(rotatedLayout)
}

// SplitRotated splits a name RotatedName made, "<base>-rotated-<UTC time>",
// into base and time; ok is false when name has no such suffix.
func SplitRotated(name string) (base string, at time.Time, ok bool) {
	i := strings.LastIndex(name, rotatedMarker)
	if i < 0 {
		return "", time.Time{}, false
	}
	at, err := time.Parse(rotatedLayout, name[i+len(rotatedMarker):])
	if err != nil {
		return "", time.Time{}, false
	}
	return name[:i], at, true
}
