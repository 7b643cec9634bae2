package secret

import (
	"fmt"
	"strings"
	"testing"
)

// TestExactPassRunsWhenThePieceIndexCannotSee: the exact pass is skipped
// when the piece index finds nothing, which is sound only for the values
// the index covers. Values it cannot see alone must still be masked.
func TestExactPassRunsWhenThePieceIndexCannotSee(t *testing.T) {
	tests := []struct {
		name  string
		value string
	}{
		{"short value", "s3cr3t-pw"},                               // skeleton under 16 characters
		{"value holding the mask", "abcdefgh" + Mask + "ijklmnop"}, // the index reads either side of a Mask apart
		{"long value", "Zq8xT2mK9vR4wL7pN3bH6cJ1"},
		{"value with punctuation", "Zq8x.T2mK/9vR4+wL7pN=3bH6cJ1=="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRedactor()
			for i := range 64 { // a process redactor holding many minted tokens
				r.Add(fmt.Sprintf("napi_%048d", i))
			}
			r.Add(tt.value)
			got := r.Redact("before " + tt.value + " after")
			if strings.Contains(got, tt.value) || got != "before "+Mask+" after" {
				t.Errorf("Redact = %q, want the value masked whole", got)
			}
		})
	}
}
