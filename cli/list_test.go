package cli

import (
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// listItem is the API's list item as a script reads it.
type listItem struct {
	ID        int64  `json:"id" yaml:"id"`
	Name      string `json:"name" yaml:"name"`
	CreatedAt string `json:"created_at" yaml:"created_at"`
	CreatedBy struct {
		ID   string `json:"id" yaml:"id"`
		Name string `json:"name" yaml:"name"`
	} `json:"created_by" yaml:"created_by"`
	LastUsedAt       *string `json:"last_used_at" yaml:"last_used_at"`
	LastUsedFromAddr string  `json:"last_used_from_addr" yaml:"last_used_from_addr"`
	ProjectID        string  `json:"project_id" yaml:"project_id"`
	OrgID            string  `json:"org_id" yaml:"org_id"`
}

func TestCLIListFormats(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	// The admin's own key is used by each call; the org keys stay unused.
	srv.SetKeyLastUsed(fx.OrgKeyID, time.Date(2025, 3, 4, 5, 6, 0, 0, time.UTC), "203.0.113.9")

	tests := []struct {
		name      string
		args      []string
		wantIDs   []int64
		wantScope string // table: SCOPE of the first row
	}{
		{"personal", []string{"list"}, []int64{fx.AdminKeyID}, "personal"},
		{"org", []string{"list", "--org-id", fx.Org.ID}, []int64{fx.OrgKeyID, fx.ProjectKeyID}, "organization " + fx.Org.ID},
		{"project", []string{"list", "--project-id", fx.OrgProject.ID}, []int64{fx.ProjectKeyID}, "project " + fx.OrgProject.ID},
		{"name filter", []string{"list", "--org-id", fx.Org.ID, "--name-contains", "SHOP"}, []int64{fx.ProjectKeyID}, "project " + fx.OrgProject.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/table", func(t *testing.T) {
			r := runCLI(t, runOpts{env: env}, tt.args...)
			wantCode(t, r, 0)
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if len(lines) != len(tt.wantIDs)+1 {
				t.Fatalf("table has %d lines, want header + %d:\n%s", len(lines), len(tt.wantIDs), r.stdout)
			}
			for _, col := range []string{"ID", "NAME", "SCOPE", "CREATED", "LAST USED", "FROM"} {
				if !strings.Contains(lines[0], col) {
					t.Errorf("header %q lacks %s", lines[0], col)
				}
			}
			if !strings.Contains(lines[1], tt.wantScope) {
				t.Errorf("row %q lacks scope %q", lines[1], tt.wantScope)
			}
		})
		for _, format := range []string{"json", "yaml"} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				r := runCLI(t, runOpts{env: env}, append(tt.args, "-o", format)...)
				wantCode(t, r, 0)
				var items []listItem
				var err error
				if format == "json" {
					err = json.Unmarshal([]byte(r.stdout), &items)
				} else {
					err = yaml.Unmarshal([]byte(r.stdout), &items)
				}
				if err != nil {
					t.Fatalf("decoding %s: %v\n%s", format, err, r.stdout)
				}
				if len(items) != len(tt.wantIDs) {
					t.Fatalf("%d items, want %d:\n%s", len(items), len(tt.wantIDs), r.stdout)
				}
				for i, id := range tt.wantIDs {
					if items[i].ID != id {
						t.Errorf("item %d has id %d, want %d", i, items[i].ID, id)
					}
					if items[i].CreatedAt == "" || items[i].CreatedBy.ID == "" {
						t.Errorf("item %d lacks created_at or created_by: %+v", i, items[i])
					}
				}
				if r.stderr != "" {
					t.Errorf("stderr not empty: %q", r.stderr)
				}
			})
		}
	}
}

