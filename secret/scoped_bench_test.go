package secret

import "testing"

// BenchmarkScoped measures what remote mode does per request: a redactor
// scoped to the request's credential, under the process redactor.
func BenchmarkScoped(b *testing.B) {
	parent := NewRedactor()
	token := "napi_1d2mmt75mtimxby66mkodzj6ncvyhr8jtr7kg5ynm07oc2i0a05lvvn1tjflntkmtw80"
	b.ReportAllocs()
	for b.Loop() {
		_ = parent.Scoped(token)
	}
}
