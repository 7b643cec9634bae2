package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/neonkeys/neonkeys/neonapi"
)

// lookupTimeout bounds the search, after an interrupted create, for the key
// it may have made. It is independent of the caller's context, which is
// usually the one that just ended (Ctrl-C, SIGTERM, notifications/cancelled).
const lookupTimeout = 10 * time.Second

// namedBefore returns the ids of the keys at req's scope already named
// req.Name, read before the create is sent. After an interruption, only a
// key that is not among them can be the one this create made.
//
// Why ids seen before, and not created_at after the request started:
// created_at is Neon's clock and the start time would be ours, with no
// bound on the skew between them; and a key of the same name made a moment
// earlier (a script that runs create twice) would pass a time test and be
// revoked. The price is one list request per create. The listed keys are
// returned too: their creators name the creator of the new key.
func (s *Service) namedBefore(ctx context.Context, req CreateRequest) (map[int64]bool, []neonapi.APIKey, error) {
	ks, err := s.listScope(ctx, req.OrgID)
	if err != nil {
		return nil, nil, err
	}
	ids := map[int64]bool{}
	for _, k := range ks {
		if k.Name == req.Name {
			ids[k.ID] = true
		}
	}
	return ids, ks, nil
}

// listScope lists the keys of one scope: personal keys, or orgID's.
func (s *Service) listScope(ctx context.Context, orgID string) ([]neonapi.APIKey, error) {
	if orgID == "" {
		return s.api.ListAPIKeys(ctx)
	}
	return s.api.ListOrgAPIKeys(ctx, orgID)
}

// mayHaveCreated reports whether a failed create may have reached Neon and
// made a key. Only a refusal (a 4xx answer) proves it did not: the caller
// giving up, a failed connection, a 5xx, and a 2xx whose answer could not
// be read (too large, not the JSON expected) may all follow a minted key.
// Looking for the key when none was made costs one list; not looking when
// one was made leaves a live key that nobody holds.
func mayHaveCreated(err error) bool {
	refused := func(status int) bool { return status >= 400 && status < 500 }
	var apiErr *neonapi.APIError
	if errors.As(err, &apiErr) {
		return !refused(apiErr.Status)
	}
	var tooBig *neonapi.LimitError
	if errors.As(err, &tooBig) {
		return !refused(tooBig.Status)
	}
	return true
}

// settleInterrupted runs after a create that was interrupted once sent
// (cause): it looks for a key named req.Name at req's scope that was not
// there before (before, from namedBefore) and revokes it, since nobody holds
// its token. It answers *WithdrawnKeyError when it found one (RevokeErr
// says whether the revoke failed), else *MaybeCreatedError saying what the
// search found or why it could not look.
func (s *Service) settleInterrupted(req CreateRequest, before map[int64]bool, cause error) error {
	s.withdrawing.Add(1) // a server's exit waits for this, as for a withdrawal
	defer s.withdrawing.Done()
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	ks, err := s.listScope(ctx, req.OrgID)
	if err != nil {
		return &MaybeCreatedError{Name: req.Name, Err: cause, SearchErr: err}
	}
	var fresh []neonapi.APIKey
	for _, k := range ks {
		if k.Name == req.Name && k.ProjectID == req.ProjectID && !before[k.ID] {
			fresh = append(fresh, k)
		}
	}
	switch len(fresh) {
	case 0:
		return &MaybeCreatedError{Name: req.Name, Err: cause, Searched: true}
	case 1:
		return &WithdrawnKeyError{
			Reason: fmt.Sprintf("a key named %q was created as the request was interrupted (%s)", req.Name, interruption(cause)),
			KeyID:  fresh[0].ID, RevokeErr: s.withdraw(fresh[0].ID, req.OrgID),
		}
	default:
		// Not ours alone: someone else is creating keys of this name too.
		return &MaybeCreatedError{Name: req.Name, Err: cause,
			SearchErr: fmt.Errorf("%d new keys bear that name, so which one is this request's cannot be told", len(fresh))}
	}
}

// interruption says briefly how a create was cut short.
func interruption(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled before Neon answered"
	case errors.Is(err, context.DeadlineExceeded):
		return "Neon did not answer in time"
	case neonapi.StatusOf(err) >= 500:
		return fmt.Sprintf("Neon answered %d", neonapi.StatusOf(err))
	case errors.As(err, new(*neonapi.NetworkError)):
		return "the connection to Neon failed"
	default:
		return "Neon's answer could not be read"
	}
}
