package tools_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/server"
)

func TestCreateProjectScopedKey(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	res := e.call(c, "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"ci-bot","confirm":true}`, e.fx.OrgProject.ID))
	if res.IsError {
		t.Fatalf("create failed: %s", text(res))
	}
	sc := structuredMap(t, res)
	token, _ := sc["key"].(string)
	if !strings.HasPrefix(token, "napi_") || !e.fake.TokenValid(token) {
		t.Fatalf("structuredContent.key = %q, want a live token", token)
	}
	if !strings.Contains(text(res), token) || !strings.Contains(text(res), "store it now: it will not be shown again") {
		t.Fatalf("text lacks the token or the store notice: %s", text(res))
	}
	if sc["project_id"] != e.fx.OrgProject.ID || sc["org_id"] != e.fx.Org.ID || sc["scope"] != "project" {
		t.Fatalf("scope fields = %v %v %v", sc["project_id"], sc["org_id"], sc["scope"])
	}
	validateOutput(t, e, "create_project_scoped_key", res)
	m := e.mutations()
	if len(m) != 1 || m[0].Method != http.MethodPost || m[0].Path != "/organizations/"+e.fx.Org.ID+"/api_keys" {
		t.Fatalf("mutations = %+v, want one POST to the org endpoint", m)
	}
	if !strings.Contains(string(m[0].Body), e.fx.OrgProject.ID) {
		t.Fatalf("POST body lacks project_id: %s", m[0].Body)
	}
	// The token appears in this one answer only: later answers and stderr mask it.
	list := e.call(c, "list_api_keys", fmt.Sprintf(`{"org_id":%q}`, e.fx.Org.ID))
	if strings.Contains(dump(list), token) || strings.Contains(e.stderr.String(), token) {
		t.Fatal("the token leaked beyond the create answer")
	}
	if !e.red.Contains(token) {
		t.Fatal("the redactor does not know the new token")
	}
}

// TestCreateRefusals: each refused create says why in a sentence the user
// can act on and sends no POST; the same call made valid and confirmed
// does (positive control), so "no POST" cannot pass on a dead target.
func TestCreateRefusals(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	project := e.fx.OrgProject.ID
	tests := []struct {
		name, args, want string
	}{
		{"personal project", fmt.Sprintf(`{"project_id":%q,"key_name":"x","confirm":true}`, e.fx.PersonalProject.ID),
			fmt.Sprintf("Not created: project %s belongs to no organization", e.fx.PersonalProject.ID)},
		{"unknown project", `{"project_id":"nope-123","key_name":"x","confirm":true}`, "Not created: Neon refused the request (404 Not Found: project not found)"},
		{"wrong org", fmt.Sprintf(`{"project_id":%q,"org_id":"org-other-1","key_name":"x","confirm":true}`, project),
			fmt.Sprintf("Not created: project %s belongs to organization %s, not org-other-1", project, e.fx.Org.ID)},
		{"name too long", fmt.Sprintf(`{"project_id":%q,"key_name":%q,"confirm":true}`, project, strings.Repeat("n", 65)),
			"Nothing was done: invalid arguments: key_name is 65 characters long; at most 64 are allowed"},
		{"1 MB name", fmt.Sprintf(`{"project_id":%q,"key_name":%q,"confirm":true}`, project, strings.Repeat("n", 1<<20)),
			"Nothing was done: invalid arguments: key_name is 1048576 characters long; at most 64 are allowed"},
		{"bad project id", `{"project_id":"../../api_keys","key_name":"x","confirm":true}`,
			"Nothing was done: invalid arguments: project_id holds characters that are not allowed"},
		{"missing project", `{"key_name":"x","confirm":true}`, "Nothing was done: invalid arguments: project_id is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.fake.ResetRequests()
			res := e.call(c, "create_project_scoped_key", tt.args)
			if !res.IsError || !strings.Contains(text(res), tt.want) {
				t.Fatalf("isError=%v text=%s, want a refusal saying %q", res.IsError, text(res), tt.want)
			}
			if len(e.mutations()) != 0 {
				t.Fatal("a refused create sent a mutation")
			}
			if len(text(res)) > 2000 {
				t.Fatalf("the refusal is %d bytes long: oversize input echoed back", len(text(res)))
			}
		})
	}
	e.fake.ResetRequests()
	res := e.call(c, "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"x","confirm":true}`, project))
	if m := e.mutations(); res.IsError || len(m) != 1 || m[0].Method != http.MethodPost {
		t.Fatalf("positive control: the valid confirmed create sent %d mutations: %s", len(m), text(res))
	}
}

// TestCreateVerificationFailure: a create answer without a token or with the
// wrong project is not handed over; the new key is revoked and that is said.
func TestCreateVerificationFailure(t *testing.T) {
	for _, f := range []neontest.Fault{{OmitKey: true}, {WrongProjectID: "other-project-1"}} {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			e := newEnv(t)
			c := e.client()
			e.fake.Inject(f)
			res := e.call(c, "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"ci-bot","confirm":true}`, e.fx.OrgProject.ID))
			if !res.IsError || !strings.Contains(text(res), "revoked at once") {
				t.Fatalf("text = %s, want the key reported revoked", text(res))
			}
			for _, k := range e.fake.Keys() {
				if k.Name == "ci-bot" && !k.Revoked {
					t.Fatal("the unverified key is still live")
				}
			}
		})
	}
}

