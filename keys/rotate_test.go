package keys_test

import (
	"context"
	"errors"
	"testing"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
)

// TestRotateAfterHandover: the old key stays live until the transport
// settles the new token; a delivered token revokes it, an undelivered one
// withdraws the replacement and leaves the old key working. Settle waits for
// what the settle started (a server calls it before it exits).
func TestRotateAfterHandover(t *testing.T) {
	cases := []struct {
		name       string
		settleWith error
		wantOld    bool // the old key still works at the end
		wantNew    bool // the replacement still works at the end
	}{
		{"delivered", nil, false, true},
		{"not delivered", errors.New("the client is gone"), true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, fx, svc := setup(t)
			s := svc("")
			old := keys.Key{APIKey: neonapi.APIKey{ID: fx.OrgKeyID, Name: "ci"}, OrgID: fx.Org.ID}
			var settle func(error)
			var token string
			outcome := make(chan keys.Delivered, 1)
			created, err := s.RotateAfterHandover(context.Background(), old, s.RotateRequest(old, ""),
				func(c *keys.Created, settled func(error)) error { token, settle = c.Token, settled; return nil },
				func(d keys.Delivered) { outcome <- d })
			if err != nil {
				t.Fatal(err)
			}
			if !srv.TokenValid(fx.OrgKeyToken) || len(srv.Mutations()) != 1 {
				t.Fatal("the old key was touched before the new token was settled")
			}
			settle(c.settleWith)
			settle(nil) // a second settle changes nothing
			s.Settle()
			d := <-outcome
			if !errors.Is(d.Err, c.settleWith) || d.New.ID != created.ID || d.Old == nil || d.Old.ID != old.ID {
				t.Fatalf("outcome = %+v", d)
			}
			if got := srv.TokenValid(fx.OrgKeyToken); got != c.wantOld {
				t.Errorf("old key works = %v, want %v", got, c.wantOld)
			}
			if got := srv.TokenValid(token); got != c.wantNew {
				t.Errorf("replacement works = %v, want %v", got, c.wantNew)
			}
			if d.RevokeErr != nil || d.WithdrawErr != nil {
				t.Errorf("revoke failed: %v %v", d.RevokeErr, d.WithdrawErr)
			}
		})
	}
}
