package tools_test

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/server"
)

// sharedSealKey makes a server ask through elicitation with a seal key the
// test shares with a second instance (secondInstance).
func sharedSealKey(t *testing.T) envOption {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return withOpts(func(o *server.Options) { o.NoElicit, o.SealKey = false, key })
}

// secondInstance is another server built from e's options: the same Neon
// credential and seal key, its own process state, as a second instance of a
// remote deployment behind a load balancer.
func secondInstance(t *testing.T, e *env) *mcpserver.MCPServer {
	t.Helper()
	s, err := server.New(e.opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// callOn calls tool on instance s as a client that elicits: with the
// requestState and the answers it carries back (none on the first round).
func callOn(t *testing.T, s *mcpserver.MCPServer, tool, args, state string, answers mcp.InputResponses) *mcp.CallToolResult {
	t.Helper()
	var a map[string]any
	if err := json.Unmarshal([]byte(args), &a); err != nil {
		t.Fatalf("bad test arguments %s: %v", args, err)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = a
	req.Params.RequestState = state
	req.Params.InputResponses = answers
	res, err := s.GetTool(tool).Handler(s.WithContext(t.Context(), session{}), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// ask is the first round of a confirmed call: the server asks the human
// and hands out the sealed state.
func ask(t *testing.T, s *mcpserver.MCPServer, tool, args string) string {
	t.Helper()
	res := callOn(t, s, tool, args, "", nil)
	if !res.NeedsInput() || res.RequestState == "" {
		t.Fatalf("want the human asked, got %s", dump(res))
	}
	return res.RequestState
}

// TestConfirmationBoundToTheKeysOfItsName: a create's yes mints one key,
// on whichever instance it is answered: replayed on a second instance
// sharing the seal key, refused; refused too when a key of that name came
// or went between the question and the answer, or when the keys cannot be
// listed to tell. No create is even sent: that Neon refuses a name in use
// is not documented (only the Neon CLI says so; the fake does refuse it).
func TestConfirmationBoundToTheKeysOfItsName(t *testing.T) {
	const name = "ci-deploy"
	tests := []struct {
		name    string
		before  func(e *env) // runs before the question
		between func(e *env) // runs after the question, before the answer on b
		replay  bool         // answered on a first, then replayed on b
		want    string       // "" for a key created on b
		creates int          // create requests sent to Neon
		named   int          // keys of that name Neon holds at the end, revoked ones included
	}{
		{name: "answered on another instance", creates: 1, named: 1},
		{name: "replayed on another instance", replay: true, creates: 1, named: 1,
			want: `Not created: the confirmation was already used, or keys named "ci-deploy" were created or revoked since the user was asked`},
		{name: "a key of that name created meanwhile",
			between: func(e *env) { e.fake.AddOrgKey(e.fx.Org.ID, name, "") }, named: 1,
			want: `keys named "ci-deploy" were created or revoked since the user was asked`},
		{name: "a key of that name revoked meanwhile",
			before:  func(e *env) { e.fake.AddOrgKey(e.fx.Org.ID, name, e.fx.OrgProject.ID) },
			between: func(e *env) { e.fake.RevokeKey(testkit.LiveNamed(e.fake, name)[0].ID) }, named: 1,
			want: `keys named "ci-deploy" were created or revoked since the user was asked`},
		{name: "the keys cannot be listed",
			between: func(e *env) {
				e.fake.Inject(neontest.Fault{Method: http.MethodGet, Path: "/organizations/" + e.fx.Org.ID + "/api_keys", Status: http.StatusInternalServerError})
			},
			want: "Not created: could not check that nothing changed since the user was asked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sharedSealKey(t))
			a, b := e.mcp, secondInstance(t, e)
			args := fmt.Sprintf(`{"project_id":%q,"key_name":%q,"confirm":true}`, e.fx.OrgProject.ID, name)
			if tt.before != nil {
				tt.before(e)
			}
			state := ask(t, a, "create_project_scoped_key", args)
			if tt.between != nil {
				tt.between(e)
			}
			if tt.replay {
				if res := callOn(t, a, "create_project_scoped_key", args, state, accept()); res.IsError {
					t.Fatalf("the genuine answer: %s", text(res))
				}
			}
			res := callOn(t, b, "create_project_scoped_key", args, state, accept())
			switch {
			case tt.want == "" && res.IsError:
				t.Fatalf("answered on b: %s, want a key created", text(res))
			case tt.want != "" && (!res.IsError || !strings.Contains(text(res), tt.want) || !strings.Contains(text(res), "ask the user afresh")):
				t.Fatalf("answer = %q, want a refusal saying %q", text(res), tt.want)
			}
			if n := len(e.mutations()); n != tt.creates {
				t.Errorf("%d create requests sent, want %d", n, tt.creates)
			}
			if n := len(named(e.fake, name)); n != tt.named {
				t.Errorf("Neon holds %d keys named %q, want %d", n, name, tt.named)
			}
			if n := e.fake.PendingFaults(); n != 0 {
				t.Errorf("%d faults left: the keys were not listed at the answer", n)
			}
		})
	}
}

// named is every key named name, revoked ones included.
func named(fake *neontest.Server, name string) []neontest.KeyInfo {
	var out []neontest.KeyInfo
	for _, k := range fake.Keys() {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

// TestReplayedRotationKeepOldMintsOnce: a rotation that keeps the old key
// (keep_old, to a destination) leaves the old key live, so a replay finds
// it again; its used yes replayed on another instance sends no second
// create. Also minutes later: a rotation's default name holds the time, so
// a replay then would plan a name nobody bears yet; the world is read for
// the name the human approved (sealed in the state), which the first
// answer minted.
func TestReplayedRotationKeepOldMintsOnce(t *testing.T) {
	tests := []struct {
		name string
		env  func(t *testing.T) *destEnv
	}{
		{"at once", func(t *testing.T) *destEnv { return newDestEnv(t, threeDestinations, sharedSealKey(t)) }},
		{"minutes later", func(t *testing.T) *destEnv {
			var mu sync.Mutex
			now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			tick := func() time.Time { // every plan sees a later minute
				mu.Lock()
				defer mu.Unlock()
				now = now.Add(time.Minute)
				return now
			}
			onTicking := func(t *testing.T, o ...envOption) *env { return newEnvOn(t, envSetup{keysNow: tick}, o...) }
			return newDestEnvOn(t, onTicking, threeDestinations, sharedSealKey(t))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.env(t)
			a, b := e.mcp, secondInstance(t, e.env)
			args := fmt.Sprintf(`{"key_id":%d,"deliver_to":["shop-env"],"keep_old":true,"confirm":true}`, e.keyID)
			state := ask(t, a, "rotate_api_key", args)
			first := callOn(t, a, "rotate_api_key", args, state, accept())
			if first.IsError {
				t.Fatalf("the genuine answer: %s", text(first))
			}
			newName, _ := structuredMap(t, first)["new_key"].(map[string]any)["name"].(string)
			replay := callOn(t, b, "rotate_api_key", args, state, accept())
			if !replay.IsError || !strings.Contains(text(replay), "Not rotated: the confirmation was already used") {
				t.Fatalf("replay on b: %s", text(replay))
			}
			if n := len(e.mutations()); n != 1 {
				t.Errorf("%d create requests sent, want 1", n)
			}
			if n := len(named(e.fake, newName)); newName == "" || n != 1 {
				t.Errorf("Neon holds %d keys named %q, want 1", n, newName)
			}
			if k, _ := e.fake.Key(e.keyID); k.Revoked {
				t.Error("keep_old: the old key was revoked")
			}
		})
	}
}
