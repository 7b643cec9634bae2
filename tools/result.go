package tools

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	// Same codec as the API client: faster, with the same output.
	json "github.com/segmentio/encoding/json"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/secret"
)

// Size bounds of what reaches a client. MCP clients keep every answer in the
// model's context, and some cap a tool result at about 25,000 tokens
// (~100 KB of text); a multi-MB answer stalls or breaks them. A list answer is cut to fit maxAnswerBytes (its text and its
// structuredContent together) and says so. The bound leaves ordinary lists
// whole: 50 keys (the default limit) take about 9 KB, 500 keys (the
// largest limit) about 87 KB.
const (
	// maxAnswerBytes bounds a list answer: the JSON of its structured
	// items plus its text lines.
	maxAnswerBytes = 128 << 10
	// maxShownBytes bounds one string from the API (a name, an id, an
	// address): Neon's own are far shorter (names at most 64 characters,
	// ids about 30), so only a hostile or broken API hits it.
	maxShownBytes = 256
	// maxTextBytes and maxFieldBytes bound any text content and any
	// structured string at the last step, whatever produced them.
	maxTextBytes  = maxAnswerBytes
	maxFieldBytes = 4 << 10
)

// cutMarker ends a string that was cut short.
const cutMarker = "…[cut]"

// errorResult is a tool error (isError) with a text the middleware redacts.
func errorResult(text string) *mcp.CallToolResult {
	return mcp.NewToolResultError(text)
}

// structured returns v as structuredContent plus a short text summary. v is
// turned into a JSON object here so that the middleware can redact it.
func structured(v any, summary string) *mcp.CallToolResult {
	b, err := json.Marshal(v)
	if err != nil {
		return errorResult(fmt.Sprintf("internal error: encoding the result: %v", err))
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return errorResult("internal error: the result is not a JSON object")
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(summary)},
		StructuredContent: obj,
	}
}

// jsonSize is the length of v's JSON encoding (0 if it has none).
func jsonSize(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

// clean makes one untrusted string from the API (a name, an id, an address)
// safe to show: no control, format or invisible character (a line break
// included, so it cannot fake a line of its own), and at most maxShownBytes.
func clean(s string) string { return cut(secret.StripControl(s), maxShownBytes) }

// cleanText is clean for a whole text of ours that holds API strings: line
// breaks stay, every other unsafe character goes.
func cleanText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = secret.StripControl(l)
	}
	return strings.Join(lines, "\n")
}

// cut shortens s to at most n bytes, on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	end := max(n-len(cutMarker), 0)
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + cutMarker
}

// cleanResult is the last step every tool answer takes (the middleware runs
// it before redaction): every text loses its unsafe characters but line
// breaks (an error's text loses those too), every structured string and map key loses them all, the
// elicitation question (line breaks too) and every string of its schema are
// cleaned and redacted, and everything is cut to its bound. Whatever a handler built
// from API data, no ESC, CR or bidi override reaches the client.
func cleanResult(res *mcp.CallToolResult, redact func(string) string) {
	textClean := cleanText
	if res.IsError {
		// Every refusal and failure of ours is one sentence or a few on
		// one line: a line break in it came from the API.
		textClean = secret.StripControl
	}
	for i, c := range res.Content {
		switch tc := c.(type) {
		case mcp.TextContent:
			tc.Text = cut(textClean(tc.Text), maxTextBytes)
			res.Content[i] = tc
		case *mcp.TextContent:
			tc.Text = cut(textClean(tc.Text), maxTextBytes)
		}
	}
	field := func(s string) string { return cut(secret.StripControl(s), maxFieldBytes) }
	if res.StructuredContent != nil {
		// Values are redacted next, with the token slot (middleware.go);
		// keys are not, so they are here.
		res.StructuredContent = cleanJSON(res.StructuredContent, field, func(k string) string { return redact(field(k)) })
	}
	for id, r := range res.InputRequests {
		if r.Elicitation != nil {
			p := *r.Elicitation
			p.Message = redact(cut(secret.StripControl(p.Message), maxTextBytes)) // one line: ours has no break
			both := func(s string) string { return redact(field(s)) }
			p.RequestedSchema = cleanJSON(p.RequestedSchema, both, both)
			r.Elicitation = &p
		}
		res.InputRequests[id] = r
	}
}

// cleanJSON applies f to every string of a JSON-like value and key to every
// map key, and returns the result. Other values (numbers, booleans) are
// left as they are: the middleware refuses types it cannot check.
func cleanJSON(v any, f, key func(string) string) any {
	switch x := v.(type) {
	case string:
		return f(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[key(k)] = cleanJSON(e, f, key)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = cleanJSON(e, f, key)
		}
		return x
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = f(e)
		}
		return out
	default:
		return x
	}
}

// lastUse describes when and where a key was last used.
func lastUse(at *time.Time, from string) string {
	if at == nil || at.IsZero() {
		return "never used"
	}
	s := "last used " + at.UTC().Format(time.RFC3339)
	if from != "" {
		s += " from " + clean(from)
	}
	return s
}