func TestRevokeAPIKey(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	res := e.call(c, "revoke_api_key", fmt.Sprintf(`{"key_id":%d,"org_id":%q,"confirm":true}`, e.fx.OrgKeyID, e.fx.Org.ID))
	if res.IsError {
		t.Fatalf("revoke failed: %s", text(res))
	}
	validateOutput(t, e, "revoke_api_key", res)
	if e.fake.TokenValid(e.fx.OrgKeyToken) {
		t.Fatal("the revoked key still authenticates")
	}
	m := e.mutations()
	if len(m) != 1 || m[0].Method != http.MethodDelete {
		t.Fatalf("mutations = %+v, want one DELETE", m)
	}
	// Found without org_id too: the key is looked up in the caller's orgs.
	res = e.call(c, "revoke_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.fx.ProjectKeyID))
	if res.IsError || e.fake.TokenValid(e.fx.ProjectKeyToken) {
		t.Fatalf("revoke without org_id: %s", text(res))
	}
	res = e.call(c, "revoke_api_key", `{"key_id":999999999,"confirm":true}`)
	if !res.IsError || !strings.Contains(text(res), "no key 999999999") {
		t.Fatalf("unknown key: %s", text(res))
	}
}

func TestRotateAPIKey(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	res := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.fx.ProjectKeyID))
	if res.IsError {
		t.Fatalf("rotate failed: %s", text(res))
	}
	validateOutput(t, e, "rotate_api_key", res)
	sc := structuredMap(t, res)
	nk, _ := sc["new_key"].(map[string]any)
	token, _ := nk["key"].(string)
	if !e.fake.TokenValid(token) || e.fake.TokenValid(e.fx.ProjectKeyToken) {
		t.Fatal("want the new token live and the old one revoked")
	}
	if nk["project_id"] != e.fx.OrgProject.ID || sc["old_revoked"] != true {
		t.Fatalf("structuredContent = %v", sc)
	}
	if !strings.Contains(text(res), "CI secrets") {
		t.Fatalf("summary does not say where to update the secret: %s", text(res))
	}
}

// TestRotateOldRevokeFails: the new token is still delivered and the live
// old key is named.
func TestRotateOldRevokeFails(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	e.fake.Inject(neontest.Fault{Method: "DELETE", Status: http.StatusInternalServerError})
	res := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.fx.AdminKeyID))
	sc := structuredMap(t, res)
	nk, _ := sc["new_key"].(map[string]any)
	if token, _ := nk["key"].(string); !e.fake.TokenValid(token) {
		t.Fatal("the new token was not delivered")
	}
	if sc["old_revoked"] != false || !strings.Contains(text(res), fmt.Sprintf("old key %d", e.fx.AdminKeyID)) {
		t.Fatalf("summary = %s", text(res))
	}
}

