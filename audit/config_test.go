package audit_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/audit"
	"github.com/neonkeys/neonkeys/destination"
)

func TestParseAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * day, true},
		{"90", 90 * day, true},
		{"12w", 84 * day, true},
		{"36h", 36 * time.Hour, true},
		{" 30d ", 30 * day, true},
		{"0d", 0, false},
		{"-5d", 0, false},
		{"d", 0, false},
		{"", 0, false},
		{"90 days", 0, false},
		{"1y", 0, false},
	}
	for _, tt := range tests {
		got, err := audit.ParseAge(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if s := audit.FormatAge(90 * day); s != "90d" {
		t.Errorf("FormatAge(90 days) = %q", s)
	}
}

// TestConfigAuditSection: the audit: section of the destinations config
// sets the thresholds, the destinations parser accepts it beside
// destinations:, and a mistake in it names its line.
func TestConfigAuditSection(t *testing.T) {
	file := "destinations:\n  ci-env:\n    dotenv: {path: /tmp/x.env, var: NEON_API_KEY}\naudit:\n  never_used: 14d\n  max_age: 12w\n"
	if _, err := destination.Parse([]byte(file), "/c.yaml", "/home/u"); err != nil {
		t.Fatalf("the destinations parser refuses an audit: section: %v", err)
	}
	th, err := audit.ParseConfig([]byte(file), "/c.yaml", audit.Defaults())
	want := audit.Thresholds{NeverUsed: 14 * day, Unused: 90 * day, MaxAge: 84 * day}
	if err != nil || th != want {
		t.Fatalf("ParseConfig = %+v, %v; want %+v", th, err, want)
	}
	for _, bad := range []struct{ file, want string }{
		{"audit:\n  unsed: 10d\n", "/c.yaml:2: audit: unknown field \"unsed\""},
		{"audit:\n  max_age: soon\n", "/c.yaml:2: audit: max_age: \"soon\" is not an age"},
		{"audit:\n  max_age: [1]\n", "/c.yaml:2: audit: max_age: want an age"},
		{"audit: 90d\n", "/c.yaml:1: audit must be a mapping"},
	} {
		if _, err := audit.ParseConfig([]byte(bad.file), "/c.yaml", audit.Defaults()); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseConfig(%q) = %v, want %q", bad.file, err, bad.want)
		}
	}
	if th, err := audit.ParseConfig([]byte("destinations:\n"), "/c.yaml", audit.Defaults()); err != nil || th != audit.Defaults() {
		t.Errorf("no audit: section: %+v, %v; want the defaults", th, err)
	}
}

// TestReadConfigFromTheLoadedFile: ReadConfig reads the content
// destination.Load found and checked, not the file again (a file changed or
// swapped after the checks is not read); without one, the defaults.
func TestReadConfigFromTheLoadedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte("audit:\n  unused: 45d\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == destination.EnvConfig {
			return path
		}
		return ""
	}
	cfg, err := destination.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("audit:\n  unused: 10d\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	th, err := audit.ReadConfig(cfg)
	if err != nil || th.Unused != 45*day {
		t.Fatalf("ReadConfig = %+v, %v", th, err)
	}
	missing := func(k string) string {
		if k == destination.EnvConfig {
			return filepath.Join(dir, "none.yaml")
		}
		return ""
	}
	if _, err := destination.Load(missing); !errors.Is(err, destination.ErrNoConfig) {
		t.Fatalf("Load of a missing file: %v", err)
	}
	if th, err := audit.ReadConfig(nil); err != nil || th != audit.Defaults() {
		t.Fatalf("ReadConfig(nil) = %+v, %v", th, err)
	}
}
