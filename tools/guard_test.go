package tools_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestGuardRefusesWithoutConfirmTrue: create, revoke and rotate make no POST
// or DELETE unless confirm is the JSON boolean true, whatever else is sent.
func TestGuardRefusesWithoutConfirmTrue(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	_, toRevoke := e.fake.AddPersonalKey(e.fx.Admin.ID, "spare-revoke")
	_, toRotate := e.fake.AddPersonalKey(e.fx.Admin.ID, "spare-rotate")
	base := map[string]string{
		"create_project_scoped_key": fmt.Sprintf(`"project_id":%q,"key_name":"ci-bot"`, e.fx.OrgProject.ID),
		"revoke_api_key":            fmt.Sprintf(`"key_id":%d`, toRevoke),
		"rotate_api_key":            fmt.Sprintf(`"key_id":%d`, toRotate),
	}
	variants := []struct {
		name, confirm string
		preview       bool   // the answer previews the action (else it refuses an unknown field)
		note          string // what the answer says about confirm's type
	}{
		{"missing", ``, true, ""},
		{"false", `,"confirm":false`, true, ""},
		{"string true", `,"confirm":"true"`, true, "not a string"},
		{"number 1", `,"confirm":1`, true, "not a number"},
		{"null", `,"confirm":null`, true, "not null"},
		{"object", `,"confirm":{"value":true}`, true, "not an object"},
		{"extra field", `,"confirm":true,"force":true`, false, ""},
		{"confirm nested in wrong place", `,"options":{"confirm":true}`, false, ""},
	}
	for tool, args := range base {
		for _, v := range variants {
			t.Run(tool+"/"+v.name, func(t *testing.T) {
				e.fake.ResetRequests()
				res := e.call(c, tool, "{"+args+v.confirm+"}")
				if !res.IsError {
					t.Fatalf("isError = false, want a refusal; text: %s", text(res))
				}
				if m := e.mutations(); len(m) != 0 {
					t.Fatalf("%d mutating requests reached the API: %s %s", len(m), m[0].Method, m[0].Path)
				}
				if v.preview && (!strings.Contains(text(res), "confirm: true") || !strings.Contains(text(res), "This would")) {
					t.Errorf("refusal does not preview the action and say how to confirm: %s", text(res))
				}
				if !v.preview && !strings.Contains(text(res), "Nothing was done: invalid arguments: 1 unknown field(s)") {
					t.Errorf("refusal does not say an unknown field was sent: %s", text(res))
				}
				if v.note != "" && !strings.Contains(text(res), "confirm must be the JSON boolean true, "+v.note) {
					t.Errorf("refusal does not say what was wrong with confirm (%q): %s", v.note, text(res))
				}
			})
		}
	}
	if n := len(e.fake.LiveKeys()); n != 6 {
		t.Fatalf("live keys = %d, want the fixture's 4 and the 2 spares", n)
	}
	// Positive control: the same calls, valid and confirmed, do mutate.
	for tool, args := range base {
		e.fake.ResetRequests()
		if res := e.call(c, tool, "{"+args+`,"confirm":true}`); res.IsError || len(e.mutations()) == 0 {
			t.Errorf("%s: the valid confirmed call changed nothing: %s", tool, text(res))
		}
	}
}

// TestRevokePreviewNamesTheKey: the preview says exactly what would happen.
func TestRevokePreviewNamesTheKey(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	used := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	e.fake.SetKeyLastUsed(e.fx.ProjectKeyID, used, "203.0.113.7")
	res := e.call(c, "revoke_api_key", fmt.Sprintf(`{"key_id":%d,"org_id":%q}`, e.fx.ProjectKeyID, e.fx.Org.ID))
	got := text(res)
	for _, want := range []string{
		"Not revoked: confirm is not true",
		fmt.Sprintf("key %d", e.fx.ProjectKeyID),
		`"shop-deploy"`,
		"project " + e.fx.OrgProject.ID,
		"organization " + e.fx.Org.ID,
		"2026-11-20T09:30:00Z",
		"203.0.113.7",
		"Ask the user",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("preview lacks %q:\n%s", want, got)
		}
	}
	if !res.IsError || len(e.mutations()) != 0 {
		t.Fatalf("preview must be an isError answer with no mutation")
	}
	// Positive control: confirmed, the same call revokes that key.
	res = e.call(c, "revoke_api_key", fmt.Sprintf(`{"key_id":%d,"org_id":%q,"confirm":true}`, e.fx.ProjectKeyID, e.fx.Org.ID))
	if m := e.mutations(); res.IsError || len(m) != 1 || e.fake.TokenValid(e.fx.ProjectKeyToken) {
		t.Fatalf("confirmed revoke: %d mutations, key still valid %v: %s", len(m), e.fake.TokenValid(e.fx.ProjectKeyToken), text(res))
	}
}

