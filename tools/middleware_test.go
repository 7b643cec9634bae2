package tools_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/tools"
)

func (e *env) deps() tools.Deps {
	return tools.Deps{Keys: e.opts.Keys, Redactor: e.red, Logger: nil}
}

// TestMiddlewareRecoversPanics: a panic becomes a safe tool error; neither the
// panic value (here holding the credential) nor a Go error reaches the client.
func TestMiddlewareRecoversPanics(t *testing.T) {
	e := newEnv(t)
	mw := tools.Middleware(e.deps())
	tests := map[string]func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error){
		"panic": func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			panic("boom with Bearer " + e.token)
		},
		"go error": func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return nil, errors.New("failed with " + e.token)
		},
		"nil result": func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) { return nil, nil },
		"leaky text": func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("token " + e.token + " and napi_abcdefghijklmnopqrstuvwxyz"), nil
		},
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			req := mcp.CallToolRequest{}
			req.Params.Name = "x"
			res, err := mw(h)(t.Context(), req)
			if err != nil || res == nil {
				t.Fatalf("middleware returned (%v, %v), want a result and no Go error", res, err)
			}
			if strings.Contains(dump(res), e.token) || strings.Contains(dump(res), "napi_abcdefghijklmnop") {
				t.Fatalf("secret in result: %s", dump(res))
			}
			if name != "leaky text" && !res.IsError {
				t.Fatalf("want isError: %s", dump(res))
			}
		})
	}
}

// TestCancellationEndsTheCall: a hung API call returns promptly as a tool
// error when the request is cancelled (notifications/cancelled cancels ctx).
func TestCancellationEndsTheCall(t *testing.T) {
	e := newEnv(t)
	e.fake.Inject(neontest.Fault{Hang: true, Count: 10})
	h := tools.Middleware(e.deps())(tools.ListAPIKeys(e.deps()).Handler)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, _ := h(ctx, mcp.CallToolRequest{})
		done <- res
	}()
	// Wait until the request hangs at the API; a deadline makes a request
	// that never comes a failure rather than a hung test.
	for deadline := time.Now().Add(10 * time.Second); len(e.fake.Requests()) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the call never reached the API")
		}
	}
	cancel()
	select {
	case res := <-done:
		if !res.IsError || !strings.Contains(text(res), "cancelled") {
			t.Fatalf("result = %s", text(res))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not end after cancellation")
	}
}

func TestRotatePrompt(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	req := mcp.GetPromptRequest{}
	req.Params.Name = tools.PromptRotate
	req.Params.Arguments = map[string]string{"key": "ci-bot"}
	res, err := c.GetPrompt(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	got := dump(res)
	for _, want := range []string{"ci-bot", "list_api_keys", "confirm", "rotate_api_key", "CI secrets", ".env", "Terraform", "last_used_at"} {
		if !strings.Contains(got, want) {
			t.Errorf("prompt lacks %q", want)
		}
	}
	// A key argument holding controls, the credential and 1 MB of text
	// gives a clean prompt of bounded size that still names the key.
	req.Params.Arguments = map[string]string{"key": "ci-bot" + tools.HostileControls + e.token + strings.Repeat("é", 1<<19)}
	res, err = c.GetPrompt(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	prompt := res.Messages[0].Content.(mcp.TextContent).Text
	if r, bad := tools.UnsafeFor(prompt, true); bad || strings.Contains(prompt, e.token) || len(prompt) > 4096 || !strings.Contains(prompt, "ci-bot") {
		t.Errorf("prompt holds %U (%v), the credential (%v), or is %d bytes: %.200q", r, bad, strings.Contains(prompt, e.token), len(prompt), prompt)
	}
}

// TestMiddlewareCleansEveryString: whatever a handler builds from API data,
// the answer that leaves the middleware holds no control or invisible
// character (text keeps its line breaks, nothing else) in its text, in any
// structured string or map key, or in the elicitation question and schema,
// and no credential anywhere.
func TestMiddlewareCleansEveryString(t *testing.T) {
	e := newEnv(t)
	p := "PLANTED" + tools.HostileControls + e.token
	h := func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res := mcpserver.NewInputRequestBuilder("state").Elicit("confirm", mcp.ElicitationParams{
			Message: "An assistant asks to revoke key 1 " + p + ". Allow it?",
			RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{
				"confirm": map[string]any{"type": "boolean", "title": "Yes " + p, "description": "Tick " + p},
			}},
		}).ToolResult()
		res.Content = []mcp.Content{mcp.NewTextContent("3 keys\n- key 1 \"" + p + "\"")}
		res.StructuredContent = map[string]any{
			"org_id" + p: "org-1" + p,
			"keys":       []any{map[string]any{"name": "ci" + p, "created_by": map[string]any{"id": "u" + p}}},
		}
		return res, nil
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = "x"
	res, err := tools.Middleware(e.deps())(h)(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	got := collectStrings(res)
	if len(got.structured) < 6 || len(got.elicitation) < 3 {
		t.Fatalf("found %d structured and %d elicitation strings: %s", len(got.structured), len(got.elicitation), dump(res))
	}
	got.assertSafe(t, e.token)
	if !strings.Contains(got.text, "\n- key 1") || !strings.Contains(got.text, "PLANTED") {
		t.Errorf("the text lost its own line or its visible part: %q", got.text)
	}
}
