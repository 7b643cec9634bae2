package cli

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestVersionFlagAndJSON: --version prints what version prints, and
// version -o json is a JSON object a script can read.
func TestVersionFlagAndJSON(t *testing.T) {
	plain := runCLI(t, runOpts{}, "version")
	wantCode(t, plain, 0)
	flag := runCLI(t, runOpts{}, "--version")
	wantCode(t, flag, 0)
	if flag.stdout != plain.stdout || !strings.HasPrefix(flag.stdout, "neonkeys ") {
		t.Errorf("--version printed %q, version %q", flag.stdout, plain.stdout)
	}
	for _, format := range []string{"json", "JSON"} {
		r := runCLI(t, runOpts{}, "version", "-o", format)
		wantCode(t, r, 0)
		var v map[string]string
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Fatalf("version -o %s is not JSON: %v\n%s", format, err, r.stdout)
		}
		if "neonkeys "+v["version"]+"\n" != plain.stdout || v["go"] != runtime.Version() || v["os"] != runtime.GOOS || v["arch"] != runtime.GOARCH {
			t.Errorf("version -o %s = %v", format, v)
		}
	}
}

// TestOutputFormatIgnoresCase: -o JSON and -o Yaml work as -o json and -o
// yaml; anything else is still a usage error.
func TestOutputFormatIgnoresCase(t *testing.T) {
	_, _, env := fakeEnv(t)
	r := runCLI(t, runOpts{env: env}, "list", "-o", "JSON")
	wantCode(t, r, 0)
	var items []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil || len(items) == 0 {
		t.Errorf("list -o JSON: %v\n%s", err, r.stdout)
	}
	r = runCLI(t, runOpts{env: env}, "whoami", "-o", "Yaml")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "account_id: ") {
		t.Errorf("whoami -o Yaml is not YAML:\n%s", r.stdout)
	}
	r = runCLI(t, runOpts{env: env}, "list", "-o", "xml")
	wantCode(t, r, 2)
}

// TestListLimit: --limit N shows the first N keys and says on stderr how
// many there were; a negative limit is a usage error.
func TestListLimit(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	srv.AddPersonalKeys(fx.Admin.ID, 5) // 6 personal keys with "laptop"
	r := runCLI(t, runOpts{env: env}, "list", "--limit", "2", "-o", "json")
	wantCode(t, r, 0)
	var items []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil || len(items) != 2 {
		t.Fatalf("list --limit 2 gave %d keys (%v):\n%s", len(items), err, r.stdout)
	}
	if !strings.Contains(r.stderr, "Showing 2 of 6 keys") {
		t.Errorf("stderr does not say how many keys there were:\n%s", r.stderr)
	}
	r = runCLI(t, runOpts{env: env}, "list", "-L", "10")
	wantCode(t, r, 0)
	if strings.Contains(r.stderr, "Showing") {
		t.Errorf("a limit above the count announced a cut:\n%s", r.stderr)
	}
	r = runCLI(t, runOpts{env: env}, "list", "--limit", "-1")
	wantCode(t, r, 2)
}

// TestPersonalProjectIsAUsageErrorEverywhere: --project-id of a personal
// project is refused with exit 2 by list as by create, before any mutation.
func TestPersonalProjectIsAUsageErrorEverywhere(t *testing.T) {
	for _, args := range [][]string{{"list"}, {"create", "--name", "x"}} {
		t.Run(args[0], func(t *testing.T) {
			srv, fx, env := fakeEnv(t)
			r := runCLI(t, runOpts{env: env}, append(args, "--project-id", fx.PersonalProject.ID)...)
			wantCode(t, r, 2)
			if !strings.Contains(r.stderr, fx.PersonalProject.ID) {
				t.Errorf("stderr does not name the project:\n%s", r.stderr)
			}
			if len(srv.Mutations()) != 0 {
				t.Errorf("a mutation reached the API")
			}
		})
	}
}

// TestProgressNotInProcessWithoutTerminal: with stderr a buffer, a retried
// request adds nothing to stderr (the pty side is in e2e/cli_progress_test.go).
func TestProgressNotInProcessWithoutTerminal(t *testing.T) {
	srv, _, env := fakeEnv(t)
	srv.Inject(neontest.Fault{Method: "GET", Path: "/api_keys", Status: 503})
	r := runCLI(t, runOpts{env: env}, "list")
	wantCode(t, r, 0)
	if strings.Contains(r.stderr, "retrying") {
		t.Errorf("stderr (not a terminal) announces a retry:\n%s", r.stderr)
	}
}

// TestPowerShellCompletion: completion powershell prints a script that
// registers neonkeys' completer, with descriptions.
func TestPowerShellCompletion(t *testing.T) {
	r := runCLI(t, runOpts{}, "completion", "powershell")
	wantCode(t, r, 0)
	for _, want := range []string{"Register-ArgumentCompleter", "-CommandName 'neonkeys'", "__complete"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the PowerShell script lacks %q:\n%.400s", want, r.stdout)
		}
	}
}
