package keys

import (
	"context"
	"fmt"
	"sync"

	"github.com/neonkeys/neonkeys/neonapi"
)

// Deliver hands a new key's token to its one destination: stdout, a token
// file, or a tool's answer. An error means the token did not get there.
type Deliver func(*Created) error

// CreateAndDeliver creates a key and delivers its token. When delivery
// fails the key is revoked again (*WithdrawnKeyError), so no live key is left
// whose token nobody holds.
func (s *Service) CreateAndDeliver(ctx context.Context, req CreateRequest, deliver Deliver) (*Created, error) {
	created, err := s.Create(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := deliver(created); err != nil {
		return nil, &WithdrawnKeyError{Reason: fmt.Sprintf("the new token could not be delivered (%v)", err), KeyID: created.ID, RevokeErr: s.withdraw(created.ID, created.OrgID)}
	}
	return created, nil
}

// RotateResult is a rotation's outcome. New is always set when Rotate
// returns no error; RevokeErr says the old key is still live.
type RotateResult struct {
	Old       Key
	New       *Created
	Revoked   *neonapi.RevokedAPIKey
	RevokeErr error
}

// RotateRequest plans a rotation: the replacement's name (a fresh one when
// newName is empty) at the old key's scope.
func (s *Service) RotateRequest(old Key, newName string) CreateRequest {
	if newName == "" {
		newName = RotatedName(old.Name, s.now())
	}
	return CreateRequest{Name: newName, OrgID: old.OrgID, ProjectID: old.ProjectID}
}

// Rotate creates a replacement for old at the same scope (req, from
// RotateRequest), delivers its token, then revokes old: the new token is in
// the user's hands before the old key stops working. If the create or the
// delivery fails, old is untouched and the error is returned. If the revoke
// fails the new key is still returned, with RevokeErr set.
func (s *Service) Rotate(ctx context.Context, old Key, req CreateRequest, deliver Deliver) (*RotateResult, error) {
	created, err := s.CreateAndDeliver(ctx, req, deliver)
	if err != nil {
		return nil, err
	}
	res := &RotateResult{Old: old, New: created}
	res.Revoked, res.RevokeErr = s.Revoke(ctx, old)
	return res, nil
}

// Handover puts a new token where a transport will write it, and returns at
// once: an MCP answer is written after the tool returns, so only the
// transport knows whether the token got out. It calls settle exactly once,
// later: nil when the bytes carrying the token were written in full, else
// why they were not. An error from Handover itself means the token was not
// placed at all.
type Handover func(c *Created, settle func(error)) error

// Delivered is what became of a handed-over token, known once the transport
// settled it.
type Delivered struct {
	New *Created
	// Err says why the token did not reach its reader; the new key was then
	// withdrawn (WithdrawErr: that revoke failed, the key may still work).
	Err         error
	WithdrawErr error
	// Old is the rotated key, nil for a plain create. It is revoked only once
	// the new token was delivered: Revoked, or RevokeErr (it still works).
	Old       *Key
	Revoked   *neonapi.RevokedAPIKey
	RevokeErr error
}

// CreateAndHandOver creates a key and hands its token over. A handover that
// fails at once withdraws the key (*WithdrawnKeyError), as CreateAndDeliver
// does; one that fails later withdraws it then. done (may be nil) receives
// the outcome once the transport settled it.
func (s *Service) CreateAndHandOver(ctx context.Context, req CreateRequest, hand Handover, done func(Delivered)) (*Created, error) {
	return s.handOver(ctx, req, nil, hand, done)
}

// RotateAfterHandover creates a replacement for old (req, from
// RotateRequest) and hands its token over. old is revoked only once the
// transport reports the token delivered; if it never is, the replacement is
// withdrawn and old keeps working. done (may be nil) receives the outcome.
func (s *Service) RotateAfterHandover(ctx context.Context, old Key, req CreateRequest, hand Handover, done func(Delivered)) (*Created, error) {
	return s.handOver(ctx, req, &old, hand, done)
}

func (s *Service) handOver(ctx context.Context, req CreateRequest, old *Key, hand Handover, done func(Delivered)) (*Created, error) {
	created, err := s.Create(ctx, req)
	if err != nil {
		return nil, err
	}
	var once sync.Once
	settle := func(err error) {
		once.Do(func() {
			// Counted before settle returns, so Settle (run at exit, after the
			// transport settled every pending token) waits for this revoke.
			s.withdrawing.Add(1)
			go func() {
				defer s.withdrawing.Done()
				d := s.afterHandover(created, old, err)
				if done != nil {
					done(d)
				}
			}()
		})
	}
	if err := hand(created, settle); err != nil {
		once.Do(func() {}) // a late settle from the transport must not act again
		return nil, &WithdrawnKeyError{Reason: fmt.Sprintf("the new token could not be delivered (%v)", err), KeyID: created.ID, RevokeErr: s.withdraw(created.ID, created.OrgID)}
	}
	return created, nil
}

// afterHandover withdraws an undelivered key, or revokes the key a delivered
// one replaces. Both use a fresh bounded context: the call that minted the
// key has returned, and its context may be cancelled already.
func (s *Service) afterHandover(c *Created, old *Key, err error) Delivered {
	d := Delivered{New: c, Err: err, Old: old}
	if err != nil {
		d.WithdrawErr = s.withdraw(c.ID, c.OrgID)
		return d
	}
	if old != nil {
		ctx, cancel := context.WithTimeout(context.Background(), withdrawTimeout)
		defer cancel()
		d.Revoked, d.RevokeErr = s.Revoke(ctx, *old)
	}
	return d
}
