package testkit

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// recorder is a testing.TB that notes failures instead of failing the test
// that holds it, so CheckGolden's verdicts can be asserted.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) {
	r.msgs = append(r.msgs, fmt.Sprint(args...))
	runtime.Goexit()
}

// checkGolden runs CheckGolden on r in its own goroutine, as Fatalf ends it.
func checkGolden(r *recorder, path, got string, update bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		CheckGolden(r, path, got, update, "go test -update")
	}()
	<-done
}

func TestCheckGolden(t *testing.T) {
	tests := []struct {
		name     string
		existing string // "" for no file
		got      string
		update   bool
		wantMsg  string // "" for a pass
		wantFile string // the file afterwards
	}{
		{"same", "a\n", "a\n", false, "", "a\n"},
		{"differs", "a\n", "b\n", false, "changed; review, then run go test -update\ngot:\nb\n\nwant:\na\n", "a\n"},
		{"missing", "", "a\n", false, "no golden file (run go test -update and review it)", ""},
		{"update rewrites", "a\n", "b\n", true, "", "b\n"},
		{"update makes the folder", "", "b\n", true, "", "b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "testdata", "x.golden")
			if tt.existing != "" {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(tt.existing), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := &recorder{TB: t}
			checkGolden(r, path, tt.got, tt.update)
			switch {
			case tt.wantMsg == "" && len(r.msgs) > 0:
				t.Errorf("failed: %q", r.msgs)
			case tt.wantMsg != "" && (len(r.msgs) != 1 || !strings.Contains(r.msgs[0], tt.wantMsg)):
				t.Errorf("failures %q, want one holding %q", r.msgs, tt.wantMsg)
			}
			data, _ := os.ReadFile(path)
			if string(data) != tt.wantFile {
				t.Errorf("file holds %q, want %q", data, tt.wantFile)
			}
		})
	}
}

func TestStable(t *testing.T) {
	fx := neontest.New(t).Seed()
	token := "napi_" + strings.Repeat("ab12", 10)
	tests := []struct {
		name, in, dir, want string
	}{
		{"fixture ids", fx.Org.ID + " " + fx.OrgProject.ID + " " + fx.PersonalProject.ID, "",
			"<org-id> <project-id> <personal-project-id>"},
		{"users", fx.Admin.ID + "," + fx.Member.ID, "", "<admin-id>,<member-id>"},
		{"token and fingerprint", `{"key":"` + token + `","fingerprint":"napi_…ab12"}`, "",
			`{"key":"<token>","fingerprint":"<fingerprint>"}`},
		{"folder", "/tmp/x123/secrets/ci.token", "/tmp/x123", "<dir>/secrets/ci.token"},
		{"no folder leaves paths", "/tmp/x123/ci.token", "", "/tmp/x123/ci.token"},
		{"plain text", "name ci-deploy, napi_ short", "", "name ci-deploy, napi_ short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Stable(tt.in, fx, tt.dir); got != tt.want {
				t.Errorf("Stable(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
