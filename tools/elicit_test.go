package tools_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/server"
)

// human answers elicitation requests as a person would, and records them.
type human struct {
	action  mcp.ElicitationResponseAction
	confirm bool
	mu      sync.Mutex
	asked   []string
}

func (h *human) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	h.mu.Lock()
	h.asked = append(h.asked, req.Params.Message)
	h.mu.Unlock()
	res := &mcp.ElicitationResult{}
	res.Action = h.action
	if h.action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{"confirm": h.confirm}
	}
	return res, nil
}

func (h *human) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.asked...)
}

func elicitEnv(t *testing.T) *env {
	return newEnv(t, withOpts(func(o *server.Options) { o.NoElicit = false }))
}

// TestElicitation: with a client that can ask its user, a confirmed revoke
// still needs the human's accept; decline and cancel change nothing. Both
// protocol eras.
func TestElicitation(t *testing.T) {
	//lint:ignore SA1019 the legacy era (initialize handshake) is still served to clients that speak it, so it is tested.
	eras := map[string][]client.ClientOption{"modern": nil, "legacy": {client.WithLegacyProtocolOnly()}}
	answers := []struct {
		name      string
		action    mcp.ElicitationResponseAction
		confirm   bool
		mutations int
		want      string
	}{
		{"accept", mcp.ElicitationResponseActionAccept, true, 1, "Revoked key"},
		{"accept unticked", mcp.ElicitationResponseActionAccept, false, 0, "did not tick"},
		{"decline", mcp.ElicitationResponseActionDecline, false, 0, "Not revoked: the user declined"},
		{"cancel", mcp.ElicitationResponseActionCancel, false, 0, "Not revoked: the user cancelled"},
	}
	for era, opts := range eras {
		for _, a := range answers {
			t.Run(era+"/"+a.name, func(t *testing.T) {
				e := elicitEnv(t)
				h := &human{action: a.action, confirm: a.confirm}
				c := e.client(append([]client.ClientOption{client.WithElicitationHandler(h)}, opts...)...)
				res := e.call(c, "revoke_api_key", fmt.Sprintf(`{"key_id":%d,"org_id":%q,"confirm":true}`, e.fx.OrgKeyID, e.fx.Org.ID))
				if got := len(e.mutations()); got != a.mutations {
					t.Fatalf("%d mutations, want %d; answer: %s", got, a.mutations, text(res))
				}
				if !strings.Contains(text(res), a.want) || res.IsError == (a.mutations == 1) {
					t.Fatalf("answer = %q (isError %v), want %q", text(res), res.IsError, a.want)
				}
				asked := h.messages()
				if len(asked) != 1 || !strings.Contains(asked[0], fmt.Sprintf("key %d", e.fx.OrgKeyID)) ||
					!strings.Contains(asked[0], `"ci"`) || !strings.Contains(asked[0], "organization "+e.fx.Org.ID) {
					t.Fatalf("the human was asked %q, want the exact key and scope", asked)
				}
			})
		}
	}
}

