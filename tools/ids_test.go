package tools_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestIDArgumentsRefusedAsTheSchemaSays: an id the advertised schema
// refuses is refused before any request, in the schema's words; none gets
// past the schema to be refused later by the API client (ORG_Upper_1 and a
// 61-character id once did).
func TestIDArgumentsRefusedAsTheSchemaSays(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	long := strings.Repeat("a", 61)
	tests := []struct{ tool, args, want string }{
		{"list_api_keys", `{"org_id":"ORG_Upper_1"}`, "org_id holds characters that are not allowed (1 to 60 lowercase letters, digits and dashes)"},
		{"list_api_keys", `{"project_id":"../x"}`, "project_id holds characters that are not allowed"},
		{"list_api_keys", fmt.Sprintf(`{"org_id":%q}`, long), "org_id is 61 characters long; at most 60 are allowed"},
		{"list_projects", `{"org_id":"Org-Acme"}`, "org_id holds characters that are not allowed"},
		{"create_project_scoped_key", `{"project_id":"Shop_1","key_name":"x","confirm":true}`, "project_id holds characters that are not allowed"},
		{"create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"x","confirm":true}`, long), "project_id is 61 characters long"},
		{"revoke_api_key", `{"key_id":1,"org_id":"ORG_Upper_1","confirm":true}`, "org_id holds characters that are not allowed"},
		{"rotate_api_key", `{"key_id":0,"confirm":true}`, "key_id must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.tool+" "+tt.args, func(t *testing.T) {
			before := len(e.fake.Requests())
			res := e.call(c, tt.tool, tt.args)
			if got := text(res); !res.IsError || !strings.Contains(got, "Nothing was done: invalid arguments: "+tt.want) {
				t.Errorf("answer %q, want a refusal saying %q", got, tt.want)
			}
			if n := len(e.fake.Requests()) - before; n != 0 {
				t.Errorf("%d requests reached Neon", n)
			}
		})
	}
}
