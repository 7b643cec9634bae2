package tools_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/tools"
)

// deliveredAtOnce is a transport that wrote every answer in full.
type deliveredAtOnce struct{}

func (deliveredAtOnce) Expect(_ string, settle func(error)) { settle(nil) }

// TestRotateAnswerSaysWhereItsOutcomeFollows: a rotation whose old key is
// revoked after the answer points where the outcome can be seen: over
// stdio a log message follows; over remote HTTP (stateless) none can, so
// the answer sends the client to list_api_keys instead.
func TestRotateAnswerSaysWhereItsOutcomeFollows(t *testing.T) {
	tests := []struct {
		name    string
		remote  bool
		want    string
		notWant string
	}{
		{"stdio", false, "the outcome follows in a log message (notifications/message)", ""},
		{"remote", true, "list_api_keys shows the outcome: the old key is gone from it once revoked", "notifications/message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			d := tools.Deps{Keys: e.opts.Keys, Redactor: e.red, Courier: deliveredAtOnce{}}
			ctx := context.Background()
			if tt.remote {
				ctx = tools.WithRequest(ctx, tools.Request{Keys: e.opts.Keys, Courier: deliveredAtOnce{}})
				d.Courier = nil // remote mode's courier comes with each request
			}
			req := mcp.CallToolRequest{}
			req.Params.Name = tools.NameRotate
			req.Params.Arguments = map[string]any{"key_id": e.fx.OrgKeyID, "confirm": true}
			res, err := tools.RotateAPIKey(d).Handler(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			e.opts.Keys.Settle() // the old key's revoke, after the answer
			got := text(res)
			if res.IsError || !strings.Contains(got, "will be revoked as soon as this answer is delivered") || !strings.Contains(got, tt.want) ||
				(tt.notWant != "" && strings.Contains(got, tt.notWant)) {
				t.Fatalf("answer = %q, want it to say %q", got, tt.want)
			}
			if k, _ := e.fake.Key(e.fx.OrgKeyID); !k.Revoked {
				t.Fatalf("the old key %d is still live once the answer was delivered", e.fx.OrgKeyID)
			}
		})
	}
}
