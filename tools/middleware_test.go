package tools_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

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
	for len(e.fake.Requests()) == 0 { // wait until the request hangs at the API
		time.Sleep(5 * time.Millisecond)
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
}
