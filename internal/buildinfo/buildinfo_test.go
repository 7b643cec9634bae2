package buildinfo

import (
	"runtime/debug"
	"testing"
)

func toolchain(version string, settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
	return func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/neonkeys/neonkeys", Version: version}, Settings: settings}, true
	}
}

func noBuildInfo() (*debug.BuildInfo, bool) { return nil, false }

// TestResolve: what `neonkeys version` and the MCP serverInfo show for each
// way the binary can be built.
func TestResolve(t *testing.T) {
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "34eb093a1b2c3d4e5f60718293a4b5c6d7e8f901"}
	when := debug.BuildSetting{Key: "vcs.time", Value: "2026-12-01T20:00:00Z"}
	tests := []struct {
		name    string
		stamped Info
		read    func() (*debug.BuildInfo, bool)
		want    Info
		line    string
	}{
		{
			name:    "release build: the stamp wins over the checkout's pseudo-version",
			stamped: Info{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-12-02T01:54:21Z"},
			read:    toolchain("v0.0.0-20261202015421-0123456789ab", rev, when),
			want:    Info{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-12-02T01:54:21Z"},
			line:    "v1.2.3 (commit 0123456789ab, built 2026-12-02T01:54:21Z)",
		},
		{
			name: "go install …@v1.2.3: the module version, nothing else recorded",
			read: toolchain("v1.2.3"),
			want: Info{Version: "v1.2.3"},
			line: "v1.2.3",
		},
		{
			name: "go build in a checkout: the toolchain's version, commit and commit time",
			read: toolchain("v0.0.0-20261201200000-34eb093a1b2c+dirty", rev, when),
			want: Info{Version: "v0.0.0-20261201200000-34eb093a1b2c+dirty", Commit: rev.Value, Date: when.Value},
			line: "v0.0.0-20261201200000-34eb093a1b2c+dirty (commit 34eb093a1b2c, built 2026-12-01T20:00:00Z)",
		},
		{
			name: "go build with -buildvcs=false: (devel) is no version",
			read: toolchain("(devel)"),
			want: Info{Version: Dev},
			line: Dev,
		},
		{
			name: "no build information at all",
			read: noBuildInfo,
			want: Info{Version: Dev},
			line: Dev,
		},
		{
			name:    "a stamp of the version alone keeps the recorded commit",
			stamped: Info{Version: "v2.0.0"},
			read:    toolchain("(devel)", rev),
			want:    Info{Version: "v2.0.0", Commit: rev.Value},
			line:    "v2.0.0 (commit 34eb093a1b2c)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolve(tt.stamped, tt.read)
			if got != tt.want {
				t.Errorf("resolve = %+v, want %+v", got, tt.want)
			}
			if s := got.String(); s != tt.line {
				t.Errorf("String() = %q, want %q", s, tt.line)
			}
		})
	}
}

// TestReadInATestBinary: a test binary has no stamp and no module version,
// so Read says dev rather than an empty string.
func TestReadInATestBinary(t *testing.T) {
	if v := Read().Version; v != Dev {
		t.Errorf("Read().Version = %q, want %q", v, Dev)
	}
}
