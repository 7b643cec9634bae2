package server_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
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

// modernMeta is the _meta of a 2026-07-28 request declaring caps.
func modernMeta(caps string) string {
	return `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",` +
		`"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},` +
		`"io.modelcontextprotocol/clientCapabilities":` + caps + `}`
}

// modernRevoke is a confirmed 2026-07-28 revoke of the spare key.
func (s *session) modernRevoke(id, caps string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%q,"method":"tools/call","params":{"name":"revoke_api_key","arguments":{"key_id":%d,"confirm":true},%s}}`,
		id, s.scratch, modernMeta(caps))
}

// legacyInit is an initialize (2025-11-25) declaring caps.
func legacyInit(id, caps string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%q,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":%s,"clientInfo":{"name":"t","version":"1"}}}`, id, caps)
}

// answers returns the answers to the requests with these ids (JSON
// literals), whatever their order, skipping other messages.
func (s *session) answers(t *testing.T, ids ...string) map[string]map[string]json.RawMessage {
	t.Helper()
	got := map[string]map[string]json.RawMessage{}
	for len(got) < len(ids) {
		msg := s.next(t)
		if id := string(msg["id"]); slices.Contains(ids, id) {
			got[id] = msg
		}
	}
	return got
}

// declineNextQuestion expects the server to ask the human (elicitation/create)
// and answers decline.
func (s *session) declineNextQuestion(t *testing.T) {
	t.Helper()
	ask := s.next(t)
	var method string
	_ = json.Unmarshal(ask["method"], &method)
	if method != "elicitation/create" {
		t.Fatalf("the revoke did not ask the human: %s %s %s", ask["method"], abuseTail(string(ask["result"])), ask["error"])
	}
	s.send(t, `{"jsonrpc":"2.0","id":%s,"result":{"action":"decline"}}`, ask["id"])
}

// TestSessionCannotTurnItsDialogOff: once a session declared elicitation,
// at initialize or in a 2026-07-28 request, a later request that declares
// capabilities without it (mcp-go would copy them onto the session) is
// refused, so a confirmed revoke can no longer skip the human's dialog:
// the attack mutates nothing and the next legacy revoke still asks. The
// controls: a session that never declared elicitation is served on confirm
// alone (the attack line does revoke), and a request that keeps elicitation
// is not refused.
func TestSessionCannotTurnItsDialogOff(t *testing.T) {
	const elicit, none, urlOnly = `{"elicitation":{}}`, `{}`, `{"elicitation":{"url":{}}}`
	cases := []struct {
		name    string
		init    string   // caps of a legacy initialize first; "" sends none
		declare []string // caps of 2026-07-28 tools/list requests next
		attack  func(s *session) string
		refused bool // the attack gets a JSON-RPC error
		revoked bool // the spare key is revoked by the attack
	}{
		{"legacy elicitation, then a modern request without", elicit, nil, func(s *session) string { return s.modernRevoke("attack", none) }, true, false},
		{"legacy elicitation, then a modern request with url only", elicit, nil, func(s *session) string { return s.modernRevoke("attack", urlOnly) }, true, false},
		{"modern elicitation, then a modern request without", "", []string{elicit}, func(s *session) string { return s.modernRevoke("attack", none) }, true, false},
		{"legacy none, modern elicitation, then modern without", none, []string{elicit}, func(s *session) string { return s.modernRevoke("attack", none) }, true, false},
		{"modern elicitation, then a legacy initialize without", "", []string{elicit}, func(*session) string { return legacyInit("attack", none) }, true, false},
		{"control: never declared, modern confirm alone", none, []string{none}, func(s *session) string { return s.modernRevoke("attack", none) }, false, true},
		{"control: modern request keeping elicitation", elicit, []string{elicit}, func(s *session) string { return s.modernRevoke("attack", elicit) }, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startSession(t, true)
			if c.init != "" {
				s.send(t, "%s", legacyInit("init", c.init))
				if msg := s.until(t, `"init"`); msg["result"] == nil {
					t.Fatalf("initialize: %s", msg["error"])
				}
				s.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
			}
			for i, caps := range c.declare {
				id := fmt.Sprintf("declare%d", i)
				s.send(t, `{"jsonrpc":"2.0","id":%q,"method":"tools/list","params":{%s}}`, id, modernMeta(caps))
				if msg := s.until(t, strconv.Quote(id)); msg["result"] == nil {
					t.Fatalf("modern tools/list declaring %s: %s", caps, msg["error"])
				}
			}
			s.send(t, "%s", c.attack(s))
			msg := s.until(t, `"attack"`)
			if refused := msg["error"] != nil; refused != c.refused {
				t.Fatalf("attack refused %v, want %v: %s %s", refused, c.refused, abuseTail(string(msg["result"])), msg["error"])
			}
			if c.refused && !strings.Contains(string(msg["error"]), "elicitation") {
				t.Errorf("the refusal does not say why: %s", msg["error"])
			}
			if revoked := s.key(t, s.scratch).Revoked; revoked != c.revoked {
				t.Fatalf("spare key revoked %v after the attack, want %v: %s", revoked, c.revoked, abuseTail(string(msg["result"])))
			}
			if c.refused {
				// The guard still holds for a legacy call: it asks the human.
				s.send(t, "%s", s.revokeScratch("after"))
				s.declineNextQuestion(t)
				s.until(t, `"after"`)
				if n := s.mutations(); n != 0 {
					t.Fatalf("%d mutations after the human declined", n)
				}
			}
			s.quit(t, false)
		})
	}
}

