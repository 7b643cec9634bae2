package cli

import (
	"strconv"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// completions runs cobra's hidden __complete command (what the shell
// scripts call at each Tab) and returns the candidates' values.
func completions(t *testing.T, env map[string]string, args ...string) (values []string, r result) {
	t.Helper()
	r = runCLI(t, runOpts{env: env}, append([]string{"__complete"}, args...)...)
	wantCode(t, r, 0)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("no directive line:\n%s", r.stdout)
	}
	for _, l := range lines[:len(lines)-1] {
		if strings.Count(l, "\t") > 1 {
			t.Errorf("candidate %q has more than one tab: the description would break the shell's fields", l)
		}
		values = append(values, strings.SplitN(l, "\t", 2)[0])
	}
	return values, r
}

func TestCompletionFromTheAPI(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	// A hostile name must not add a candidate or a field.
	_, hostileID := srv.AddPersonalKey(fx.Admin.ID, "evil\tname\n999\x1b[31m")
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	tests := []struct {
		name string
		args []string
		want []string
		not  []string
	}{
		{"key ids of revoke", []string{"revoke", ""},
			[]string{id(fx.AdminKeyID), id(hostileID), id(fx.OrgKeyID), id(fx.ProjectKeyID)}, []string{"999"}},
		{"key ids of rotate in one org", []string{"rotate", "--org-id", fx.Org.ID, ""},
			[]string{id(fx.OrgKeyID), id(fx.ProjectKeyID)}, []string{id(fx.AdminKeyID)}},
		{"key ids by prefix", []string{"revoke", id(fx.OrgKeyID)}, []string{id(fx.OrgKeyID)}, []string{id(fx.AdminKeyID)}},
		{"no second key id", []string{"revoke", id(fx.OrgKeyID), ""}, nil, []string{id(fx.AdminKeyID)}},
		{"org ids", []string{"list", "--org-id", ""}, []string{fx.Org.ID}, nil},
		{"project ids", []string{"create", "--name", "x", "--project-id", ""},
			[]string{fx.OrgProject.ID, fx.PersonalProject.ID}, nil},
		{"output formats", []string{"list", "-o", ""}, []string{"table", "json", "yaml"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, r := completions(t, env, tt.args...)
			for _, w := range tt.want {
				if !hasValue(got, w) {
					t.Errorf("candidates %v lack %s\n%s", got, w, r.stdout)
				}
			}
			for _, n := range tt.not {
				if hasValue(got, n) {
					t.Errorf("candidates %v hold %s\n%s", got, n, r.stdout)
				}
			}
		})
	}
	if len(srv.Mutations()) != 0 {
		t.Errorf("completion changed something")
	}
}

// TestCompletionFailsSilently: without a credential, or with an API that
// fails or never answers, a completion offers nothing and says nothing
// (the shell would print it under the prompt); the hanging API is cut off
// by the completion's own time bound.
func TestCompletionFailsSilently(t *testing.T) {
	tests := []struct {
		name  string
		fault neontest.Fault
		env   func(map[string]string)
	}{
		{name: "no credential", env: func(e map[string]string) { delete(e, "NEON_API_KEY") }},
		{name: "API error", fault: neontest.Fault{Status: 500, Count: 100}},
		{name: "API hangs", fault: neontest.Fault{Hang: true, Count: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _, env := fakeEnv(t)
			if tt.env != nil {
				tt.env(env)
			}
			if tt.fault.Status != 0 || tt.fault.Hang {
				srv.Inject(tt.fault)
			}
			got, r := completions(t, env, "revoke", "")
			if len(got) != 0 {
				t.Errorf("candidates %v from a failing API", got)
			}
			if strings.Contains(strings.ToLower(r.stderr), "neonkeys:") || strings.Contains(r.stderr, "error") {
				t.Errorf("completion complained:\n%s", r.stderr)
			}
		})
	}
}

func hasValue(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
