package testkit

import (
	"strings"
	"sync"
	"testing"
)

func TestSyncBufferConcurrentWrites(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = b.Write([]byte("x"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := len(b.Bytes()); got != 800 {
		t.Fatalf("%d bytes after 800 one-byte writes", got)
	}
}

func TestRedactTokens(t *testing.T) {
	tok := "napi_" + strings.Repeat("ab12", 10)
	got := RedactTokens("key " + tok + " end")
	if want := "key napi_…ab12 end"; got != want {
		t.Fatalf("RedactTokens = %q, want %q", got, want)
	}
}

func TestMask(t *testing.T) {
	got := mask("a napi_secret123 b", []string{"", "napi_secret123"})
	if strings.Contains(got, "napi_secret123") {
		t.Fatalf("mask left the secret: %q", got)
	}
}
