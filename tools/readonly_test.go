package tools_test

import (
	"slices"
	"testing"

	"github.com/neonkeys/neonkeys/secret"
	"github.com/neonkeys/neonkeys/tools"
)

// TestReadOnlyIsWhatTheHintsSay: --read-only serves exactly the tools whose
// readOnlyHint (what clients are told) says they change nothing.
func TestReadOnlyIsWhatTheHintsSay(t *testing.T) {
	d := tools.Deps{Redactor: secret.NewRedactor()}
	served := map[string]bool{}
	for _, st := range tools.ReadOnly(d) {
		served[st.Tool.Name] = true
	}
	hinted := 0
	for _, st := range tools.All(d) {
		h := st.Tool.Annotations.ReadOnlyHint
		readOnly := h != nil && *h
		if readOnly {
			hinted++
		}
		if served[st.Tool.Name] != readOnly {
			t.Errorf("%s: readOnlyHint %v, served read-only %v", st.Tool.Name, readOnly, served[st.Tool.Name])
		}
	}
	if hinted == 0 || len(served) != hinted {
		t.Fatalf("%d tools hinted read-only, %d served", hinted, len(served))
	}
	// ReadOnly is derived from the hints, so the loop above checks the
	// derivation; this checks the hints themselves against the contract: a
	// mutating tool wrongly hinted read-only would be served by --read-only.
	want := []string{"audit_api_keys", "list_api_keys", "list_destinations", "list_projects", "whoami"}
	var got []string
	for _, st := range tools.ReadOnly(d) {
		got = append(got, st.Tool.Name)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("--read-only serves %v, want exactly %v", got, want)
	}
}
