package remote_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/remote"
	"github.com/neonkeys/neonkeys/sealed"
)

// roundRobin is a reverse proxy in front of several instances: each
// request goes to the next one, and it records which instance served which
// JSON-RPC message.
type roundRobin struct {
	backends []*url.URL
	mu       sync.Mutex
	next     int
	served   []hop
}

// hop is one request the proxy passed on.
type hop struct {
	instance int
	method   string
	params   string // the message's params, to tell the steps of a call apart
}

func (p *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var msg struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	_ = json.Unmarshal(body, &msg)
	p.mu.Lock()
	i := p.next % len(p.backends)
	p.next++
	p.served = append(p.served, hop{instance: i, method: msg.Method, params: string(msg.Params)})
	p.mu.Unlock()
	target := p.backends[i]
	(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }}).ServeHTTP(w, r)
}

func (p *roundRobin) hops() []hop {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]hop(nil), p.served...)
}

// threeInstances starts three servers sharing a seal key behind a
// round-robin proxy and returns the proxy and its /mcp URL.
func threeInstances(e *env, key []byte) (*roundRobin, string) {
	e.t.Helper()
	p := &roundRobin{}
	for range 3 {
		h, err := remote.New(e.config(func(c *remote.Config) { c.Server.NoElicit, c.Server.SealKey = false, key }))
		if err != nil {
			e.t.Fatal(err)
		}
		ts := httptest.NewServer(h)
		e.t.Cleanup(ts.Close)
		u, _ := url.Parse(ts.URL)
		p.backends = append(p.backends, u)
	}
	ts := httptest.NewServer(p)
	e.t.Cleanup(ts.Close)
	return p, ts.URL + remote.Path
}

// accept is a person who accepts every confirmation dialog.
type accept struct {
	mu    sync.Mutex
	asked []string
}

func (a *accept) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	a.mu.Lock()
	a.asked = append(a.asked, req.Params.Message)
	a.mu.Unlock()
	res := &mcp.ElicitationResult{}
	res.Action = mcp.ElicitationResponseActionAccept
	res.Content = map[string]any{"confirm": true}
	return res, nil
}

// TestRotateAcrossInstances: three instances share a seal key behind a
// round-robin proxy; a full rotate with elicitation (preview, then the
// confirmed call that asks the person, then the retry carrying the
// person's yes) runs each step on a different instance, and the key is
// rotated once. Modern era: the multi-round-trip request carries the
// sealed state.
func TestRotateAcrossInstances(t *testing.T) {
	key := make([]byte, sealed.KeySize)
	_, _ = rand.Read(key)
	tests := []struct {
		name    string
		key     func() []byte // the key of each instance; nil: random each
		rotated bool
	}{
		{"shared seal key", func() []byte { return key }, true},
		// Each instance with its own key: the instance that gets the
		// person's answer cannot open the state another issued.
		{"a key per instance", func() []byte { return nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			proxy, url := threeInstances(e, tt.key())
			person := &accept{}
			c := e.connect(url, bearer(e.fx.AdminToken), client.WithElicitationHandler(person))
			preview := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"org_id":%q}`, e.fx.OrgKeyID, e.fx.Org.ID))
			if !strings.Contains(text(preview), "confirm is not true") {
				t.Fatalf("preview = %q", text(preview))
			}
			res := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"org_id":%q,"confirm":true}`, e.fx.OrgKeyID, e.fx.Org.ID))
			if got := !res.IsError && strings.Contains(text(res), "Rotated") && e.revokedSoon(e.fx.OrgKeyID); got != tt.rotated {
				t.Fatalf("rotated %v, want %v; answer %q", got, tt.rotated, text(res))
			}
			if len(person.asked) != 1 {
				t.Fatalf("the person was asked %d times, want once", len(person.asked))
			}
			steps := rotateSteps(proxy.hops())
			if len(steps) != 3 {
				t.Fatalf("rotate went through %d requests, want 3 (preview, ask, answer): %+v", len(steps), steps)
			}
			seen := map[int]bool{}
			for _, s := range steps {
				seen[s.instance] = true
			}
			if len(seen) != 3 {
				t.Fatalf("the three steps ran on instances %v, want three different ones", steps)
			}
			if !strings.Contains(steps[2].params, "inputResponses") {
				t.Fatalf("the last step does not carry the person's answer: %s", steps[2].params)
			}
		})
	}
}