// TestAPIErrorsAreExplainedAndClean: failures become one clear sentence and
// never carry the credential, even when the API echoes it.
func TestAPIErrorsAreExplainedAndClean(t *testing.T) {
	tests := []struct {
		name  string
		fault neontest.Fault
		tool  string
		args  func(e *env) string
		want  string
	}{
		{"500 echoing Authorization", neontest.Fault{EchoAuthorization: true}, "list_api_keys", func(*env) string { return `{}` }, "Neon failed to answer (500"},
		{"401", neontest.Fault{Status: 401}, "list_api_keys", func(*env) string { return `{}` }, "Neon rejected the API key (401)"},
		{"403 on create", neontest.Fault{Method: "POST", Status: 403}, "create_project_scoped_key", func(e *env) string {
			return fmt.Sprintf(`{"project_id":%q,"key_name":"x","confirm":true}`, e.fx.OrgProject.ID)
		}, "cannot mint keys"},
		{"404 on revoke", neontest.Fault{Method: "DELETE", Status: 404}, "revoke_api_key", func(e *env) string {
			return fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.fx.AdminKeyID)
		}, "no such key"},
		{"500 echo on revoke", neontest.Fault{Method: "DELETE", EchoAuthorization: true}, "revoke_api_key", func(e *env) string {
			return fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.fx.AdminKeyID)
		}, "Not revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client()
			e.fake.Inject(tt.fault)
			res := e.call(c, tt.tool, tt.args(e)) // call asserts the credential is absent
			if !res.IsError || !strings.Contains(text(res), tt.want) {
				t.Fatalf("text = %s, want %q", text(res), tt.want)
			}
		})
	}
}

func TestNoCredential(t *testing.T) {
	e := newEnv(t, withOpts(func(o *server.Options) { o.Keys = nil }))
	c := e.client()
	list, err := c.ListTools(t.Context(), mcpListToolsRequest())
	if err != nil || len(list.Tools) != len(e.mcp.ListTools()) {
		t.Fatalf("tools/list = %v, %v", list, err)
	}
	for _, tool := range []string{"list_api_keys", "whoami", "revoke_api_key"} {
		res := e.call(c, tool, `{"key_id":1,"confirm":true}`)
		if tool != "revoke_api_key" {
			res = e.call(c, tool, `{}`)
		}
		if !res.IsError || !strings.Contains(text(res), "NEON_API_KEY") || !strings.Contains(text(res), "NEON_API_KEY_FILE") {
			t.Fatalf("%s: %s", tool, text(res))
		}
	}
}

func TestListAPIKeysLimit(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	e.fake.AddPersonalKeys(e.fx.Admin.ID, 120)
	res := e.call(c, "list_api_keys", `{}`)
	validateOutput(t, e, "list_api_keys", res)
	sc := structuredMap(t, res)
	if sc["total"] != float64(121) || sc["returned"] != float64(50) || sc["truncated"] != true {
		t.Fatalf("total/returned/truncated = %v/%v/%v", sc["total"], sc["returned"], sc["truncated"])
	}
	res = e.call(c, "list_api_keys", `{"name_contains":"LAPTOP"}`)
	if sc := structuredMap(t, res); sc["total"] != float64(1) {
		t.Fatalf("name_contains: %v", sc)
	}
	res = e.call(c, "list_api_keys", fmt.Sprintf(`{"project_id":%q}`, e.fx.OrgProject.ID))
	sc = structuredMap(t, res)
	ks, _ := sc["keys"].([]any)
	if len(ks) != 1 || ks[0].(map[string]any)["project_id"] != e.fx.OrgProject.ID {
		t.Fatalf("project filter: %v", sc)
	}
	if res := e.call(c, "list_api_keys", `{"limit":501}`); !res.IsError {
		t.Fatal("limit 501 accepted")
	}
	// A valid limit other than the default is the one applied.
	res = e.call(c, "list_api_keys", `{"limit":3}`)
	validateOutput(t, e, "list_api_keys", res)
	sc = structuredMap(t, res)
	ks, _ = sc["keys"].([]any)
	if len(ks) != 3 || sc["returned"] != float64(3) || sc["total"] != float64(121) || sc["truncated"] != true {
		t.Fatalf("limit 3: %d keys, returned/total/truncated = %v/%v/%v", len(ks), sc["returned"], sc["total"], sc["truncated"])
	}
	if got := strings.Count(text(res), "\n- key "); got != 3 || !strings.Contains(text(res), "showing the first 3") {
		t.Fatalf("limit 3: the text lists %d keys: %s", got, text(res))
	}
}

