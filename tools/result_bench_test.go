package tools

import (
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
)

// The tool's own share of a list_api_keys call, beside the stdio and HTTP
// costs the bench/ script measures: checking the arguments against the
// schema, and building the structured result the middleware then redacts.

func BenchmarkArgsValidation(b *testing.B) {
	tool := ListAPIKeys(Deps{}).Tool
	v := newArgsValidator(tool.Name, tool.RawInputSchema)
	raw := []byte(`{"limit":50,"name_contains":"key-1"}`)
	if _, p := v.check(raw); p.refusal != "" {
		b.Fatal(p.refusal)
	}
	for b.Loop() {
		v.check(raw)
	}
}

func BenchmarkStructuredListResult(b *testing.B) {
	out := listAPIKeysResult{Total: 4, Returned: 4}
	for i := range 4 {
		out.Keys = append(out.Keys, newKeyView(keys.Key{APIKey: neonapi.APIKey{
			ID: int64(1000001 + i), Name: "ci-deploy", CreatedAt: time.Now(), LastUsedFromAddr: "203.0.113.7",
			CreatedBy: neonapi.Creator{ID: "9b0c4bab-5b8e-468d-8379-b03a95aadefa", Name: "Ada Lovelace"},
		}}))
	}
	for b.Loop() {
		structured(out, "4 keys")
	}
}
