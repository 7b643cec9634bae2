package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/server"
	"github.com/neonkeys/neonkeys/tools"
)

// shown is every string of an answer a client is shown, by where it is.
type shown struct {
	text        string
	structured  []string // values and map keys, at any depth
	elicitation []string // the question and every string of its schema
}

func collectStrings(res *mcp.CallToolResult) shown {
	var s shown
	s.text = text(res)
	s.structured = jsonStrings(res.StructuredContent, nil)
	for _, r := range res.InputRequests {
		if r.Elicitation != nil {
			s.elicitation = append(s.elicitation, r.Elicitation.Message)
			s.elicitation = jsonStrings(r.Elicitation.RequestedSchema, s.elicitation)
		}
	}
	return s
}

// jsonStrings appends every string and map key of v (through its JSON form).
func jsonStrings(v any, out []string) []string {
	b, _ := json.Marshal(v)
	var x any
	if json.Unmarshal(b, &x) != nil {
		return out
	}
	var walk func(any)
	walk = func(v any) {
		switch y := v.(type) {
		case string:
			out = append(out, y)
		case map[string]any:
			for k, e := range y {
				out = append(out, k)
				walk(e)
			}
		case []any:
			for _, e := range y {
				walk(e)
			}
		}
	}
	walk(x)
	return out
}

// assertSafe: no control or invisible character (a line break only in the
// text) and no credential in anything shown.
func (s shown) assertSafe(t *testing.T, credential string) {
	t.Helper()
	check := func(where, v string, lineBreaks bool) {
		if r, bad := tools.UnsafeFor(v, lineBreaks); bad {
			t.Errorf("%s holds %U: %q", where, r, v)
		}
		if strings.Contains(v, credential) {
			t.Errorf("%s holds the credential: %q", where, v)
		}
	}
	check("text", s.text, true)
	for _, v := range s.structured {
		check("structuredContent", v, false)
	}
	for _, v := range s.elicitation {
		check("elicitation", v, false)
	}
}

func (s shown) all() string {
	return s.text + "\x00" + strings.Join(s.structured, "\x00") + "\x00" + strings.Join(s.elicitation, "\x00")
}

// hostileAPI wraps the fake Neon API: every string of every JSON answer
// (names, ids, creators, addresses, error messages, request ids) gets
// payload appended, except what a call needs to go on: timestamps, the
// auth method, a page cursor, a minted token and a created key's
// project_id. The planted
// ids that come back in paths, queries and bodies are mapped back to the
// fake's own, so every flow still reaches the fake's state. Fields named in
// keep are left alone too.
func hostileAPI(planted *atomic.Pointer[string], keep ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			payload := *planted.Load()
			r.URL.Path, r.URL.RawPath = strings.ReplaceAll(r.URL.Path, payload, ""), ""
			q := r.URL.Query()
			for _, vs := range q {
				for i := range vs {
					vs[i] = strings.ReplaceAll(vs[i], payload, "")
				}
			}
			r.URL.RawQuery = q.Encode()
			if r.Body != nil {
				b, _ := io.ReadAll(r.Body)
				var v any
				if json.Unmarshal(b, &v) == nil {
					b, _ = json.Marshal(unplant(v, payload))
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
				r.Header.Del("Content-Length")
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			var v any
			if dec.Decode(&v) == nil {
				if m, ok := v.(map[string]any); ok && rec.Code >= 400 {
					m["request_id"] = "req-1"
				}
				body, _ = json.Marshal(plant(v, "", payload, r.Method == http.MethodPost, keep))
			}
			for k, vs := range rec.Header() {
				if k != "Content-Length" {
					w.Header()[k] = vs
				}
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body)
		})
	}
}

func plant(v any, field, payload string, created bool, keep []string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = plant(e, k, payload, created, keep)
		}
	case []any:
		for i, e := range x {
			x[i] = plant(e, field, payload, created, keep)
		}
	case string:
		if _, err := time.Parse(time.RFC3339, x); err == nil || field == "auth_method" || field == "key" || field == "cursor" ||
			(created && field == "project_id") || slices.Contains(keep, field) {
			return x
		}
		return x + payload
	}
	return v
}