// rotateSteps are the tools/call requests of rotate_api_key among hops.
func rotateSteps(hops []hop) []hop {
	var out []hop
	for _, h := range hops {
		if h.method == "tools/call" && strings.Contains(h.params, "rotate_api_key") {
			out = append(out, h)
		}
	}
	return out
}

// TestLegacyAcrossInstances: a client of the 2025-11-25 era over stateless
// HTTP declares its capabilities only in initialize, which another instance
// answered: no instance knows it can ask its user, so none elicits (the
// legacy server-to-client request would need its answer to reach the same
// instance). confirm: true, given after the user agreed to the preview, is
// then the gate, as for any client without elicitation, and it works on any
// instance.
func TestLegacyAcrossInstances(t *testing.T) {
	e := newEnv(t)
	key := make([]byte, sealed.KeySize)
	_, _ = rand.Read(key)
	proxy, url := threeInstances(e, key)
	person := &accept{}
	//lint:ignore SA1019 the legacy era is still served to clients that speak it.
	c := e.connect(url, bearer(e.fx.AdminToken), client.WithElicitationHandler(person), client.WithLegacyProtocolOnly())
	args := fmt.Sprintf(`"key_id":%d,"org_id":%q`, e.fx.OrgKeyID, e.fx.Org.ID)
	if res := e.call(c, "rotate_api_key", "{"+args+"}"); !strings.Contains(text(res), "confirm is not true") {
		t.Fatalf("preview = %q", text(res))
	}
	res := e.call(c, "rotate_api_key", "{"+args+`,"confirm":true}`)
	if res.IsError || !e.revokedSoon(e.fx.OrgKeyID) {
		t.Fatalf("not rotated: %q", text(res))
	}
	if len(person.asked) != 0 {
		t.Fatalf("the person was asked %d times over legacy stateless HTTP", len(person.asked))
	}
	if steps := rotateSteps(proxy.hops()); len(steps) != 2 || steps[0].instance == steps[1].instance {
		t.Fatalf("steps %+v: want preview and confirmed call on two instances", steps)
	}
}

// modernCall is a 2026-07-28 tools/call of rotate_api_key with confirm,
// from a client that can ask its user; state and an accepting answer are
// added when given.
func modernCall(keyID int64, orgID, state string) string {
	params := map[string]any{
		"name":      "rotate_api_key",
		"arguments": map[string]any{"key_id": keyID, "org_id": orgID, "confirm": true},
		"_meta": map[string]any{
			"io.modelcontextprotocol/protocolVersion":    "2026-07-28",
			"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "t", "version": "1"},
			"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{}},
		},
	}
	if state != "" {
		params["requestState"] = state
		params["inputResponses"] = map[string]any{"confirm": map[string]any{"action": "accept", "content": map[string]any{"confirm": true}}}
	}
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params})
	return string(b)
}

// TestStateBoundToCredential: a confirmation state issued to one key does
// not open for another: whoever holds a state cannot spend it with a
// different credential, on any instance.
func TestStateBoundToCredential(t *testing.T) {
	e := newEnv(t)
	key := make([]byte, sealed.KeySize)
	_, _ = rand.Read(key)
	_, url := threeInstances(e, key)
	modern := func(token string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + token, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "rotate_api_key"}
	}
	_, _, body := post(t, url, modernCall(e.fx.OrgKeyID, e.fx.Org.ID, ""), modern(e.fx.AdminToken))
	var asked struct {
		Result struct {
			ResultType   string `json:"resultType"`
			RequestState string `json:"requestState"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(body), &asked); err != nil || asked.Result.ResultType != "input_required" {
		t.Fatalf("first call: %v %s; want input_required", err, body)
	}
	// The org's other admin would be the realistic thief; the member's key
	// cannot rotate org keys anyway, so a second admin key is added.
	otherToken, _ := e.fake.AddPersonalKey(e.fx.Admin.ID, "other-laptop")
	_, _, body = post(t, url, modernCall(e.fx.OrgKeyID, e.fx.Org.ID, asked.Result.RequestState), modern(otherToken))
	if !strings.Contains(body, "different call") {
		t.Fatalf("the state answered with another key: %s; want a refusal", body)
	}
	if old, _ := e.fake.Key(e.fx.OrgKeyID); old.Revoked {
		t.Fatal("rotated with a state issued to another key")
	}
	_, _, body = post(t, url, modernCall(e.fx.OrgKeyID, e.fx.Org.ID, asked.Result.RequestState), modern(e.fx.AdminToken))
	if !e.revokedSoon(e.fx.OrgKeyID) {
		t.Fatalf("not rotated with the state's own key: %s", body)
	}
}
