package cli

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// An organization key as the credential: list, revoke and rotate act on its
// organization without --org-id and say so; another --org-id is refused
// clearly; rotate is refused before anything changes (Neon lets only a
// personal key create keys). Both refusals exit 2, like every request
// refused as given before anything changed.
func TestCLIOrganizationKeyCredential(t *testing.T) {
	tests := []struct {
		name       string
		args       func(orgID, otherOrg string, projectKeyID int64) []string
		wantCode   int
		wantStdout string
		wantStderr []string
		wantDelete int
	}{
		{"list", func(string, string, int64) []string { return []string{"list"} }, 0, "shop-deploy",
			[]string{"organization API key", "keys of its organization"}, 0},
		{"revoke", func(_, _ string, id int64) []string { return []string{"revoke", strconv.FormatInt(id, 10), "--yes"} }, 0, "",
			[]string{"looked for in its organization", "Revoked key"}, 1},
		{"list another org", func(_, other string, _ int64) []string { return []string{"list", "--org-id", other} }, 2, "",
			[]string{"organization API key of", "not those of " + "OTHER"}, 0},
		{"revoke in another org", func(_, other string, id int64) []string {
			return []string{"revoke", strconv.FormatInt(id, 10), "--org-id", other, "--yes"}
		}, 2, "", []string{"not those of OTHER"}, 0},
		{"rotate", func(_, _ string, id int64) []string { return []string{"rotate", strconv.FormatInt(id, 10), "--yes"} }, 2, "",
			[]string{"only a personal key", "cannot create the replacement"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx, env := fakeEnv(t)
			other := srv.AddOrg("Other", fx.Member.ID)
			env["NEON_API_KEY"] = fx.OrgKeyToken
			r := runCLI(t, runOpts{env: env}, tt.args(fx.Org.ID, other.ID, fx.ProjectKeyID)...)
			wantCode(t, r, tt.wantCode)
			if !strings.Contains(r.stdout, tt.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantStdout, r.stdout)
			}
			stderr := strings.ReplaceAll(r.stderr, other.ID, "OTHER")
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(r.stderr, "404 Not Found") {
				t.Errorf("stderr shows Neon's bare refusal:\n%s", r.stderr)
			}
			if n := mutations(srv, http.MethodDelete); n != tt.wantDelete {
				t.Errorf("%d DELETEs, want %d", n, tt.wantDelete)
			}
			if n := mutations(srv, http.MethodPost); n != 0 {
				t.Errorf("%d POSTs, want none", n)
			}
		})
	}
}

// Revoking or rotating the key neonkeys runs with warns before the
// confirmation, and says afterwards what it means.
func TestCLIWarnsBeforeRevokingItsOwnKey(t *testing.T) {
	tests := []struct {
		name     string
		args     func(id int64) []string
		ownKey   bool
		wantWarn string
	}{
		{"revoke own key", func(id int64) []string { return []string{"revoke", strconv.FormatInt(id, 10)} }, true,
			"this is the key neonkeys is using: after the revoke, neonkeys itself stops working"},
		{"rotate own key", func(id int64) []string { return []string{"rotate", strconv.FormatInt(id, 10)} }, true,
			"this is the key neonkeys is using: after the rotation, neonkeys itself stops working"},
		{"revoke another key", func(id int64) []string { return []string{"revoke", strconv.FormatInt(id, 10)} }, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx, env := fakeEnv(t)
			id := fx.AdminKeyID
			name := "laptop"
			if !tt.ownKey {
				_, id = srv.AddPersonalKey(fx.Admin.ID, "spare")
				name = "spare"
			}
			r := runCLI(t, runOpts{env: env, interactive: true, stdin: strings.NewReader(name + "\n")}, tt.args(id)...)
			wantCode(t, r, 0)
			ask := strings.Index(r.stderr, "Type the key name to confirm")
			warn := strings.Index(r.stderr, "Warning: ")
			if tt.wantWarn == "" {
				if warn >= 0 {
					t.Fatalf("a warning for another key:\n%s", r.stderr)
				}
				return
			}
			if !strings.Contains(r.stderr, tt.wantWarn) || warn < 0 || ask < 0 || warn > ask {
				t.Fatalf("no warning %q before the confirmation:\n%s", tt.wantWarn, r.stderr)
			}
			if !strings.Contains(r.stderr, "neonkeys was using this key") {
				t.Errorf("no note after the change:\n%s", r.stderr)
			}
		})
	}
}
