package tools

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Middleware wraps every tool handler: it recovers panics into a safe tool
// error, turns a Go error into a tool error, redacts every text and string of
// the result, lets exactly one freshly minted token through (see
// deliverToken), and logs one redacted line per call to stderr: never the
// arguments or the result.
func Middleware(d Deps) server.ToolHandlerMiddleware {
	log := d.logger()
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
			d := d.forRequest(ctx)
			start := time.Now()
			slot := &tokenSlot{}
			ctx = context.WithValue(ctx, tokenSlotKey{}, slot)
			defer func() {
				if p := recover(); p != nil {
					log.Error("tool panicked", "tool", req.Params.Name, "panic", d.Redactor.Redact(fmt.Sprint(p)))
					res, err = errorResult("Internal error in "+req.Params.Name+": the call failed unexpectedly. "+
						"If it was meant to change a key, check the result with list_api_keys before trying again."), nil
				}
				if res != nil && !reportCall(ctx, CallOutcome{Tool: req.Params.Name, IsError: res.IsError, InputRequired: res.NeedsInput()}) {
					log.Info("tool call", "tool", req.Params.Name, "ms", time.Since(start).Milliseconds(),
						"is_error", res.IsError, "input_required", res.NeedsInput())
				}
			}()
			res, err = next(ctx, req)
			if err != nil {
				log.Error("tool returned an error", "tool", req.Params.Name, "error", d.Redactor.Redact(err.Error()))
				res = errorResult("Internal error in " + req.Params.Name + ": " + err.Error())
			}
			if res == nil {
				res = errorResult("Internal error in " + req.Params.Name + ": no result.")
			}
			cleanResult(res, d.Redactor.Redact) // result.go: no control character, bounded
			sanitize(d, res, slot)
			if res.IsError {
				log.Warn("tool refused or failed", "tool", req.Params.Name, "reason", summaryOf(res))
			}
			return res, nil
		}
	}
}

// sanitize redacts every text content and structured string of res, then
// puts the slot's token (if any) in place of its placeholder.
func sanitize(d Deps, res *mcp.CallToolResult, slot *tokenSlot) {
	token, placeholder := slot.get()
	put := func(s string) string {
		s = d.Redactor.Redact(s)
		if token != "" {
			s = strings.ReplaceAll(s, placeholder, token)
		}
		return s
	}
	for i, c := range res.Content {
		switch tc := c.(type) {
		case mcp.TextContent:
			tc.Text = put(tc.Text)
			res.Content[i] = tc
		case *mcp.TextContent:
			tc.Text = put(tc.Text)
		default:
			// Tools produce text only; anything else is dropped rather than
			// sent unchecked.
			res.Content[i] = mcp.NewTextContent("[content removed]")
		}
	}
	res.RawStructuredContent = nil
	if res.StructuredContent != nil {
		res.StructuredContent = walkStrings(res.StructuredContent, put)
	}
	if token != "" {
		// From now on the token is masked everywhere: logs, errors, any
		// later answer.
		d.Redactor.Add(token)
	}
}

// walkStrings applies f to every string in a JSON-like value.
func walkStrings(v any, f func(string) string) any {
	switch x := v.(type) {
	case string:
		return f(x)
	case map[string]any:
		for k, e := range x {
			x[k] = walkStrings(e, f)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = walkStrings(e, f)
		}
		return x
	case nil, bool, float64, int, int64:
		return x
	default:
		// Not produced by structured(): refuse to send what cannot be checked.
		return "[content removed]"
	}
}

func summaryOf(res *mcp.CallToolResult) string {
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			return tc.Text
		}
	}
	return ""
}

// tokenSlot carries the one token a call may return past the redactor.
type tokenSlot struct {
	mu          sync.Mutex
	token       string
	placeholder string
}

type tokenSlotKey struct{}

func (s *tokenSlot) get() (token, placeholder string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token, s.placeholder
}

// deliverToken registers token as this call's one deliverable secret and
// returns a placeholder to put where the token goes in the result; the
// middleware swaps it in after redaction. Without the middleware (no slot)
// the token is not delivered: the placeholder stays, which is safe.
func deliverToken(ctx context.Context, token string) string {
	slot, _ := ctx.Value(tokenSlotKey{}).(*tokenSlot)
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	placeholder := "neonkeys-token-slot-" + hex.EncodeToString(b)
	if slot == nil {
		return "[token withheld]"
	}
	slot.mu.Lock()
	defer slot.mu.Unlock()
	slot.token, slot.placeholder = token, placeholder
	return placeholder
}

// logFailure logs a failed Neon call's detail, redacted, for the handlers.
func logFailure(d Deps, tool string, err error) {
	d.logger().Warn("neon call failed", slog.String("tool", tool), slog.String("error", d.Redactor.Redact(err.Error())))
}
