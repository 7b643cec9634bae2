package tools_test

import (
	"fmt"
	"strings"
	"testing"
)

// answerBound is the most a list answer may weigh on the wire: the tools'
// budget of 128 KiB for text and structuredContent together, plus room for
// JSON escaping and the envelope. MCP clients keep answers in the model's
// context and choke on multi-MB ones.
const answerBound = 160 << 10

// TestListAnswersAreBounded: a list of 500 keys, projects or organizations
// with huge names makes an answer of bounded size that says it was cut,
// in the text and in structuredContent (which stays valid), and every name
// is cut with a marker.
func TestListAnswersAreBounded(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	huge := strings.Repeat("n", 8<<10)
	for i := range 500 {
		e.fake.AddPersonalKey(e.fx.Admin.ID, fmt.Sprintf("k%03d-%s", i, huge))
		e.fake.AddProject(fmt.Sprintf("p%03d-%s", i, huge), e.fx.Org.ID)
		e.fake.AddOrgMember(e.fake.AddOrg(fmt.Sprintf("o%03d-%s", i, huge)).ID, e.fx.Admin.ID, false)
	}
	for _, call := range []struct{ tool, args, items, name string }{
		{"list_api_keys", `{"limit":500}`, "keys", "name"},
		{"list_projects", fmt.Sprintf(`{"org_id":%q,"limit":500}`, e.fx.Org.ID), "projects", "name"},
		{"whoami", `{}`, "organizations", "name"},
	} {
		res := e.call(c, call.tool, call.args)
		if res.IsError {
			t.Fatalf("%s: %s", call.tool, text(res))
		}
		validateOutput(t, e, call.tool, res)
		size := len(dump(res))
		sc := structuredMap(t, res)
		items, _ := sc[call.items].([]any)
		t.Logf("%s: %d items in %d bytes", call.tool, len(items), size)
		if size > answerBound {
			t.Errorf("%s: the answer is %d bytes, want at most %d", call.tool, size, answerBound)
		}
		if note, _ := sc["note"].(string); !strings.Contains(note, "cut") || !strings.Contains(text(res), note) {
			t.Errorf("%s: note %q, want it to say the answer was cut, in the text too: %.300s", call.tool, note, text(res))
		}
		if len(items) == 0 || len(items) >= 500 {
			t.Errorf("%s: %d items, want some but not all", call.tool, len(items))
		}
		if _, listed := sc["truncated"]; listed && sc["truncated"] != true {
			t.Errorf("%s: truncated = %v", call.tool, sc["truncated"])
		}
		marked := 0
		for _, it := range items {
			n, _ := it.(map[string]any)[call.name].(string)
			if len(n) > 300 {
				t.Fatalf("%s: an 8 KiB name is shown as %d bytes (%.40q…), want it cut", call.tool, len(n), n)
			}
			if strings.HasSuffix(n, "…[cut]") {
				marked++
			}
		}
		if marked < len(items)-3 { // the fixture's own few have short names
			t.Errorf("%s: %d of %d names are marked as cut", call.tool, marked, len(items))
		}
	}
}

// TestOrdinaryListsAreWhole: the bound does not cut a list of ordinary
// keys: 500 keys with the usual names all show.
func TestOrdinaryListsAreWhole(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	e.fake.AddPersonalKeys(e.fx.Admin.ID, 499)
	res := e.call(c, "list_api_keys", `{"limit":500}`)
	sc := structuredMap(t, res)
	t.Logf("500 ordinary keys: %d bytes", len(dump(res)))
	if sc["returned"] != float64(500) || sc["truncated"] != false || sc["note"] != nil {
		t.Fatalf("returned/truncated/note = %v/%v/%v, want all 500 and no note", sc["returned"], sc["truncated"], sc["note"])
	}
}