// TestListProjectsLimit: a valid limit other than the default is the one
// applied, and the answer says more projects match.
func TestListProjectsLimit(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for i := range 4 {
		e.fake.AddProject(fmt.Sprintf("extra-%d", i), e.fx.Org.ID)
	}
	res := e.call(c, "list_projects", fmt.Sprintf(`{"org_id":%q,"limit":2}`, e.fx.Org.ID))
	validateOutput(t, e, "list_projects", res)
	sc := structuredMap(t, res)
	ps, _ := sc["projects"].([]any)
	if len(ps) != 2 || sc["returned"] != float64(2) || sc["truncated"] != true {
		t.Fatalf("limit 2: %d projects, returned/truncated = %v/%v", len(ps), sc["returned"], sc["truncated"])
	}
	if got := strings.Count(text(res), "\n- "); got != 2 || !strings.Contains(text(res), "more match") {
		t.Fatalf("limit 2: the text lists %d projects: %s", got, text(res))
	}
	// The positive control: without a limit all five show.
	if sc := structuredMap(t, e.call(c, "list_projects", fmt.Sprintf(`{"org_id":%q}`, e.fx.Org.ID))); sc["returned"] != float64(5) || sc["truncated"] != false {
		t.Fatalf("no limit: returned/truncated = %v/%v, want 5/false", sc["returned"], sc["truncated"])
	}
}

func TestListProjectsAndWhoami(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	res := e.call(c, "list_projects", fmt.Sprintf(`{"org_id":%q,"search":"sho"}`, e.fx.Org.ID))
	validateOutput(t, e, "list_projects", res)
	if sc := structuredMap(t, res); sc["returned"] != float64(1) {
		t.Fatalf("list_projects: %v / %s", sc, text(res))
	}
	res = e.call(c, "whoami", `{}`)
	validateOutput(t, e, "whoami", res)
	sc := structuredMap(t, res)
	if sc["key_type"] != "personal" || sc["can_mint_keys"] != true {
		t.Fatalf("whoami: %v", sc)
	}
	// The account's name and email, in the answer and its text.
	if u, _ := sc["user"].(map[string]any); u["name"] != "Ada Lovelace" || u["email"] != e.fx.Admin.Email ||
		!strings.Contains(text(res), "Ada Lovelace, "+e.fx.Admin.Email) {
		t.Fatalf("whoami user: %v / %s", sc["user"], text(res))
	}
}

func TestSecretsDir(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, withOpts(func(o *server.Options) { o.SecretsDir = dir }))
	c := e.client()
	res := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"new_key_name":"../../etc/laptop 2","confirm":true}`, e.fx.AdminKeyID))
	if res.IsError {
		t.Fatalf("rotate: %s", text(res))
	}
	sc := structuredMap(t, res)
	nk := sc["new_key"].(map[string]any)
	path, _ := nk["token_file"].(string)
	if _, has := nk["key"]; has || filepath.Dir(path) != dir {
		t.Fatalf("new_key = %v, want token_file in %s and no key", nk, dir)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(b))
	if !e.fake.TokenValid(token) || e.fake.TokenValid(e.fx.AdminToken) {
		t.Fatal("want the file's token live and the old key revoked")
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %o", info.Mode().Perm())
	}
	if strings.Contains(dump(res), token) || strings.Contains(e.stderr.String(), token) {
		t.Fatal("the token appears in the answer or on stderr")
	}
	if fp, _ := nk["fingerprint"].(string); !strings.HasSuffix(token, strings.TrimPrefix(fp, "napi_…")) {
		t.Fatalf("fingerprint %q does not match the token", fp)
	}
}