// TestFailedInitializeIsNotCounted: an initialize mcp-go answers with an
// error leaves the session uninitialized: a call sent right behind it (not
// waiting for that answer) is refused, and a corrected initialize is then
// served. A successful initialize counts (also one whose version mcp-go
// negotiates down): a call behind it is served and another initialize is
// refused.
func TestFailedInitializeIsNotCounted(t *testing.T) {
	cases := []struct {
		name  string
		first string // the first initialize line
		ok    bool   // mcp-go accepts it
	}{
		{"params not an object", `{"jsonrpc":"2.0","id":"first","method":"initialize","params":"x"}`, false},
		{"capabilities not an object", `{"jsonrpc":"2.0","id":"first","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":"all","clientInfo":{"name":"t","version":"1"}}}`, false},
		{"wrong JSON-RPC version", `{"jsonrpc":"1.0","id":"first","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, false},
		{"initialize in the 2026-07-28 era", `{"jsonrpc":"2.0","id":"first","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"},` + modernMeta(`{}`) + `}}`, false},
		{"carrying a result member (read as an answer)", `{"jsonrpc":"2.0","id":"first","method":"initialize","result":{},"params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, false},
		{"unsupported version (negotiated)", `{"jsonrpc":"2.0","id":"first","method":"initialize","params":{"protocolVersion":"1999-01-01","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, true},
		{"valid (control)", legacyInit("first", `{}`), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startSession(t, false)
			s.send(t, "%s", c.first)
			s.send(t, `{"jsonrpc":"2.0","id":"list","method":"tools/call","params":{"name":"list_api_keys","arguments":{}}}`)
			got := s.answers(t, `"first"`, `"list"`) // in either order
			first, list := got[`"first"`], got[`"list"`]
			if (first["result"] != nil) != c.ok {
				t.Fatalf("first initialize: result %s error %s, want accepted %v", abuseTail(string(first["result"])), first["error"], c.ok)
			}
			if served := list["result"] != nil; served != c.ok {
				t.Fatalf("a call right behind the initialize: served %v, want %v: %s", served, c.ok, list["error"])
			}
			s.send(t, "%s", legacyInit("retry", `{}`))
			retry := s.until(t, `"retry"`)
			if retried := retry["result"] != nil; retried == c.ok {
				t.Fatalf("initialize after a first one accepted %v: accepted %v (%s)", c.ok, retried, retry["error"])
			}
			// Either way the session is initialized now, once.
			s.send(t, `{"jsonrpc":"2.0","id":"list2","method":"tools/call","params":{"name":"list_api_keys","arguments":{}}}`)
			if msg := s.until(t, `"list2"`); msg["result"] == nil {
				t.Fatalf("list_api_keys after initialize: %s", msg["error"])
			}
			s.send(t, "%s", legacyInit("third", `{}`))
			if msg := s.until(t, `"third"`); msg["error"] == nil {
				t.Fatal("a further initialize was accepted")
			}
			s.quit(t, false)
		})
	}
}

// TestCaseVariantMembers: mcp-go's decoder (encoding/json) reads "Method",
// "ID", "Params" or "paramſ" (long s folds to s) as method, id and params,
// and capability members in any case; the filter reads them the same way,
// so a spelling cannot get a call served before initialize, a second
// initialize accepted, or the session's confirmation dialog turned off.
// After a refused attack the API saw no mutation, and a session that
// declared elicitation still asks the human on the next revoke. Controls: a
// case-variant spelling is served where the canonical one is (the filter
// refuses what a message does, not how it is spelled). The "held" cases
// were refused before the filter read members as mcp-go does too: nested
// capability members went through mcp-go's types already, and mcp-go reads
// the _meta keys exactly.
func TestCaseVariantMembers(t *testing.T) {
	const elicit, none = `{"elicitation":{}}`, `{}`
	// revoke is a confirmed revoke of the spare key with members named as
	// given (method, id, params), params holding extra members.
	revoke := func(method, id, params, extra string) func(s *session) string {
		return func(s *session) string {
			return fmt.Sprintf(`{"jsonrpc":"2.0",%q:"attack",%q:"tools/call",%q:{"name":"revoke_api_key","arguments":{"key_id":%d,"confirm":true}%s}}`,
				id, method, params, s.scratch, extra)
		}
	}
	line := func(l string) func(*session) string { return func(*session) string { return l } }
	initialize := func(method, params, caps string) func(*session) string {
		return line(fmt.Sprintf(`{"jsonrpc":"2.0","id":"attack",%q:"initialize",%q:{"protocolVersion":"2025-11-25","capabilities":%s,"clientInfo":{"name":"t","version":"1"}}}`, method, params, caps))
	}
	modernMetaAs := func(member, capsKey, caps string) string {
		return fmt.Sprintf(`,%q:{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},%q:%s}`,
			member, capsKey, caps)
	}
	const capsKey = "io.modelcontextprotocol/clientCapabilities"
	type outcome int
	const (
		refused    outcome = iota // a JSON-RPC error, nothing mutated
		served                    // a result
		asks                      // the server asks the human (declined here)
		asksModern                // the answer asks the human (2026-07-28: inputRequests)
	)
	cases := []struct {
		name   string
		setup  string // "": none; "legacy": initialize with elicitation; "modern": a 2026-07-28 request declaring it
		attack func(s *session) string
		want   outcome
	}{
		{"Method: a revoke before initialize", "", revoke("Method", "id", "params", ""), refused},
		{"METHOD: a revoke before initialize", "", revoke("METHOD", "id", "params", ""), refused},
		{"ID: a revoke before initialize", "", revoke("method", "ID", "params", ""), refused},
		{"Id and Method: a revoke before initialize", "", revoke("Method", "Id", "params", ""), refused},
		{"Method: a second initialize without elicitation", "legacy", initialize("Method", "params", none), refused},
		{"Method, Params, Capabilities: a second initialize", "legacy", line(`{"jsonrpc":"2.0","id":"attack","Method":"initialize","Params":{"protocolVersion":"2025-11-25","Capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`), refused},
		{"Params: an initialize without elicitation after a modern request with it", "modern", initialize("method", "Params", none), refused},
		{"held: Capabilities: an initialize without elicitation after a modern request with it", "modern", line(`{"jsonrpc":"2.0","id":"attack","method":"initialize","params":{"protocolVersion":"2025-11-25","Capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`), refused},
		{"an initialize with no params after a modern request with elicitation", "modern", line(`{"jsonrpc":"2.0","id":"attack","method":"initialize"}`), refused},
		{"Params: a modern revoke declaring no elicitation", "legacy", revoke("method", "id", "Params", modernMetaAs("_meta", capsKey, none)), refused},
		{"paramſ (long s): a modern revoke declaring no elicitation", "legacy", revoke("method", "id", "paramſ", modernMetaAs("_meta", capsKey, none)), refused},
		{"Method and Params: a modern revoke declaring no elicitation", "modern", revoke("Method", "id", "Params", modernMetaAs("_meta", capsKey, none)), refused},
		{"held: _META: a modern revoke declaring no elicitation", "legacy", revoke("method", "id", "params", modernMetaAs("_META", capsKey, none)), refused},
		{"held: Elicitation with URL only: a modern revoke", "legacy", revoke("method", "id", "params", modernMetaAs("_meta", capsKey, `{"Elicitation":{"URL":{}}}`)), refused},
		{"held: ClientCapabilities key (mcp-go reads _meta keys exactly): a modern revoke", "legacy", revoke("method", "id", "params", modernMetaAs("_meta", "io.modelcontextprotocol/ClientCapabilities", none)), refused},
		{"Result: an initialize mcp-go would take for an answer", "", line(`{"jsonrpc":"2.0","id":"attack","Method":"initialize","Result":{},"params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`), refused},
		{"control: Method, Params, Capabilities, Elicitation in the first initialize", "", line(`{"jsonrpc":"2.0","id":"attack","Method":"initialize","Params":{"protocolVersion":"2025-11-25","Capabilities":{"Elicitation":{}},"clientInfo":{"name":"t","version":"1"}}}`), served},
		{"control: Method and ID after initialize", "legacy", revoke("Method", "ID", "params", ""), asks},
		{"control: Params keeping Elicitation in a modern revoke", "legacy", revoke("method", "id", "Params", modernMetaAs("_meta", capsKey, `{"Elicitation":{}}`)), asksModern},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startSession(t, true)
			switch c.setup {
			case "legacy":
				s.handshake(t, true)
			case "modern":
				s.send(t, `{"jsonrpc":"2.0","id":"declare","method":"tools/list","params":{%s}}`, modernMeta(elicit))
				if msg := s.until(t, `"declare"`); msg["result"] == nil {
					t.Fatalf("modern tools/list declaring elicitation: %s", msg["error"])
				}
			}
			s.send(t, "%s", c.attack(s))
			if c.want == asks {
				s.declineNextQuestion(t)
			}
			msg := s.until(t, `"attack"`)
			if c.want == asksModern && !strings.Contains(string(msg["result"]), `"elicitation/create"`) {
				t.Fatalf("the modern revoke did not ask the human: %s %s", abuseTail(string(msg["result"])), msg["error"])
			}
			if refusedNow := msg["error"] != nil; refusedNow != (c.want == refused) {
				t.Fatalf("attack refused %v, want %v: %s %s", refusedNow, c.want == refused, abuseTail(string(msg["result"])), msg["error"])
			}
			if n := s.mutations(); n != 0 {
				t.Fatalf("%d mutations: %s", n, abuseTail(string(msg["result"])))
			}
			switch {
			case c.setup == "" && c.want == refused:
				if n := len(s.fake.Requests()); n != 0 {
					t.Fatalf("%d requests reached the API before initialize", n)
				}
			case c.setup != "" || c.want == served:
				// The session's dialog still holds (the control's initialize
				// declared elicitation in case-variant spelling).
				s.send(t, "%s", s.revokeScratch("after"))
				s.declineNextQuestion(t)
				s.until(t, `"after"`)
				if n := s.mutations(); n != 0 {
					t.Fatalf("%d mutations after the human declined", n)
				}
			}
			s.quit(t, false)
		})
	}
}

