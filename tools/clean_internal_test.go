package tools

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/secret"
)

// hostileControls is what a hostile API hides in a string: SGR colour, a
// carriage return and a line feed (to rewrite or fake a line), OSC title and
// clipboard writes, clear screen, a right-to-left override, a zero-width
// space, a combining grapheme joiner and a line separator.
const hostileControls = "\x1b[31m\r\n\x1b]0;owned\x07\x1b]52;c;b3duZWQ=\x07\x1b[2J\u202e\u200b\u034f\u2028"

// unsafeFor returns the first rune of s a client must never receive, written
// out from the contract rather than taken from the product: controls (Cc,
// but a line feed where lineBreaks allows it), format characters (Cf:
// bidi overrides, zero-width), other default-ignorable characters and
// variation selectors, and blanks other than the plain space.
func unsafeFor(s string, lineBreaks bool) (rune, bool) {
	for _, r := range s {
		if r == '\n' && lineBreaks {
			continue
		}
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) ||
			(unicode.Is(unicode.White_Space, r) && r != ' ') || r == '\u2800' {
			return r, true
		}
	}
	return 0, false
}

// TestKeyTextsCleanEveryAPIString: whatever the API client hands over, a
// key as the tools show it (its structured view and its line of text) holds
// no control or invisible character, not even a line break, and no API
// string longer than maxShownBytes. The view stays readable: the visible
// part of each field is kept.
func TestKeyTextsCleanEveryAPIString(t *testing.T) {
	p := "PLANTED" + hostileControls
	used := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	k := keys.Key{OrgID: "org-1" + p, APIKey: neonapi.APIKey{
		ID: 7, Name: "ci" + p, ProjectID: "p-1" + p, LastUsedAt: &used, LastUsedFromAddr: "203.0.113.7" + p,
		CreatedBy: neonapi.Creator{ID: "u-1" + p, Name: "Ada" + p + strings.Repeat("x", 1<<20), Image: "i" + p},
	}}
	v := newKeyView(k)
	fields := map[string]string{"name": v.Name, "org_id": v.OrgID, "project_id": v.ProjectID, "created_by.id": v.CreatedBy.ID, "created_by.name": v.CreatedBy.Name, "created_by.image": v.CreatedBy.Image,
		"last_used_from_addr": v.LastUsedFromAddr, "describeKey": describeKey(k)}
	for name, s := range fields {
		if r, bad := unsafeFor(s, false); bad {
			t.Errorf("%s holds %U: %q", name, r, s)
		}
		if !strings.Contains(s, "PLANTED") {
			t.Errorf("%s lost its visible text: %q", name, s)
		}
	}
	if len(v.CreatedBy.Name) > maxShownBytes || !strings.HasSuffix(v.CreatedBy.Name, cutMarker) {
		t.Errorf("a 1 MB created_by.name is %d bytes, want at most %d and marked as cut", len(v.CreatedBy.Name), maxShownBytes)
	}
}

// TestCleanResultCleansEveryString: the step every answer takes cleans every
// string a client is shown: text (line breaks kept, nothing else),
// structured strings at any depth and map keys, and the elicitation
// question and its schema, which it also redacts.
func TestCleanResultCleansEveryString(t *testing.T) {
	cred := "napi_" + strings.Repeat("c", 60)
	red := secret.NewRedactor(cred)
	p := "PLANTED" + hostileControls
	res := &mcp.CallToolResult{
		Content: []mcp.Content{mcp.NewTextContent("line one " + p + "\nline two"), &mcp.TextContent{Type: "text", Text: "ptr " + p}},
		StructuredContent: map[string]any{
			"name" + p: "n" + p,
			"keys":     []any{map[string]any{"org_id": "org" + p, "n": 1.0, "ok": true}},
			"deep":     map[string]any{"list": []any{[]any{"x" + p}}},
		},
	}
	elicit := server.NewInputRequestBuilder("state").Elicit("confirm", mcp.ElicitationParams{
		Message: "revoke " + p + cred,
		RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{
			"confirm": map[string]any{"type": "boolean", "title": "t" + p, "description": "d" + p + cred},
		}, "required": []string{"confirm" + p}},
	}).ToolResult()
	res.InputRequests = elicit.InputRequests
	cleanResult(res, red.Redact)

	var strs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			strs = append(strs, x)
		case map[string]any:
			for k, e := range x {
				strs = append(strs, k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(res.StructuredContent)
	q := res.InputRequests["confirm"].Elicitation
	walk(q.RequestedSchema)
	strs = append(strs, q.Message)
	for _, s := range strs {
		if r, bad := unsafeFor(s, false); bad {
			t.Errorf("structured or elicitation string holds %U: %q", r, s)
		}
		if strings.Contains(s, cred) {
			t.Errorf("elicitation string holds the credential: %q", s)
		}
	}
	if len(strs) < 12 {
		t.Fatalf("walked %d strings, want every one of them", len(strs))
	}
	texts := []string{res.Content[0].(mcp.TextContent).Text, res.Content[1].(*mcp.TextContent).Text}
	for _, s := range texts {
		if r, bad := unsafeFor(s, true); bad {
			t.Errorf("text holds %U: %q", r, s)
		}
	}
	if !strings.Contains(texts[0], "PLANTED") || !strings.Contains(texts[0], "\nline two") {
		t.Errorf("text lost its own line break or its visible part: %q", texts[0])
	}
	if req, _ := q.RequestedSchema.(map[string]any)["required"].([]any); len(req) != 1 {
		t.Errorf("the schema's required list is %v", q.RequestedSchema)
	}
}

// TestErrorTextIsOneLine: an error answer is one line of ours, so a line
// break in it came from the API and could fake a line: it goes.
func TestErrorTextIsOneLine(t *testing.T) {
	res := errorResult("Not revoked: Neon refused the request (409: taken\n- key 1 \"prod\" revoked" + hostileControls + ").")
	cleanResult(res, secret.NewRedactor().Redact)
	got := res.Content[0].(mcp.TextContent).Text
	if r, bad := unsafeFor(got, false); bad || !strings.Contains(got, "Not revoked: Neon refused") {
		t.Errorf("error text holds %U: %q", r, got)
	}
}

// TestCutKeepsUTF8: a cut string stays valid UTF-8, within its bound, marked.
func TestCutKeepsUTF8(t *testing.T) {
	for _, s := range []string{strings.Repeat("é", 300), strings.Repeat("a", 300), strings.Repeat("🔑", 100)} {
		got := cut(s, maxShownBytes)
		if len(got) > maxShownBytes || !strings.HasSuffix(got, cutMarker) || !utf8Valid(got) {
			t.Errorf("cut(%d bytes) = %d bytes %q", len(s), len(got), got)
		}
	}
	if got := cut("short", maxShownBytes); got != "short" {
		t.Errorf("cut changed a short string: %q", got)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// For the external tests (package tools_test): the same planted text and
// the same independent oracle.
const HostileControls = hostileControls

var UnsafeFor = unsafeFor
