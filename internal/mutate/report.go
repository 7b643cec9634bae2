package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// printReport prints one line per mutation and the caught/total figure.
func printReport(w io.Writer, results []Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tOUTCOME\tFILE\tCAUGHT BY / WHY")
	counts := map[Outcome]int{}
	for _, r := range results {
		counts[r.Outcome]++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Mutation.ID, r.Outcome, r.Mutation.File, why(r))
	}
	tw.Flush()
	fmt.Fprintln(w)
	if counts[Applies] > 0 {
		fmt.Fprintf(w, "applies: %d/%d, broken: %d\n", counts[Applies], len(results), counts[Broken])
		return
	}
	fmt.Fprintf(w, "caught: %d/%d, survived: %d, broken: %d\n", counts[Caught], len(results), counts[Survived], counts[Broken])
	for _, r := range results {
		if r.Outcome == Survived {
			fmt.Fprintf(w, "SURVIVED %s: %s (%s)\n", r.Mutation.ID, r.Mutation.Desc, strings.Join(r.Mutation.Packages, " "))
		}
	}
}

// why is the last column: the failing tests (at most 3), or the reason.
func why(r Result) string {
	if r.Detail != "" && r.Outcome != Caught {
		return strings.ReplaceAll(r.Detail, "\n", " | ")
	}
	s := r.Detail
	if len(r.Failed) > 0 {
		shown := r.Failed
		if len(shown) > 3 {
			shown = shown[:3]
		}
		s = strings.Join(shown, ", ")
		if n := len(r.Failed) - len(shown); n > 0 {
			s += fmt.Sprintf(" (+%d)", n)
		}
	}
	return s
}
