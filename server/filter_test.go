package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// A misbehaving client: what mcp-go alone would serve or misread, the input
// filter refuses, and nothing is mutated.

// revokeScratch is a confirmed revoke of the session's spare key.
func (s *session) revokeScratch(id string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%q,"method":"tools/call","params":{"name":"revoke_api_key","arguments":{"key_id":%d,"confirm":true}}}`, id, s.scratch)
}

// mutations counts the POST and DELETE requests the fake saw.
func (s *session) mutations() int { return len(s.fake.Mutations()) }

// TestElicitationAnswerWithDuplicateKeys: the human's answer to the
// confirmation dialog comes back with a key twice (or twice up to case,
// which encoding/json also merges). Whichever value a reader would take,
// it is no "accept": the revoke is refused and the API sees no DELETE. The
// plain accept is the positive control.
func TestElicitationAnswerWithDuplicateKeys(t *testing.T) {
	cases := []struct {
		name   string
		answer string // the result member of the client's response
		revoke bool
	}{
		{"action twice", `{"action":"decline","action":"accept","content":{"confirm":true}}`, false},
		{"action twice, case apart", `{"action":"decline","Action":"accept","content":{"confirm":true}}`, false},
		{"confirm twice in content", `{"action":"accept","content":{"confirm":false,"confirm":true}}`, false},
		{"content twice", `{"action":"accept","content":{"confirm":false},"content":{"confirm":true}}`, false},
		{"plain accept (control)", `{"action":"accept","content":{"confirm":true}}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startSession(t, true)
			s.handshake(t, true)
			s.send(t, "%s", s.revokeScratch("revoke"))
			ask := s.next(t)
			var method string
			_ = json.Unmarshal(ask["method"], &method)
			if method != "elicitation/create" {
				t.Fatalf("the server did not ask the human: %v", ask)
			}
			s.send(t, `{"jsonrpc":"2.0","id":%s,"result":%s}`, ask["id"], c.answer)
			res := s.until(t, `"revoke"`)
			revoked := s.key(t, s.scratch).Revoked
			if revoked != c.revoke || (s.mutations() > 0) != c.revoke {
				t.Fatalf("answer %s: key revoked %v (%d mutations), want %v; tool answer: %s %s",
					c.answer, revoked, s.mutations(), c.revoke, res["result"], res["error"])
			}
			s.quit(t, false)
		})
	}
}

// TestNoRequestBeforeInitialize: a tools/call before initialize gets a
// JSON-RPC error and never reaches the API; ping is answered. After the
// handshake the same call is served (the positive control).
func TestNoRequestBeforeInitialize(t *testing.T) {
	s := startSession(t, false)
	s.send(t, `{"jsonrpc":"2.0","id":"ping","method":"ping"}`)
	if msg := s.until(t, `"ping"`); msg["result"] == nil {
		t.Errorf("ping before initialize: %s", msg["error"])
	}
	s.send(t, "%s", s.revokeScratch("early-revoke"))
	s.send(t, `{"jsonrpc":"2.0","id":"early-list","method":"tools/call","params":{"name":"list_api_keys","arguments":{}}}`)
	for _, id := range []string{`"early-revoke"`, `"early-list"`} {
		if msg := s.until(t, id); msg["error"] == nil || !strings.Contains(string(msg["error"]), "not initialized") {
			t.Errorf("%s before initialize was served: %s", id, abuseTail(string(msg["result"])))
		}
	}
	if n := len(s.fake.Requests()); n != 0 {
		t.Fatalf("%d requests reached the API before initialize", n)
	}
	s.handshake(t, false)
	s.send(t, `{"jsonrpc":"2.0","id":"list","method":"tools/call","params":{"name":"list_api_keys","arguments":{}}}`)
	if msg := s.until(t, `"list"`); msg["result"] == nil {
		t.Errorf("list_api_keys after initialize: %s", msg["error"])
	}
	s.quit(t, false)
}

// TestSecondInitializeRefused: a session that declared elicitation cannot
// initialize again without it to turn the human's dialog off: the second
// initialize is refused, and the next mutation still asks the human.
func TestSecondInitializeRefused(t *testing.T) {
	s := startSession(t, true)
	s.handshake(t, true)
	s.send(t, `{"jsonrpc":"2.0","id":"again","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if msg := s.until(t, `"again"`); msg["error"] == nil {
		t.Fatalf("a second initialize was accepted: %s", abuseTail(string(msg["result"])))
	}
	s.send(t, "%s", s.revokeScratch("revoke"))
	ask := s.next(t)
	var method string
	_ = json.Unmarshal(ask["method"], &method)
	if method != "elicitation/create" {
		t.Fatalf("after a second initialize the revoke did not ask the human: %v", ask)
	}
	s.send(t, `{"jsonrpc":"2.0","id":%s,"result":{"action":"decline"}}`, ask["id"])
	s.until(t, `"revoke"`)
	if n := s.mutations(); n != 0 {
		t.Fatalf("%d mutations after the human declined", n)
	}
	s.quit(t, false)
}

// TestRequestWithDuplicateKeys: a request with a key twice at any depth is
// refused with an error for its id, whichever copy a reader would take.
func TestRequestWithDuplicateKeys(t *testing.T) {
	s := startSession(t, false)
	s.handshake(t, false)
	lines := []string{
		fmt.Sprintf(`{"jsonrpc":"2.0","id":"d1","method":"tools/call","params":{"name":"list_api_keys","arguments":{}},"params":{"name":"revoke_api_key","arguments":{"key_id":%d,"confirm":true}}}`, s.scratch),
		fmt.Sprintf(`{"jsonrpc":"2.0","id":"d2","method":"tools/call","params":{"name":"list_api_keys","name":"revoke_api_key","arguments":{"key_id":%d,"confirm":true}}}`, s.scratch),
		fmt.Sprintf(`{"jsonrpc":"2.0","id":"d3","method":"tools/call","params":{"name":"revoke_api_key","arguments":{"key_id":%d,"confirm":true,"Confirm":false}}}`, s.scratch),
		`{"jsonrpc":"2.0","id":"d4","method":"ping","method":"tools/list"}`,
	}
	for i, l := range lines {
		s.send(t, "%s", l)
		id := fmt.Sprintf(`"d%d"`, i+1)
		if msg := s.until(t, id); msg["error"] == nil || !strings.Contains(string(msg["error"]), "more than once") {
			t.Errorf("%s with a duplicate key was served: %s %s", id, abuseTail(string(msg["result"])), msg["error"])
		}
	}
	if n := s.mutations(); n != 0 {
		t.Fatalf("%d mutations from requests with duplicate keys", n)
	}
	s.quit(t, false)
}
