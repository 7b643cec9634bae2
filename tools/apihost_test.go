package tools_test

import (
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/server"
)

// A wrong NEON_API_HOST: the tool's error names the URL tried and the fix.
func TestToolsWrongAPIHost(t *testing.T) {
	e := newEnv(t)
	root := strings.TrimSuffix(e.fake.URL(), neontest.BasePath)
	api, err := neonapi.New(neonapi.Options{Token: e.token, BaseURL: root, Redactor: e.red, HTTPClient: e.fake.Client(),
		Retry: &neonapi.RetryPolicy{}})
	if err != nil {
		t.Fatal(err)
	}
	e.opts.Keys = keys.New(api, nil)
	if e.mcp, err = server.New(e.opts); err != nil {
		t.Fatal(err)
	}
	res := e.call(e.client(), "list_api_keys", `{}`)
	got := text(res)
	if !res.IsError || !strings.Contains(got, root+"/api_keys:") || !strings.Contains(got, "the address lacks /api/v2") {
		t.Fatalf("answer lacks the URL and the fix:\n%s", got)
	}
}
