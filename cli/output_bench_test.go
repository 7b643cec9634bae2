package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/secret"
)

func BenchmarkWriteKeysJSON(b *testing.B) {
	ks := make([]keys.Key, 10000)
	for i := range ks {
		ks[i] = keys.Key{APIKey: neonapi.APIKey{ID: int64(1000000 + i), Name: "key-name", CreatedAt: time.Now(),
			CreatedBy: neonapi.Creator{ID: "9b0c4bab-5b8e-468d-8379-b03a95aadefa", Name: "Ada Lovelace"}}}
	}
	red := secret.NewRedactor("napi_abcdefghijklmnopqrstuvwxyz")
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		// The whole path of list -o json: clean the values, encode, and
		// redact and clean each line on its way out.
		w := newCleanWriter(red, &buf, true)
		cleanStrings(ks, secret.StripControl)
		_ = writeKeysJSON(w, ks)
		_ = w.Flush()
	}
}

func BenchmarkWriteKeysYAML(b *testing.B) {
	ks := make([]keys.Key, 10000)
	for i := range ks {
		ks[i] = keys.Key{APIKey: neonapi.APIKey{ID: int64(1000000 + i), Name: "key-name", CreatedAt: time.Now(),
			CreatedBy: neonapi.Creator{ID: "9b0c4bab-5b8e-468d-8379-b03a95aadefa", Name: "Ada Lovelace"}}}
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		_ = writeKeysYAML(&buf, ks)
	}
}
