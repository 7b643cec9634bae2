package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// go test ./cli/ -run TestGolden -update rewrites the golden files; review
// the diff.
var update = testkit.UpdateFlag()

// goldenClock is the fake's fixed clock (testkit.GoldenClock, which the
// tools' golden files share).
var goldenClock = testkit.GoldenClock

// goldenEnv is fakeEnv on the fixed clock, with the org key used once.
func goldenEnv(t *testing.T) (*neontest.Server, *neontest.Fixture, map[string]string) {
	t.Helper()
	srv := neontest.New(t, neontest.WithClock(testkit.GoldenNow))
	fx := srv.Seed()
	testkit.SetGoldenUse(srv, fx)
	return srv, fx, map[string]string{"NEON_API_KEY": fx.AdminToken, "NEON_API_HOST": srv.URL()}
}

// stable replaces what differs from run to run (random fixture ids,
// tokens, temporary folders) with named placeholders.
func stable(s string, fx *neontest.Fixture, dir string) string {
	return testkit.Stable(s, fx, dir)
}

// checkGolden compares got with testdata/name.golden (or rewrites it).
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	testkit.CheckGolden(t, filepath.Join("testdata", name+".golden"), got, *update, "go test ./cli/ -run TestGolden -update")
}

// TestGoldenJSON pins each command's -o json (and -o yaml once): the names
// and shapes README.md documents.
func TestGoldenJSON(t *testing.T) {
	srv, fx, env := goldenEnv(t)
	dir := t.TempDir()
	orgEnv := map[string]string{"NEON_API_KEY": fx.OrgKeyToken, "NEON_API_HOST": srv.URL()}
	org := fx.Org.ID
	tests := []struct {
		golden string
		env    map[string]string
		args   []string
	}{
		{"list", env, []string{"list", "-o", "json"}},
		{"list_org", env, []string{"list", "--org-id", org, "-o", "json"}},
		{"list_org_yaml", env, []string{"list", "--org-id", org, "-o", "yaml"}},
		{"whoami", env, []string{"whoami", "-o", "json"}},
		{"whoami_org_key", orgEnv, []string{"whoami", "-o", "json"}},
		{"create", env, []string{"create", "--name", "ci-new", "-o", "json"}},
		{"create_project_out", env, []string{"create", "--name", "shop-ci", "--project-id", fx.OrgProject.ID,
			"--out", filepath.Join(dir, "shop-ci.token"), "-o", "json"}},
		{"rotate", env, []string{"rotate", strconv.FormatInt(fx.OrgKeyID, 10), "--name", "ci-2", "--yes", "-o", "json"}},
		{"revoke", env, []string{"revoke", strconv.FormatInt(fx.ProjectKeyID, 10), "--yes", "-o", "json"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			r := runCLI(t, runOpts{env: tt.env}, tt.args...)
			wantCode(t, r, 0)
			checkGolden(t, tt.golden, stable(r.stdout, fx, dir))
		})
	}
}

// keyFields are the fields a key object may have in any answer of either
// face (keys/view.go); newKeyFields those only a new key adds.
var (
	keyFields    = []string{"created_at", "created_by", "id", "last_used_at", "last_used_from_addr", "name", "org_id", "project_id", "scope"}
	newKeyFields = []string{"fingerprint", "key", "token_file"}
)

// TestOneVocabulary walks every command's JSON and every tool's
// structuredContent, as their golden files pin them (../tools/testdata),
// and checks that a key is one object with one set of names everywhere:
// created_by an object, scope one of three values, no null and no empty
// string (an empty fact is omitted), and whoami the same names in both.
func TestOneVocabulary(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.golden"))
	tools, _ := filepath.Glob(filepath.Join("..", "tools", "testdata", "*.golden"))
	if len(files) == 0 || len(tools) == 0 {
		t.Fatalf("%d CLI and %d tool golden files: both faces must be pinned", len(files), len(tools))
	}
	allowed := map[string]bool{}
	for _, f := range append(keyFields, newKeyFields...) {
		allowed[f] = true
	}
	whoami := map[string][]string{}
	for _, path := range append(files, tools...) {
		if strings.HasSuffix(path, "_yaml.golden") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		keysSeen := 0
		walkJSON(doc, func(obj map[string]any) {
			for name, v := range obj {
				if v == nil || v == "" {
					t.Errorf("%s: %s is %#v: an empty fact is omitted", path, name, v)
				}
			}
			if _, isKey := obj["scope"]; !isKey {
				return
			}
			keysSeen++
			for name := range obj {
				if !allowed[name] {
					t.Errorf("%s: a key has %q, a name no other answer uses", path, name)
				}
			}
			if _, ok := obj["created_by"].(map[string]any); !ok {
				t.Errorf("%s: created_by is %#v, want the API's object {id, name, image}", path, obj["created_by"])
			}
			switch obj["scope"] {
			case "personal", "organization", "project":
			default:
				t.Errorf("%s: scope %v", path, obj["scope"])
			}
		})
		base := strings.TrimSuffix(filepath.Base(path), ".golden")
		if base == "whoami" { // a personal key, in both faces
			whoami[path] = fieldNames(doc, "note") // the tool's own cut notice
		} else if !strings.HasPrefix(base, "whoami") && keysSeen == 0 && !strings.Contains(path, "list_projects") &&
			!strings.HasPrefix(base, "destinations") { // the config's list and deliver hold no key
			t.Errorf("%s: no key object found", path)
		}
	}
	if len(whoami) != 2 {
		t.Errorf("whoami pinned in %d faces, want 2", len(whoami))
	}
	var first string
	for path, names := range whoami {
		if first == "" {
			first = path
			continue
		}
		if strings.Join(names, ",") != strings.Join(whoami[first], ",") {
			t.Errorf("whoami: %s has %v, %s has %v", path, names, first, whoami[first])
		}
	}
}

// walkJSON calls fn on every object in v.
func walkJSON(v any, fn func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(v)
		for _, c := range v {
			walkJSON(c, fn)
		}
	case []any:
		for _, c := range v {
			walkJSON(c, fn)
		}
	}
}

// fieldNames are the sorted top-level names of an object, but skip.
func fieldNames(v any, skip string) []string {
	obj, _ := v.(map[string]any)
	var names []string
	for n := range obj {
		if n != skip {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
