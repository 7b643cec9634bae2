// Package buildinfo says which build of neonkeys is running: the release
// tag, commit and date that a release build stamps in (.goreleaser.yaml),
// else what the Go toolchain recorded: the module version of a
// `go install github.com/neonkeys/neonkeys@vX` build, the commit and
// commit time of a build from a checkout.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// The release build sets these with -ldflags -X, which can only set
// package-level string variables: they are written by the linker, never
// by code. .goreleaser.yaml names them.
var (
	version string
	commit  string
	date    string
)

// Info identifies a build. Commit and Date are empty when nothing
// recorded them (a `go install …@vX` build records only the version).
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Date    string `json:"date,omitempty"` // RFC 3339, the commit's time
}

// Dev is the version of a build nothing stamped (a test binary, a build
// outside a module checkout).
const Dev = "dev"

// Read returns the running binary's build information.
func Read() Info {
	return resolve(Info{Version: version, Commit: commit, Date: date}, debug.ReadBuildInfo)
}

// resolve prefers what the release build stamped, field by field, over
// what the toolchain recorded in the binary.
func resolve(stamped Info, read func() (*debug.BuildInfo, bool)) Info {
	info := fromToolchain(read)
	if stamped.Version != "" {
		info.Version = stamped.Version
	}
	if stamped.Commit != "" {
		info.Commit = stamped.Commit
	}
	if stamped.Date != "" {
		info.Date = stamped.Date
	}
	if info.Version == "" {
		info.Version = Dev
	}
	return info
}

// fromToolchain reads the module version and the VCS settings the go
// command records: "(devel)" is its word for no version.
func fromToolchain(read func() (*debug.BuildInfo, bool)) Info {
	bi, ok := read()
	if !ok {
		return Info{}
	}
	var info Info
	if v := bi.Main.Version; v != "(devel)" {
		info.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.Date = s.Value
		}
	}
	return info
}

// shortCommit is as many hex digits as git prints to name a commit
// unambiguously in a repository this size; the full id is in -o json.
const shortCommit = 12

// String is the one-line form `neonkeys version` prints and the MCP
// server announces: "v1.2.3 (commit 0123456789ab, built 2026-12-02T01:54:21Z)",
// or just the version when nothing recorded a commit or date.
func (i Info) String() string {
	var extra []string
	if c := i.Commit; c != "" {
		if len(c) > shortCommit {
			c = c[:shortCommit]
		}
		extra = append(extra, "commit "+c)
	}
	if i.Date != "" {
		extra = append(extra, "built "+i.Date)
	}
	if len(extra) == 0 {
		return i.Version
	}
	return i.Version + " (" + strings.Join(extra, ", ") + ")"
}
