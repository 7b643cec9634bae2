package tools_test

import (
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
}
