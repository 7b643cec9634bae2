package security

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

// TestSecurityNoAccidentalMutation: every argument variant a model could
// send to a mutating tool, short of valid arguments with confirm exactly
// the JSON boolean true, changes nothing: the fake API sees no POST and no
// DELETE. All variants go through one long-lived `neonkeys mcp`, which must
// still answer at the end.
func TestSecurityNoAccidentalMutation(t *testing.T) {
	t.Parallel()
	// The plain binary: 200-odd sequential calls judge the guard, not
	// concurrency (tools tests race the guard in-process).
	w := harness.NewMCPWorldFor(t, harness.PlainBinary(t))
	s := harness.StartRawReady(t, w, harness.RawOptions{})

	variants := secMutationVariants(w)
	if len(variants) < 200 {
		t.Fatalf("only %d variants generated, want 200 or more", len(variants))
	}
	var rpcErrors, toolErrors int
	for _, v := range variants {
		var res harness.RawResult
		err := s.CallInto("tools/call", map[string]any{"name": v.tool, "arguments": json.RawMessage(v.args)}, &res)
		var rpcErr *jsonrpc2.Error
		switch {
		case errors.As(err, &rpcErr):
			rpcErrors++ // refused before the tool ran (e.g. arguments not an object)
		case err != nil:
			t.Fatalf("%s %s: %v\nstderr:\n%s", v.tool, harness.Tail(v.args), err, s.Stderr)
		case !res.IsError:
			t.Errorf("%s %s (%s) succeeded: %s", v.tool, harness.Tail(v.args), v.why, harness.Tail(res.Text()))
		default:
			toolErrors++
		}
		if muts := w.Srv.Mutations(); len(muts) > 0 {
			t.Fatalf("%s %s (%s) sent %s %s to the API", v.tool, harness.Tail(v.args), v.why, muts[0].Method, muts[0].Path)
		}
	}
	w.AssertMutations(t, 0)
	if !w.Srv.TokenValid(w.SpareToken) || !w.Srv.TokenValid(w.Fx.ProjectKeyToken) {
		t.Error("a key was revoked")
	}
	if names := s.ToolNames(t); len(names) < 6 {
		t.Errorf("after %d variants tools/list answered %v", len(variants), names)
	}
	if res := s.CallTool(t, "list_api_keys", map[string]any{}); res.IsError {
		t.Errorf("after %d variants list_api_keys failed: %s", len(variants), res.Text())
	}
	if minted := w.MintedTokens(s.Stdout.String() + s.Stderr.String()); len(minted) > 0 {
		t.Errorf("%d tokens were minted", len(minted))
	}
	if strings.Contains(s.Stdout.String()+s.Stderr.String(), w.Fx.AdminToken) {
		t.Error("the credential appears in the output")
	}
	s.AssertStdoutIsJSONRPC(t)

	// Positive control: the same server and request log do see a mutation
	// when one is asked for properly, so the zero above is not blindness.
	if res := s.CallTool(t, "revoke_api_key", map[string]any{"key_id": w.SpareID, "confirm": true}); res.IsError {
		t.Fatalf("positive control: a valid confirmed revoke failed: %s", res.Text())
	}
	if muts := w.AssertMutations(t, 1); muts[0].Method != "DELETE" || !strings.HasSuffix(muts[0].Path, "/"+fmt.Sprint(w.SpareID)) {
		t.Errorf("positive control: sent %s %s, want DELETE of key %d", muts[0].Method, muts[0].Path, w.SpareID)
	}
	if w.Srv.TokenValid(w.SpareToken) {
		t.Error("positive control: the spare key is still live after its revoke")
	}
	t.Logf("mutation property: %d argument variants over 3 mutating tools, %d tool errors, %d JSON-RPC errors, 0 POST/DELETE; positive control: 1 valid confirmed revoke, 1 DELETE",
		len(variants), toolErrors, rpcErrors)
}

// secVariant is one tools/call of the property.
type secVariant struct {
	tool string
	args string // raw JSON, so duplicates and odd numbers survive
	why  string
}

