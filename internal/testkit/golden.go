package testkit

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// UpdateFlag registers -update, which makes CheckGolden rewrite the golden
// files instead of comparing with them. A test package calls it once, in
// the package-level var its golden tests read: flags must exist before
// the test binary parses its command line.
func UpdateFlag() *bool {
	return flag.Bool("update", false, "rewrite the golden files under testdata/; review the diff")
}

// CheckGolden compares got with the golden file at path; with update it
// writes got there instead, making its folder. rerun is the command that
// rewrites the file, named when it is missing or differs.
func CheckGolden(t testing.TB, path, got string, update bool, rerun string) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden file (run %s and review it): %v", rerun, err)
	}
	if got != string(want) {
		t.Errorf("%s changed; review, then run %s\ngot:\n%s\nwant:\n%s", path, rerun, got, want)
	}
}

// fingerprintPattern matches a token's fingerprint as answers show it.
var fingerprintPattern = regexp.MustCompile(`napi_…[a-z0-9]{4}`)

// Stable replaces in s what differs from run to run, so a golden file can
// pin it: the fixture's random ids, tokens and their fingerprints, and the
// temporary folder dir ("" for none), each by a named placeholder.
func Stable(s string, fx *neontest.Fixture, dir string) string {
	s = strings.NewReplacer(
		fx.Admin.ID, "<admin-id>", fx.Member.ID, "<member-id>", fx.Org.ID, "<org-id>",
		fx.OrgProject.ID, "<project-id>", fx.PersonalProject.ID, "<personal-project-id>",
	).Replace(s)
	if dir != "" {
		s = strings.ReplaceAll(s, dir, "<dir>")
	}
	s = TokenPattern.ReplaceAllString(s, "<token>")
	return fingerprintPattern.ReplaceAllString(s, "<fingerprint>")
}
