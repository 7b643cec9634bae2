package server_test

import (
	"bytes"
	"sync"
	"testing"
)

// TestBlockedAnswerAtEndOfSessionWithdrawsTheKey: the client stops reading
// stdout, so the write of the answer carrying a new token blocks, and then
// closes stdin. The server exits without that answer written: nobody holds
// the token, so the new key must be revoked, and a rotation must leave the
// old key working.
func TestBlockedAnswerAtEndOfSessionWithdrawsTheKey(t *testing.T) {
	for _, tool := range []string{"create_project_scoped_key", "rotate_api_key"} {
		t.Run(tool, func(t *testing.T) {
			s := startSession(t, false)
			stuck := make(chan struct{})   // closed when the answer's write blocks
			release := make(chan struct{}) // lets the blocked write go on, after the checks
			// Cleanups run last-in first-out: this one runs before the session's,
			// whose wait for mcp-go's exit needs the write unblocked.
			t.Cleanup(func() { close(release) })
			var once sync.Once
			hook := func(p []byte) {
				if bytes.Contains(p, []byte(`"id":"mint"`)) {
					once.Do(func() { close(stuck) })
					<-release // the client does not read: the write hangs
				}
			}
			s.onWrite.Store(&hook)
			s.handshake(t, false)
			s.send(t, "%s", s.mintCall(tool))
			awaitChan(t, "the answer carrying the token", stuck)
			s.quit(t, false) // closes stdin; the blocked write is still pending
			minted := s.minted(t)
			if len(minted) != 1 {
				t.Fatalf("%d keys minted, want 1", len(minted))
			}
			if !minted[0].Revoked {
				t.Errorf("the new key %d is live though the answer carrying its token was never written: nobody holds it", minted[0].ID)
			}
			if tool == "rotate_api_key" && s.key(t, s.scratch).Revoked {
				t.Error("the old key was revoked though its replacement never reached the client")
			}
		})
	}
}
