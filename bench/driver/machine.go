package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// binarySize reports the size of the stripped neonkeys binary.
func (b *bench) binarySize() {
	st, err := os.Stat(b.cfg.neonkeys)
	if err != nil {
		b.fail("binary size", err)
		return
	}
	ref := ""
	if fl, err := os.Stat(b.cfg.floor); err == nil {
		ref = fmt.Sprintf("Go floor: %.1f MiB", float64(fl.Size())/(1<<20))
	}
	if b.peers() {
		if n, err := dirSize(filepath.Join(b.cfg.peers, "node_modules")); err == nil {
			ref += fmt.Sprintf("; peers: node + %.0f MiB of node_modules", float64(n)/(1<<20))
		}
	}
	b.add(row{what: "binary size (`-trimpath -ldflags='-s -w'`)", ours: fmt.Sprintf("%.1f MiB", float64(st.Size())/(1<<20)), ref: ref})
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n, err
}

// machine describes where the run happened.
func (b *bench) machine() []string {
	lines := []string{
		fmt.Sprintf("CPU: %s, %d cores (nproc); memory %s", cpuModel(), runtime.NumCPU(), memTotal()),
		fmt.Sprintf("OS: %s %s, kernel %s", runtime.GOOS, runtime.GOARCH, readTrim("/proc/sys/kernel/osrelease")),
		"Go: " + runtime.Version(),
	}
	if b.peers() {
		out, _ := exec.Command(b.node, "--version").Output()
		lines = append(lines, fmt.Sprintf("Node: %s; peers: npm `neon` %s, `@neondatabase/mcp-server-neon` %s",
			strings.TrimSpace(string(out)),
			pkgVersion(filepath.Join(b.cfg.peers, "node_modules/neon/package.json")),
			pkgVersion(filepath.Join(b.cfg.peers, "node_modules/@neondatabase/mcp-server-neon/package.json"))))
	}
	return lines
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	b, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kib int64
			fmt.Sscan(strings.TrimSpace(v), &kib)
			return fmt.Sprintf("%.0f GiB", float64(kib)/(1<<20))
		}
	}
	return "unknown"
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func pkgVersion(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "?"
	}
	var p struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return "?"
	}
	return p.Version
}

// writeReport prints the Markdown report.
func (b *bench) writeReport(w io.Writer, took time.Duration) {
	fmt.Fprintf(w, "\n### neonkeys benchmarks (%s)\n\n", time.Now().UTC().Format("2006-01-02"))
	for _, l := range b.machine() {
		fmt.Fprintf(w, "- %s\n", l)
	}
	fmt.Fprintf(w, "- Fake Neon API (`fakeneon`) on loopback; runs alternate between the tools; medians unless noted; the run took %s.\n\n", took.Round(time.Second))
	writeResults(w, b.rows)
	if len(b.scaleRows) > 0 {
		fmt.Fprintf(w, "\nGrowth with the account's size (cold `list -o json` medians of %d runs; the tool column is `%s` with a name filter and limit %d, median per call, and the server's peak RSS):\n\n", b.cfg.scaleRuns, listToolName, scaleLimit)
		writeTable(w, []string{"keys", "`neonkeys list` wall", "`neonkeys list` peak RSS", "Go floor", "`neon api-keys list`", "`list_api_keys` (MCP)"}, b.scaleRows)
	}
	for _, n := range b.notes {
		fmt.Fprintf(w, "\n%s\n", n)
	}
}
