package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// row is one line of the results table.
type row struct {
	what    string
	ours    string
	ref     string
	ratio   string
	target  string
	verdict string // "met", "**missed**", or "" (no target)
}

// verdict turns a check into the table's word.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// both joins two verdicts of one row (a ratio and an absolute target).
func both(a, b bool) string { return verdict(a && b) }

func writeTable(w io.Writer, header []string, rows [][]string) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---"
	}
	fmt.Fprintf(w, "|%s|\n", strings.Join(seps, "|"))
	for _, r := range rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
}

func writeResults(w io.Writer, rows []row) {
	cells := make([][]string, 0, len(rows))
	for _, r := range rows {
		v := r.verdict
		if v == "" {
			v = "—"
		}
		cells = append(cells, []string{r.what, r.ours, orDash(r.ref), orDash(r.ratio), orDash(r.target), v})
	}
	writeTable(w, []string{"measure", "neonkeys", "reference", "ratio", "target", "result"}, cells)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// dur formats a duration with three significant digits in a fitting unit.
func dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

// mib formats KiB as MiB.
func mib(kib int64) string {
	if kib <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

// times formats how many times a is faster or smaller than b.
func times(b, a float64) string {
	if a <= 0 || b <= 0 {
		return "—"
	}
	r := b / a
	if r >= 10 {
		return fmt.Sprintf("%.0f×", r)
	}
	return fmt.Sprintf("%.1f×", r)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// errText puts an error into a table cell.
func errText(err error) string {
	s := strings.ReplaceAll(err.Error(), "|", "/")
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return "error: " + s
}

func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
