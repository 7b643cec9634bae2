package remote_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/remote"
)

// TestToolsAndCredential: over HTTP, in both eras, a client lists the same
// tools as on stdio and each call acts with the credential of its own
// request: two clients with different keys see their own keys.
func TestToolsAndCredential(t *testing.T) {
	for era, opts := range eras {
		t.Run(era, func(t *testing.T) {
			e := newEnv(t)
			_, url := e.start(e.config())
			admin := e.connect(url, bearer(e.fx.AdminToken), opts...)
			member := e.connect(url, bearer(e.fx.MemberToken), opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			list, err := admin.ListTools(ctx, mcp.ListToolsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range list.Tools {
				names = append(names, tool.Name)
			}
			for _, want := range []string{"list_api_keys", "list_projects", "whoami", "create_project_scoped_key", "revoke_api_key", "rotate_api_key"} {
				if !slices.Contains(names, want) {
					t.Fatalf("tools/list = %v, missing %s", names, want)
				}
			}
			for _, c := range []struct {
				name       string
				got        string
				want, miss string
			}{
				{"admin", text(e.call(admin, "list_api_keys", `{}`)), "laptop", "workstation"},
				{"member", text(e.call(member, "list_api_keys", `{}`)), "workstation", "laptop"},
			} {
				if !strings.Contains(c.got, c.want) || strings.Contains(c.got, c.miss) {
					t.Fatalf("%s's list_api_keys = %q, want %q and not %q", c.name, c.got, c.want, c.miss)
				}
			}
			for _, tok := range []string{e.fx.AdminToken, e.fx.MemberToken} {
				if strings.Contains(e.log.String()+e.access.String(), tok) {
					t.Fatalf("a request's credential reached the logs")
				}
			}
		})
	}
}

// TestNoCredential: without an Authorization header the server initializes
// and lists its tools, and each call answers how to connect; no 401.
func TestNoCredential(t *testing.T) {
	for era, opts := range eras {
		t.Run(era, func(t *testing.T) {
			e := newEnv(t)
			_, url := e.start(e.config())
			c := e.connect(url, nil, opts...)
			res := e.call(c, "list_api_keys", `{}`)
			if !res.IsError || !strings.Contains(text(res), "Authorization header: the word Bearer, a space, then the key") {
				t.Fatalf("answer = %q (isError %v), want the advice to send the header", text(res), res.IsError)
			}
			if n := len(e.fake.Requests()); n != 0 {
				t.Fatalf("%d requests reached Neon without a credential", n)
			}
		})
	}
}

// TestMalformedAuthorization: a header that is not "Bearer <key>" gets 400
// and a message that says what is wrong, never quoting the header.
func TestMalformedAuthorization(t *testing.T) {
	e := newEnv(t)
	_, url := e.start(e.config())
	const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	for _, h := range []string{"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "napi_abcdefghijklmnopqrstuvwxyz", "Bearer napi_abc def\tghijklmnopqrstuvwxyz", "Bearer sh0rt", "Bearer napi_" + strings.Repeat("é", 20)} {
		t.Run(h, func(t *testing.T) {
			status, hdr, body := post(t, url, initialize, map[string]string{"Authorization": h})
			if status != 400 || !strings.Contains(body, "Authorization header") {
				t.Fatalf("status %d, body %q; want 400 explaining the header", status, body)
			}
			if hdr.Get("WWW-Authenticate") != "" {
				t.Fatalf("WWW-Authenticate sent: %q", hdr.Get("WWW-Authenticate"))
			}
			if rest := strings.TrimPrefix(h, "Bearer "); len(rest) > 6 && strings.Contains(body, rest) {
				t.Fatalf("the answer quotes the header: %q", body)
			}
		})
	}
	status, _, body := post(t, url, initialize, nil)
	if status != 200 {
		t.Fatalf("without a header: status %d, body %q; want 200", status, body)
	}
}

// TestEveryToolUsesTheRequestsKey: no tool falls back to the server's own
// (absent) credential: each, called with a key in the request, answers
// something other than the advice to send one (a new tool that forgets
// tools.Deps.forRequest fails here).
func TestEveryToolUsesTheRequestsKey(t *testing.T) {
	e := newEnv(t)
	_, url := e.start(e.config())
	c := e.connect(url, bearer(e.fx.AdminToken))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// Well-formed arguments without confirm, so each mutating tool gets past
	// its argument checks to the preview, which needs the credential.
	args := map[string]string{
		"revoke_api_key":            fmt.Sprintf(`{"key_id": %d}`, e.fx.ProjectKeyID),
		"rotate_api_key":            fmt.Sprintf(`{"key_id": %d}`, e.fx.ProjectKeyID),
		"create_project_scoped_key": fmt.Sprintf(`{"project_id": %q, "key_name": "probe"}`, e.fx.OrgProject.ID),
	}
	for _, tool := range list.Tools {
		t.Run(tool.Name, func(t *testing.T) {
			raw, ok := args[tool.Name]
			if !ok {
				raw = `{}`
			}
			before := len(e.fake.Requests())
			if got := text(e.call(c, tool.Name, raw)); strings.Contains(got, "No Neon credential") {
				t.Fatalf("%s with a key in the request answered %q", tool.Name, got)
			}
			// list_destinations asks Neon nothing (remote mode has none).
			if tool.Name != "list_destinations" && len(e.fake.Requests()) == before {
				t.Fatalf("%s sent Neon no request: the call never reached the credential", tool.Name)
			}
		})
	}
}

// TestServerCredential: behind an identity-aware proxy, every request acts
// with the server's key, and the Authorization header (the proxy's) is not
// read.
func TestServerCredential(t *testing.T) {
	e := newEnv(t)
	api, err := neonapi.New(neonapi.Options{Token: e.fx.AdminToken, BaseURL: e.fake.URL(), HTTPClient: e.fake.Client(), Redactor: e.red})
	if err != nil {
		t.Fatal(err)
	}
	_, url := e.start(e.config(func(c *remote.Config) {
		c.ServerCredential = true
		c.Server.Keys = keys.New(api, nil)
	}))
	for _, headers := range []map[string]string{nil, bearer(e.fx.MemberToken), {"Authorization": "Basic cHJveHk6aWRlbnRpdHk="}} {
		c := e.connect(url, headers)
		if got := text(e.call(c, "list_api_keys", `{}`)); !strings.Contains(got, "laptop") || strings.Contains(got, "workstation") {
			t.Fatalf("with headers %v: list = %q, want the server key's (admin's) keys", headers, got)
		}
	}
	if !strings.Contains(e.access.String(), `"credential":"server"`) {
		t.Fatalf("access log: %s", e.access.String())
	}
}
