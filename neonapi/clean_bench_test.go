package neonapi

import (
	"testing"

	json "github.com/segmentio/encoding/json"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

// BenchmarkDecodeAPIKeys10kClean is what the client does with a 10,000-key
// answer once it has the bytes: decode, then clean every string ("clean"),
// beside the same decode alone ("decode-only"), for the cost of the
// cleaning walk.
func BenchmarkDecodeAPIKeys10kClean(b *testing.B) {
	srv := neontest.New(b, neontest.WithoutRequestLog())
	user := srv.AddUser("Ada Lovelace")
	token, _ := srv.AddPersonalKey(user.ID, "laptop")
	srv.AddPersonalKeys(user.ID, 9999)
	c, err := New(Options{Token: token, BaseURL: srv.URL(), Redactor: secret.NewRedactor()})
	if err != nil {
		b.Fatal(err)
	}
	_, _, body, err := c.attempt(b.Context(), "GET", "/api_keys", nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, clean := range []bool{true, false} {
		name := "clean"
		if !clean {
			name = "decode-only"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var keys []APIKey
				if err := json.Unmarshal(body, &keys); err != nil {
					b.Fatal(err)
				}
				if clean {
					c.cleanDecoded(&keys)
				}
				if len(keys) != 10000 {
					b.Fatalf("decoded %d keys, want 10000", len(keys))
				}
			}
		})
	}
}