// TestInitializeIDReused: a client may send an initialize under the id of
// a request still in flight, whose answer can come first. A ping's result
// under that id does not count as a successful handshake (the call behind
// a failed initialize is still refused), and an error under that id does
// not drop the elicitation the initialize declared (a later request
// declaring no elicitation is refused, and a revoke mutates nothing
// without the human: it asks, or, when the error was read as the
// initialize's, is refused as uninitialized). Either order of the two
// answers keeps the dialog.
func TestInitializeIDReused(t *testing.T) {
	t.Run("a ping's result is no handshake", func(t *testing.T) {
		s := startSession(t, true)
		s.send(t, `{"jsonrpc":"2.0","id":"x","method":"ping"}`)
		s.send(t, `{"jsonrpc":"1.0","id":"x","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
		s.send(t, "%s", s.revokeScratch("early"))
		if msg := s.until(t, `"early"`); msg["error"] == nil || !strings.Contains(string(msg["error"]), "not initialized") {
			t.Fatalf("a revoke behind a failed initialize was served: %s %s", abuseTail(string(msg["result"])), msg["error"])
		}
		if n := len(s.fake.Requests()); n != 0 {
			t.Fatalf("%d requests reached the API before initialize", n)
		}
		s.quit(t, false)
	})
	t.Run("an error does not drop the declared elicitation", func(t *testing.T) {
		s := startSession(t, true)
		// An unsupported 2026-07-28+ version: mcp-go answers an error at once.
		s.send(t, `{"jsonrpc":"2.0","id":"x","method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01","io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`)
		s.send(t, "%s", legacyInit("x", `{"elicitation":{}}`))
		s.send(t, "%s", s.modernRevoke("attack", `{}`))
		if msg := s.until(t, `"attack"`); msg["error"] == nil {
			t.Fatalf("a modern revoke declaring no elicitation was served: %s", abuseTail(string(msg["result"])))
		}
		s.send(t, "%s", s.revokeScratch("after"))
		for {
			msg := s.next(t)
			if string(msg["method"]) == `"elicitation/create"` {
				s.send(t, `{"jsonrpc":"2.0","id":%s,"result":{"action":"decline"}}`, msg["id"])
			}
			if string(msg["id"]) == `"after"` {
				break
			}
		}
		if n := s.mutations(); n != 0 {
			t.Fatalf("%d mutations without the human", n)
		}
		s.quit(t, false)
	})
}
