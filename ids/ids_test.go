package ids_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	invopop "github.com/invopop/jsonschema"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/neonkeys/neonkeys/ids"
)

// args is shaped like a tool's arguments: the ids as fields.
type args struct {
	OrgID     ids.OrgID     `json:"org_id,omitempty"`
	ProjectID ids.ProjectID `json:"project_id,omitempty"`
	KeyID     ids.KeyID     `json:"key_id,omitempty"`
}

// compiled reflects args the way the tools do and compiles the result.
func compiled(t *testing.T) *jsonschema.Schema {
	t.Helper()
	r := &invopop.Reflector{DoNotReference: true, ExpandedStruct: true, Anonymous: true}
	s := r.Reflect(new(args))
	s.Version = ""
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("args.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("args.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func schemaAccepts(t *testing.T, sch *jsonschema.Schema, field string, v any) bool {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{field: v})
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(doc) == nil
}

// TestStringIDsSchemaAndGoAgree: what the schema clients see accepts is
// exactly what the Go check accepts, so a call the schema lets through is
// never refused later by the client (ORG_Upper_1 once was).
func TestStringIDsSchemaAndGoAgree(t *testing.T) {
	sch := compiled(t)
	cases := []struct {
		id      string
		want    bool
		wantErr error
	}{
		{"org-morning-bread-81040908", true, nil},
		{"shiny-wind-12345678", true, nil},
		{"a", true, nil},
		{"0", true, nil},
		{strings.Repeat("a", 60), true, nil},
		{"", false, ids.ErrEmpty},
		{strings.Repeat("a", 61), false, ids.ErrTooLong},
		{"ORG_Upper_1", false, ids.ErrChars},
		{"Org-abc", false, ids.ErrChars},
		{"org_abc", false, ids.ErrChars},
		{"../x", false, ids.ErrChars},
		{"a/b", false, ids.ErrChars},
		{"a b", false, ids.ErrChars},
		{"a?b=c", false, ids.ErrChars},
		{"abc\n", false, ids.ErrChars},
		{"é", false, ids.ErrChars},
		{strings.Repeat("é", 30), false, ids.ErrChars}, // 60 bytes, 30 characters
	}
	for _, c := range cases {
		for _, f := range []struct {
			field string
			err   error
		}{
			{"org_id", ids.OrgID(c.id).Validate()},
			{"project_id", ids.ProjectID(c.id).Validate()},
		} {
			if !errors.Is(f.err, c.wantErr) || (f.err == nil) != c.want {
				t.Errorf("%s %q: Validate() = %v, want %v", f.field, c.id, f.err, c.wantErr)
			}
			if got := schemaAccepts(t, sch, f.field, c.id); got != c.want {
				t.Errorf("%s %q: schema accepts = %v, Go accepts = %v", f.field, c.id, got, c.want)
			}
		}
	}
}

func TestKeyIDSchemaAndGoAgree(t *testing.T) {
	sch := compiled(t)
	for _, c := range []struct {
		id   int64
		want bool
	}{{1, true}, {123456, true}, {1<<63 - 1, true}, {0, false}, {-1, false}, {-1 << 63, false}} {
		if got := ids.KeyID(c.id).Validate() == nil; got != c.want {
			t.Errorf("KeyID(%d).Validate() ok = %v, want %v", c.id, got, c.want)
		}
		if got := schemaAccepts(t, sch, "key_id", c.id); got != c.want {
			t.Errorf("key_id %d: schema accepts = %v, want %v", c.id, got, c.want)
		}
	}
}
