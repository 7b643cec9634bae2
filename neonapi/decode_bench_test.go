package neonapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

// benchAccount starts a fake whose caller has n personal keys and returns
// it with the caller's token.
func benchAccount(b *testing.B, n int) (*neontest.Server, string) {
	b.Helper()
	srv := neontest.New(b, neontest.WithoutRequestLog())
	user := srv.AddUser("Ada Lovelace")
	token, _ := srv.AddPersonalKey(user.ID, "laptop")
	srv.AddPersonalKeys(user.ID, n-1)
	return srv, token
}

// BenchmarkListAPIKeys10k is `neonkeys list` on a 10,000-key account minus
// the process start: one GET over loopback, the read of a ~3 MB body and its
// decoding.
func BenchmarkListAPIKeys10k(b *testing.B) {
	srv, token := benchAccount(b, 10000)
	client, err := neonapi.New(neonapi.Options{Token: token, BaseURL: srv.URL(), Redactor: secret.NewRedactor()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		keys, err := client.ListAPIKeys(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(keys) != 10000 {
			b.Fatalf("listed %d keys, want 10000", len(keys))
		}
	}
}

// BenchmarkDecodeAPIKeys10k is the JSON decode of a 10,000-key answer
// alone, into the client's types.
func BenchmarkDecodeAPIKeys10k(b *testing.B) {
	srv, token := benchAccount(b, 10000)
	req, err := http.NewRequest(http.MethodGet, srv.URL()+"/api_keys", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("GET /api_keys: %d %v", resp.StatusCode, err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var keys []neonapi.APIKey
		if err := json.Unmarshal(body, &keys); err != nil {
			b.Fatal(err)
		}
		if len(keys) != 10000 {
			b.Fatalf("decoded %d keys, want 10000", len(keys))
		}
	}
}