func unplant(v any, payload string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = unplant(e, payload)
		}
	case []any:
		for i, e := range x {
			x[i] = unplant(e, payload)
		}
	case string:
		return strings.ReplaceAll(x, payload, "")
	}
	return v
}

// recorder is an elicitation client that accepts and keeps every request.
type recorder struct {
	mu    sync.Mutex
	asked []mcp.ElicitationParams
}

func (h *recorder) requests() []mcp.ElicitationParams {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]mcp.ElicitationParams(nil), h.asked...)
}

func (h *recorder) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.asked = append(h.asked, req.Params)
	res := &mcp.ElicitationResult{}
	res.Action, res.Content = mcp.ElicitationResponseActionAccept, map[string]any{"confirm": true}
	return res, nil
}

// TestHostileAPIStringsAreCleaned: an API that hides terminal controls, line
// breaks, bidi overrides, invisible characters and the credential in every
// string it sends (ids, names, creators, addresses, error messages, request
// ids) gets none of them to the client, through any tool, its preview, its
// elicitation question or its error: the human approves what is shown. The
// visible part of each field still shows, and structuredContent stays valid.
func TestHostileAPIStringsAreCleaned(t *testing.T) {
	var planted atomic.Pointer[string]
	empty := ""
	planted.Store(&empty)
	e := newEnvOn(t, envSetup{wrap: hostileAPI(&planted)}, withOpts(func(o *server.Options) { o.NoElicit = false }))
	payload := "PLANTED" + tools.HostileControls + e.token
	planted.Store(&payload)
	h := &recorder{}
	c := e.client(client.WithElicitationHandler(h))
	org := e.fx.Org.ID
	calls := []struct {
		tool, args string
		fault      *neontest.Fault
		// fields of structuredContent (list items: their fields) that must
		// show the planted text, cleaned
		fields []string
	}{
		{"whoami", `{}`, nil, []string{"account_id", "organizations.id", "organizations.name"}},
		{"list_api_keys", `{}`, nil, []string{"keys.name", "keys.created_by.name"}},
		{"list_api_keys", fmt.Sprintf(`{"org_id":%q}`, org), nil, []string{"keys.name", "keys.created_by.name"}},
		{"list_projects", `{}`, nil, []string{"projects.id", "projects.name"}},
		{"list_projects", fmt.Sprintf(`{"org_id":%q}`, org), nil, []string{"projects.id", "projects.name", "projects.org_id"}},
		{"revoke_api_key", fmt.Sprintf(`{"key_id":%d,"org_id":%q}`, e.fx.ProjectKeyID, org), nil, nil},
		{"revoke_api_key", fmt.Sprintf(`{"key_id":%d,"org_id":%q,"confirm":true}`, e.fx.OrgKeyID, org), nil, nil},
		{"rotate_api_key", fmt.Sprintf(`{"key_id":%d,"org_id":%q,"confirm":true}`, e.fx.ProjectKeyID, org), nil, nil},
		{"create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"ci-new","confirm":true}`, e.fx.OrgProject.ID), nil, nil},
		{"list_api_keys", `{}`, &neontest.Fault{Status: http.StatusNotFound, Message: "no such thing"}, nil},
		{"revoke_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.fx.AdminKeyID), &neontest.Fault{Method: "DELETE", Status: http.StatusInternalServerError}, nil},
	}
	for _, call := range calls {
		if call.fault != nil {
			e.fake.Inject(*call.fault)
		}
		res := e.call(c, call.tool, call.args)
		got := collectStrings(res)
		got.assertSafe(t, e.token)
		if !strings.Contains(got.all(), "PLANTED") {
			t.Errorf("%s %s: the answer shows nothing of what the API sent: %s", call.tool, call.args, dump(res))
		}
		if !res.IsError && res.StructuredContent != nil {
			validateOutput(t, e, call.tool, res)
		}
		if len(call.fields) > 0 && res.IsError {
			t.Errorf("%s %s: %s", call.tool, call.args, got.text)
			continue
		}
		for _, f := range call.fields {
			for _, v := range fieldValues(structuredMap(t, res), f) {
				if !strings.Contains(v, "PLANTED") {
					t.Errorf("%s: %s = %q, want the API's text, cleaned", call.tool, f, v)
				}
			}
		}
		if list, n := listedCount(res); list && strings.Count(got.text, "\n") != n {
			t.Errorf("%s: %d lines of text for %d items: an API string broke a line\n%s", call.tool, strings.Count(got.text, "\n")+1, n, got.text)
		}
	}
	asked := h.requests()
	if len(asked) == 0 {
		t.Fatal("no confirmation was asked: the mutating calls never reached the guard")
	}
	for _, q := range asked {
		s := shown{elicitation: jsonStrings(q.RequestedSchema, []string{q.Message})}
		s.assertSafe(t, e.token)
		if !strings.Contains(q.Message, "PLANTED") {
			t.Errorf("the question does not show the key the API described: %q", q.Message)
		}
	}
}

// fieldValues returns the strings at path in a structured result
// ("keys.name": the name of every item of keys; "old_key.name": one).
func fieldValues(m map[string]any, path string) []string {
	head, rest, nested := strings.Cut(path, ".")
	if !nested {
		s, _ := m[head].(string)
		return []string{s}
	}
	if obj, ok := m[head].(map[string]any); ok {
		return fieldValues(obj, rest)
	}
	var out []string
	items, _ := m[head].([]any)
	for _, it := range items {
		if im, ok := it.(map[string]any); ok {
			out = append(out, fieldValues(im, rest)...)
		}
	}
	return out
}

// listedCount reports whether res is a list answer and how many items it has.
func listedCount(res *mcp.CallToolResult) (bool, int) {
	m, _ := res.StructuredContent.(map[string]any)
	for _, k := range []string{"keys", "projects"} {
		if items, ok := m[k].([]any); ok {
			return true, len(items)
		}
	}
	return false, 0
}

// TestHostileAPINamesInNewKeys: with ids left intact (an id holding control
// characters is refused before any mutation), a create and a rotation go
// through while every other string the API sends is hostile: the answers
// that carry the new token are as clean as any other, and valid.
func TestHostileAPINamesInNewKeys(t *testing.T) {
	var planted atomic.Pointer[string]
	empty := ""
	planted.Store(&empty)
	e := newEnvOn(t, envSetup{wrap: hostileAPI(&planted, "id", "org_id", "project_id")}, withOpts(func(o *server.Options) { o.NoElicit = false }))
	payload := "PLANTED" + tools.HostileControls + e.token
	planted.Store(&payload)
	h := &recorder{}
	c := e.client(client.WithElicitationHandler(h))
	for _, call := range []struct{ tool, args, field string }{
		{"create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"ci-new","confirm":true}`, e.fx.OrgProject.ID), "created_by.id"},
		{"rotate_api_key", fmt.Sprintf(`{"key_id":%d,"org_id":%q,"confirm":true}`, e.fx.ProjectKeyID, e.fx.Org.ID), "old_key.name"},
	} {
		res := e.call(c, call.tool, call.args)
		if res.IsError {
			t.Fatalf("%s: %s", call.tool, text(res))
		}
		got := collectStrings(res)
		got.assertSafe(t, e.token)
		validateOutput(t, e, call.tool, res)
		if v := fieldValues(structuredMap(t, res), call.field); !strings.Contains(v[0], "PLANTED") {
			t.Errorf("%s: %s = %q, want the API's text, cleaned", call.tool, call.field, v[0])
		}
	}
	if n := len(e.mutations()); n < 3 {
		t.Fatalf("%d mutations, want a create and a rotation (create, revoke)", n)
	}
	for _, q := range h.requests() {
		(shown{elicitation: jsonStrings(q.RequestedSchema, []string{q.Message})}).assertSafe(t, e.token)
	}
}