// TestCreatePreviewResolvesTheOrganization: the create preview names the
// project and the organization found from it, with a read-only lookup.
func TestCreatePreviewResolvesTheOrganization(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	res := e.call(c, "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"ci-bot"}`, e.fx.OrgProject.ID))
	got := text(res)
	if !res.IsError || !strings.Contains(got, "Not created") || !strings.Contains(got, e.fx.Org.ID) || !strings.Contains(got, `"ci-bot"`) {
		t.Fatalf("preview = %s", got)
	}
	for _, r := range e.fake.Requests() {
		if r.Method != "GET" {
			t.Fatalf("preview sent %s %s", r.Method, r.Path)
		}
	}
	// Positive control: confirmed, the same call creates in that organization.
	res = e.call(c, "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"ci-bot","confirm":true}`, e.fx.OrgProject.ID))
	if m := e.mutations(); res.IsError || len(m) != 1 || m[0].Path != "/organizations/"+e.fx.Org.ID+"/api_keys" {
		t.Fatalf("confirmed create: %+v: %s", m, text(res))
	}
}

// Arguments that fail the schema get a plain sentence naming the field, and
// never the value sent: a model may paste a secret into any field.
func TestInvalidArgumentsAreExplainedWithoutTheirValues(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	project := e.fx.OrgProject.ID
	_, spare := e.fake.AddPersonalKey(e.fx.Admin.ID, "spare")
	tests := []struct{ tool, args, want string }{
		{"revoke_api_key", `{"key_id":"abc","confirm":true}`, "key_id must be an integer"},
		{"revoke_api_key", `{"confirm":true}`, "key_id is required"},
		{"revoke_api_key", `{"key_id":0,"confirm":true}`, "key_id must be at least 1"},
		{"list_api_keys", `{"org_id":"x ` + e.token + `"}`, "org_id holds characters that are not allowed"},
		{"list_api_keys", `{"` + e.token + `":1}`, "1 unknown field(s)"},
		{"list_api_keys", `{"limit":100000}`, "limit must be at most 500"},
		{"create_project_scoped_key", `{"project_id":"` + project + `","key_name":"` + strings.Repeat("k", 65) + `","confirm":true}`, "key_name is 65 characters long; at most 64"},
		{"list_api_keys", `[1,2]`, "must be a JSON object"},
		{"create_project_scoped_key", `{"project_id":"` + project + `","key_name":"ci\u001b[2J","confirm":true}`, "control or invisible characters"},
		{"rotate_api_key", fmt.Sprintf(`{"key_id":%d,"new_key_name":"ci\u202eorp","confirm":true}`, spare), "control or invisible characters"},
	}
	for _, tt := range tests {
		res := e.call(c, tt.tool, tt.args)
		got := dump(res)
		if !res.IsError || !strings.Contains(got, tt.want) {
			t.Errorf("%s %s: want an error saying %q, got %s", tt.tool, tt.args, tt.want, got)
		}
		if strings.Contains(got, e.token) || strings.Contains(got, "abc") {
			t.Errorf("%s: the answer quotes the value sent: %s", tt.tool, got)
		}
	}
	if n := len(e.mutations()); n != 0 {
		t.Fatalf("%d mutations", n)
	}
	// Positive control: the same targets, with valid arguments, do change.
	for _, args := range []struct{ tool, args string }{
		{"create_project_scoped_key", `{"project_id":"` + project + `","key_name":"ci-new","confirm":true}`},
		{"rotate_api_key", fmt.Sprintf(`{"key_id":%d,"new_key_name":"ci-orp","confirm":true}`, spare)},
	} {
		e.fake.ResetRequests()
		if res := e.call(c, args.tool, args.args); res.IsError || len(e.mutations()) == 0 {
			t.Errorf("%s: the valid call changed nothing: %s", args.tool, text(res))
		}
	}
}