// secMutationVariants crosses each mutating tool's valid arguments with
// every confirm that is not the JSON boolean true, and every broken
// argument with confirm: true (and with a few look-alikes).
func secMutationVariants(w *harness.MCPWorld) []secVariant {
	type field struct{ k, v string } // v is raw JSON
	obj := func(fs ...field) string {
		parts := make([]string, 0, len(fs))
		for _, f := range fs {
			parts = append(parts, fmt.Sprintf("%q:%s", f.k, f.v))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	spare := fmt.Sprint(w.SpareID)
	project := q(w.Fx.OrgProject.ID)

	valid := map[string][]field{
		"create_project_scoped_key": {{"project_id", project}, {"key_name", q("prop-test")}},
		"revoke_api_key":            {{"key_id", spare}},
		"rotate_api_key":            {{"key_id", spare}},
	}
	// confirm values that must not confirm ("" means the field is absent).
	badConfirms := []string{"", `"true"`, `"True"`, `"TRUE"`, `" true"`, `"yes"`, `"1"`, `1`, `1.0`, `-1`, `null`,
		`false`, `0`, `[]`, `[true]`, `{}`, `{"value":true}`, `"confirm"`, `"\u0074rue"`}
	// fields that look like confirm but are not it.
	lookAlikes := []field{{"Confirm", "true"}, {"CONFIRM", "true"}, {"confirm ", "true"}, {"c\u043enfirm", "true"},
		{"confirmed", "true"}, {"yes", "true"}, {"force", "true"}}

	// broken arguments per tool, each sent with confirm: true.
	huge := q(strings.Repeat("k", 1<<20))
	broken := map[string][][]field{}
	keyIDs := []string{`0`, `-1`, `-9223372036854775808`, `9223372036854775808`, `1e400`, `1.5`, `1e3`, q(spare),
		`"` + spare + ` "`, `null`, `true`, `[` + spare + `]`, `{"id":` + spare + `}`, `""`}
	for _, tool := range []string{"revoke_api_key", "rotate_api_key"} {
		var list [][]field
		list = append(list, nil) // key_id missing
		for _, id := range keyIDs {
			list = append(list, []field{{"key_id", id}})
		}
		for _, org := range []string{q("../api_keys"), q("org/../../x"), q("org-\u202eevil"), q(strings.Repeat("o", 10000)), `12`, `null`} {
			list = append(list, []field{{"key_id", spare}, {"org_id", org}})
		}
		list = append(list,
			[]field{{"key_id", spare}, {"force", "true"}},
			[]field{{"key_id", spare}, {"__proto__", "{}"}},
			[]field{{"key_id", spare}, {"arguments", `{"confirm":true}`}},
		)
		if tool == "rotate_api_key" {
			for _, name := range []string{huge, `"   "`, q(strings.Repeat("é", 65)), `123`, `null`} {
				list = append(list, []field{{"key_id", spare}, {"new_key_name", name}})
			}
		}
		broken[tool] = list
	}
	var creates [][]field
	for _, name := range []string{"", huge, `""`, `"   "`, q(strings.Repeat("n", 65)), q(strings.Repeat("🔑", 65)), `123`, `null`, `["x"]`} {
		f := []field{{"project_id", project}}
		if name != "" {
			f = append(f, field{"key_name", name})
		}
		creates = append(creates, f)
	}
	for _, pid := range []string{"", `""`, q("../api_keys"), q("sh\u043ep"), q("shop\u200b"), q(strings.Repeat("p", 10000)), `42`, `null`, q(w.Fx.OrgProject.ID + "\n")} {
		f := []field{{"key_name", q("prop-test")}}
		if pid != "" {
			f = append(f, field{"project_id", pid})
		}
		creates = append(creates, f)
	}
	creates = append(creates,
		[]field{{"project_id", project}, {"key_name", q("prop-test")}, {"org_id", q("../../api_keys")}},
		[]field{{"project_id", project}, {"key_name", q("prop-test")}, {"org_id", q("org-\u0000")}},
		[]field{{"project_id", project}, {"key_name", q("prop-test")}, {"dry_run", "false"}},
		// The project's organization exists, but not this one: never a
		// create in some other organization.
		[]field{{"project_id", project}, {"key_name", q("prop-test")}, {"org_id", q("org-not-mine-12345678")}},
		[]field{{"project_id", q(w.Fx.PersonalProject.ID)}, {"key_name", q("prop-test")}},
	)
	broken["create_project_scoped_key"] = creates

	var out []secVariant
	for _, tool := range []string{"create_project_scoped_key", "revoke_api_key", "rotate_api_key"} {
		base := valid[tool]
		for _, c := range badConfirms {
			f := append([]field(nil), base...)
			if c != "" {
				f = append(f, field{"confirm", c})
			}
			out = append(out, secVariant{tool, obj(f...), "confirm " + c})
			// The same unicode tricks in names a model could copy from a list.
			if tool == "create_project_scoped_key" && c != "" {
				for _, name := range []string{"ci\u202edeploy", "ci\u200bdeploy", "ci\ndeploy", "ci\u0000"} {
					out = append(out, secVariant{tool, obj(field{"project_id", project}, field{"key_name", q(name)}, field{"confirm", c}), "unicode name, confirm " + c})
				}
			}
		}
		for _, la := range lookAlikes {
			out = append(out, secVariant{tool, obj(append(append([]field(nil), base...), la)...), "look-alike " + la.k})
		}
		// Duplicate confirm: the last value must not win over an earlier false.
		out = append(out,
			secVariant{tool, obj(append(append([]field(nil), base...), field{"confirm", "false"}, field{"confirm", "true"})...), "duplicate confirm"},
			secVariant{tool, obj(append(append([]field(nil), base...), field{"confirm", "true"}, field{"confirm", "false"})...), "duplicate confirm"},
		)
		for _, b := range broken[tool] {
			out = append(out,
				secVariant{tool, obj(append(append([]field(nil), b...), field{"confirm", "true"})...), "broken args, confirm true"},
				secVariant{tool, obj(append(append([]field(nil), b...), field{"confirm", `"true"`})...), "broken args, confirm \"true\""},
			)
		}
		// Arguments that are not an object at all.
		for _, raw := range []string{`[]`, `"confirm"`, `true`, `1`, `[{"confirm":true}]`} {
			out = append(out, secVariant{tool, raw, "not an object"})
		}
	}
	return out
}