func TestCLIListNeverUsedAndScopes(t *testing.T) {
	_, fx, env := fakeEnv(t)
	r := runCLI(t, runOpts{env: env}, "list", "--org-id", fx.Org.ID)
	wantCode(t, r, 0)
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		if !strings.Contains(line, "never") {
			t.Errorf("unused key row %q does not say never", line)
		}
	}
	r = runCLI(t, runOpts{env: env}, "list", "--org-id", fx.Org.ID, "-o", "json")
	wantCode(t, r, 0)
	var items []listItem
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.LastUsedAt != nil {
			t.Errorf("key %d: last_used_at = %q, want null", it.ID, *it.LastUsedAt)
		}
		if it.OrgID != fx.Org.ID {
			t.Errorf("key %d: org_id = %q, want %q", it.ID, it.OrgID, fx.Org.ID)
		}
	}
	if items[1].ProjectID != fx.OrgProject.ID {
		t.Errorf("project key: project_id = %q, want %q", items[1].ProjectID, fx.OrgProject.ID)
	}
}

func TestCLIListEmptyJSONIsAnArray(t *testing.T) {
	_, _, env := fakeEnv(t)
	r := runCLI(t, runOpts{env: env}, "list", "--name-contains", "no-such-key", "-o", "json")
	wantCode(t, r, 0)
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("empty list printed %q, want []", r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("stderr not empty in json mode: %q", r.stderr)
	}
}

// TestCLIListEmptyTable: a bare header could be read as a failure, so the
// table mode also says "No keys." (on stderr: stdout stays the table).
func TestCLIListEmptyTable(t *testing.T) {
	_, _, env := fakeEnv(t)
	r := runCLI(t, runOpts{env: env}, "list", "--name-contains", "no-such-key")
	wantCode(t, r, 0)
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "ID") {
		t.Errorf("stdout is not the header alone:\n%s", r.stdout)
	}
	if r.stderr != "No keys.\n" {
		t.Errorf("stderr = %q, want \"No keys.\\n\"", r.stderr)
	}
}

// epipeWriter is a stdout whose reader has gone (SIGPIPE ignored).
type epipeWriter struct{}

func (epipeWriter) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// TestCLIListClosedStdout: neonkeys list | head stops quietly, exit 1.
func TestCLIListClosedStdout(t *testing.T) {
	_, _, env := fakeEnv(t)
	var stderr strings.Builder
	e := env2(env, epipeWriter{}, &stderr)
	if code := run(t.Context(), e, []string{"list"}); code != ExitFailed {
		t.Errorf("exit code %d, want %d", code, ExitFailed)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr not quiet: %q", stderr.String())
	}
}

// TestCLIListJSONMatchesOpenAPI checks that list -o json speaks the API's
// names and types: with the two fields neonkeys adds (scope, org_id)
// removed and the empty facts it omits (keys/view.go) restored as the API
// sends them, each item is the API's list item, strictly.
func TestCLIListJSONMatchesOpenAPI(t *testing.T) {
	spec := neontest.LoadSpec(t)
	srv, fx, env := fakeEnv(t)
	srv.SetKeyLastUsed(fx.OrgKeyID, time.Date(2025, 3, 4, 5, 6, 0, 0, time.UTC), "203.0.113.9")
	tests := []struct {
		args []string
		path string
	}{
		{[]string{"list", "-o", "json"}, "/api_keys"},
		{[]string{"list", "-o", "json", "--org-id", fx.Org.ID}, "/organizations/" + fx.Org.ID + "/api_keys"},
	}
	for _, tt := range tests {
		r := runCLI(t, runOpts{env: env}, tt.args...)
		wantCode(t, r, 0)
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+tt.path, nil)
		hdr := http.Header{"Content-Type": {"application/json"}}

		var items []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			delete(it, "org_id")
			delete(it, "scope")
			if _, ok := it["last_used_from_addr"]; !ok {
				it["last_used_from_addr"] = ""
			}
			if by, ok := it["created_by"].(map[string]any); ok {
				for _, f := range []string{"name", "image"} {
					if _, ok := by[f]; !ok {
						by[f] = ""
					}
				}
			}
		}
		restored, _ := json.Marshal(items)
		spec.Strict = true
		if err := spec.ValidateResponse(req, 200, hdr, restored); err != nil {
			t.Errorf("%v: %v", tt.args, err)
		}
	}
}

func TestCLIListManyKeysJSON(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	srv.AddPersonalKeys(fx.Admin.ID, 10000)
	r := runCLI(t, runOpts{env: env}, "list", "-o", "json")
	wantCode(t, r, 0)
	var items []listItem
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 10001 {
		t.Errorf("%d items, want 10001", len(items))
	}
}
