package keys_test

import (
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
)

// SplitRotated is what audit and destination read a rotated name with, so
// it must undo exactly what RotatedName writes and refuse look-alikes.
func TestSplitRotated(t *testing.T) {
	at := time.Date(2025, 6, 1, 9, 20, 30, 0, time.UTC)
	long := strings.Repeat("x", keys.MaxNameLen)
	tests := []struct {
		name     string
		in       string
		wantBase string
		wantOK   bool
	}{
		{"plain name", "ci-deploy", "", false},
		{"rotated", "ci-deploy-rotated-20250601T092030Z", "ci-deploy", true},
		{"rotated twice reads the last suffix", "a-rotated-20240101T000000Z-rotated-20250601T092030Z", "a-rotated-20240101T000000Z", true},
		{"marker without a time", "ci-rotated-soon", "", false},
		{"time without its Z", "ci-rotated-20250601T092030", "", false},
		{"trailing text after the time", "ci-rotated-20250601T092030Z-x", "", false},
		{"empty base", "-rotated-20250601T092030Z", "", true},
		{"made by RotatedName", keys.RotatedName("svc", at), "svc", true},
		{"long name cut by RotatedName", keys.RotatedName(long, at), long[:keys.MaxRotatedBaseLen], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, got, ok := keys.SplitRotated(tt.in)
			if ok != tt.wantOK || base != tt.wantBase {
				t.Fatalf("SplitRotated(%q) = %q, %v; want %q, %v", tt.in, base, ok, tt.wantBase, tt.wantOK)
			}
			if ok && !got.Equal(at) {
				t.Errorf("SplitRotated(%q) time = %v, want %v", tt.in, got, at)
			}
		})
	}
}