// TestElicitationNotUsedWithoutCapabilityOrWithNoElicit: the confirm gate
// alone holds for clients that cannot elicit, and --no-elicit turns it off.
func TestElicitationNotUsedWithoutCapabilityOrWithNoElicit(t *testing.T) {
	e := elicitEnv(t)
	c := e.client() // no elicitation handler: no capability
	res := e.call(c, "revoke_api_key", fmt.Sprintf(`{"key_id":%d}`, e.fx.MemberKeyID))
	if !res.IsError || len(e.mutations()) != 0 {
		t.Fatal("without confirm the gate must hold")
	}
	res = e.call(c, "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"a","confirm":true}`, e.fx.OrgProject.ID))
	if res.IsError || len(e.mutations()) != 1 {
		t.Fatalf("confirm: true without elicitation must create: %s", text(res))
	}

	e2 := newEnv(t) // NoElicit
	h := &human{action: mcp.ElicitationResponseActionDecline}
	c2 := e2.client(client.WithElicitationHandler(h))
	res = e2.call(c2, "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"b","confirm":true}`, e2.fx.OrgProject.ID))
	if res.IsError || len(h.messages()) != 0 {
		t.Fatalf("--no-elicit still asked the human: %v / %s", h.messages(), text(res))
	}
}

// session is a client session that declares elicitation, for driving the
// handler directly with forged, replayed or expired state.
type session struct{}

func (session) Initialize()       {}
func (session) Initialized() bool { return true }
func (session) NotificationChannel() chan<- mcp.JSONRPCNotification {
	return make(chan mcp.JSONRPCNotification, 1)
}
func (session) SessionID() string                            { return "test" }
func (session) GetClientInfo() mcp.Implementation            { return mcp.Implementation{} }
func (session) SetClientInfo(mcp.Implementation)             {}
func (session) SetClientCapabilities(mcp.ClientCapabilities) {}
func (session) GetClientCapabilities() mcp.ClientCapabilities {
	return mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{}}
}

func accept() mcp.InputResponses {
	r := mcp.ElicitationResult{}
	r.Action = mcp.ElicitationResponseActionAccept
	r.Content = map[string]any{"confirm": true}
	return mcp.InputResponses{"confirm": mcp.NewElicitationInputResponse(r)}
}

// TestSealedStateIsChecked: a forged, replayed, expired or re-targeted state
// is refused and changes nothing.
func TestSealedStateIsChecked(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, withOpts(func(o *server.Options) { o.NoElicit = false; o.Now = clock }))
	ctx := e.mcp.WithContext(t.Context(), session{})
	handler := e.mcp.GetTool("revoke_api_key").Handler
	call := func(keyID int64, state string, responses mcp.InputResponses) *mcp.CallToolResult {
		req := mcp.CallToolRequest{}
		req.Params.Name = "revoke_api_key"
		req.Params.Arguments = map[string]any{"key_id": keyID, "org_id": e.fx.Org.ID, "confirm": true}
		req.Params.RequestState = state
		req.Params.InputResponses = responses
		res, err := handler(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// First round: the server asks and hands out a sealed state.
	first := call(e.fx.OrgKeyID, "", nil)
	if !first.NeedsInput() || first.RequestState == "" {
		t.Fatalf("want an input request, got %s", dump(first))
	}
	state := first.RequestState

	refusals := []struct {
		name      string
		keyID     int64
		state     string
		responses mcp.InputResponses
		advance   time.Duration
		want      string
	}{
		{"forged state", e.fx.OrgKeyID, "Zm9yZ2Vk", accept(), 0, "invalid"},
		{"answer without state", e.fx.OrgKeyID, "", accept(), 0, "invalid"},
		{"state for another key", e.fx.ProjectKeyID, state, accept(), 0, "different call"},
	}
	for _, r := range refusals {
		res := call(r.keyID, r.state, r.responses)
		if !res.IsError || !strings.Contains(text(res), r.want) || len(e.mutations()) != 0 {
			t.Fatalf("%s: %s (mutations %d)", r.name, text(res), len(e.mutations()))
		}
	}
	// The user declines; replaying the state with a forged accept is refused.
	decline := mcp.ElicitationResult{}
	decline.Action = mcp.ElicitationResponseActionDecline
	if res := call(e.fx.OrgKeyID, state, mcp.InputResponses{"confirm": mcp.NewElicitationInputResponse(decline)}); !res.IsError || !strings.Contains(text(res), "declined") {
		t.Fatalf("decline: %s", text(res))
	}
	if res := call(e.fx.OrgKeyID, state, accept()); !res.IsError || !strings.Contains(text(res), "already used") || len(e.mutations()) != 0 {
		t.Fatalf("replay: %s", text(res))
	}
	// A fresh state with a genuine accept revokes, once.
	fresh := call(e.fx.OrgKeyID, "", nil)
	if res := call(e.fx.OrgKeyID, fresh.RequestState, accept()); res.IsError || len(e.mutations()) != 1 {
		t.Fatalf("genuine accept: %s", text(res))
	}
	// An expired state is refused.
	second := call(e.fx.ProjectKeyID, "", nil)
	mu.Lock()
	now = now.Add(6 * time.Minute)
	mu.Unlock()
	if res := call(e.fx.ProjectKeyID, second.RequestState, accept()); !res.IsError || !strings.Contains(text(res), "expired") || len(e.mutations()) != 1 {
		t.Fatalf("expired: %s", text(res))
	}
}

var _ mcpserver.SessionWithClientInfo = session{}

// TestRotateWithElicitationAndSecretsDir: a whole chat-driven rotation with
// the human accepting, in the legacy era, keeps the token out of every answer
// and log: it is only in the file, and it works while the old key does not.
func TestRotateWithElicitationAndSecretsDir(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, withOpts(func(o *server.Options) { o.NoElicit = false; o.SecretsDir = dir }))
	h := &human{action: mcp.ElicitationResponseActionAccept, confirm: true}
	//lint:ignore SA1019 the legacy era (initialize handshake) is still served to clients that speak it, so it is tested.
	c := e.client(client.WithElicitationHandler(h), client.WithLegacyProtocolOnly())
	preview := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d}`, e.fx.ProjectKeyID))
	if !preview.IsError || len(e.mutations()) != 0 {
		t.Fatalf("preview: %s", text(preview))
	}
	res := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.fx.ProjectKeyID))
	if res.IsError {
		t.Fatalf("rotate: %s", text(res))
	}
	if len(h.messages()) != 1 {
		t.Fatalf("the human was asked %d times", len(h.messages()))
	}
	path, _ := structuredMap(t, res)["new_key"].(map[string]any)["token_file"].(string)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(b))
	if !e.fake.TokenValid(token) || e.fake.TokenValid(e.fx.ProjectKeyToken) {
		t.Fatal("want the file's token live and the old key revoked")
	}
	for what, s := range map[string]string{"preview": dump(preview), "answer": dump(res), "stderr": e.stderr.String(), "question": strings.Join(h.messages(), "\n")} {
		if strings.Contains(s, token) {
			t.Fatalf("the token appears in the %s", what)
		}
	}
}

// The replacement's name the human approves is the one created, although a
// default name planned again at the second call would carry a later time.
func TestRotateCreatesTheApprovedName(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tick := func() time.Time { // every plan sees a later minute
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Minute)
		return now
	}
	e := newEnvOn(t, envSetup{keysNow: tick}, withOpts(func(o *server.Options) { o.NoElicit = false }))
	h := &human{action: mcp.ElicitationResponseActionAccept, confirm: true}
	c := e.client(client.WithElicitationHandler(h))
	res := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.fx.OrgKeyID))
	if res.IsError || len(h.messages()) != 1 {
		t.Fatalf("rotate: %s (asked %d times)", text(res), len(h.messages()))
	}
	name, _ := structuredMap(t, res)["new_key"].(map[string]any)["name"].(string)
	if name == "" || !strings.Contains(h.messages()[0], `"`+name+`"`) {
		t.Fatalf("created %q; the human approved: %s", name, h.messages()[0])
	}
}

// With --secrets-dir, a key whose token file already exists is refused
// before anything is minted, instead of minting a key nobody can hold.
func TestSecretsDirRefusesAnExistingTokenFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ci-next.token"), []byte("taken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, withOpts(func(o *server.Options) { o.SecretsDir = dir }))
	c := e.client()
	for _, call := range []struct{ tool, args string }{
		{"rotate_api_key", fmt.Sprintf(`{"key_id":%d,"new_key_name":"ci-next","confirm":true}`, e.fx.OrgKeyID)},
		{"create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"ci-next","confirm":true}`, e.fx.OrgProject.ID)},
	} {
		res := e.call(c, call.tool, call.args)
		if !res.IsError || !strings.Contains(text(res), "already exists") {
			t.Errorf("%s: %s", call.tool, text(res))
		}
	}
	if n := len(e.mutations()); n != 0 {
		t.Fatalf("%d mutations; want none", n)
	}
	// Positive control: the same create with a name whose file is free
	// does mint, into that file.
	res := e.call(c, "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"ci-free","confirm":true}`, e.fx.OrgProject.ID))
	if _, err := os.Stat(filepath.Join(dir, "ci-free.token")); res.IsError || len(e.mutations()) != 1 || err != nil {
		t.Fatalf("a free name: %d mutations, token file: %v: %s", len(e.mutations()), err, text(res))
	}
}
