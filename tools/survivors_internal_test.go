package tools

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/sealed"
	"github.com/neonkeys/neonkeys/secret"
)

// elicitingSession is a client session that declared form elicitation: the
// guard then asks the human instead of proceeding.
type elicitingSession struct{}

func (elicitingSession) Initialize()                                         {}
func (elicitingSession) Initialized() bool                                   { return true }
func (elicitingSession) NotificationChannel() chan<- mcp.JSONRPCNotification { return nil }
func (elicitingSession) SessionID() string                                   { return "s-1" }
func (elicitingSession) GetClientInfo() mcp.Implementation                   { return mcp.Implementation{} }
func (elicitingSession) SetClientInfo(mcp.Implementation)                    {}
func (elicitingSession) SetClientCapabilities(mcp.ClientCapabilities)        {}
func (elicitingSession) GetClientCapabilities() mcp.ClientCapabilities {
	return mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{}}
}

// dialogMessages returns every "message" string in res as JSON carries it:
// the text of the confirmation dialog the client shows its user.
func dialogMessages(t *testing.T, res *mcp.CallToolResult) []string {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "message" {
					out = append(out, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// TestGuardDialogMessageCleanOnItsOwn: the confirmation dialog the guard
// builds is clean and redacted by itself, before the middleware cleans the
// answer again: API strings in the preview (a key name, ids) with terminal
// escapes, bidi overrides, invisible characters or a held secret reach the
// human's dialog as visible text only, never the secret.
func TestGuardDialogMessageCleanOnItsOwn(t *testing.T) {
	held := "napi_" + strings.Repeat("h", 60)
	legacy := strings.Repeat("k7", 32) // a credential without the napi_ prefix
	cases := []struct {
		name    string
		preview string
		secret  string
	}{
		{"controls in the key name", `revoke key 7 "ci` + hostileControls + `bot" (personal)`, ""},
		{"controls in the ids", "create a key named \"ci\" scoped to project p-1" + hostileControls + " of org-1\u202e", ""},
		{"held secret in the key name", `revoke key 7 "` + held + `" (personal)`, held},
		{"prefix-less secret in an id", "create a key named \"ci\" scoped to project " + legacy + "\x1b[2J", legacy},
	}
	sealer, err := sealed.New(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{Redactor: secret.NewRedactor(held, legacy), Elicit: true, Sealer: sealer}
	ctx := server.NewMCPServer("t", "1").WithContext(context.Background(), elicitingSession{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, _ := d.guard(ctx, mcp.CallToolRequest{}, true, action{tool: NameRevoke, args: map[string]int{"key_id": 7}, refused: "Not revoked", preview: c.preview})
			if res == nil || !res.NeedsInput() {
				t.Fatalf("the guard did not ask the human: %+v", res)
			}
			msgs := dialogMessages(t, res)
			if len(msgs) != 1 || !strings.Contains(msgs[0], "Allow it?") {
				t.Fatalf("want one dialog message, got %q", msgs)
			}
			msg := msgs[0]
			if r, bad := unsafeFor(msg, false); bad {
				t.Errorf("the dialog shows %U: %q", r, msg)
			}
			if c.secret != "" && strings.Contains(msg, c.secret) {
				t.Errorf("the dialog shows a held secret: %q", msg)
			}
			if !strings.Contains(msg, "create a key named") && !strings.Contains(msg, "revoke key 7") {
				t.Errorf("the dialog lost the visible preview: %q", msg)
			}
		})
	}
}
