package cli

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/secret"
)

// TestAppendKeyJSONMatchesEncodingJSON checks the hand-written encoder
// against encoding/json on awkward names: both must decode to the same value.
func TestCLIAppendKeyJSONMatchesEncodingJSON(t *testing.T) {
	used := time.Date(2025, 1, 2, 3, 4, 5, 600, time.UTC)
	names := []string{"plain", `quote " and \ backslash`, "tab\tnew\nline\r", "ctl \x00\x01\x1f\x7f", "bidi \u202e evil", "line sep \u2028\u2029",
		"bad utf8 \xff\xfe", "emoji 🔑 ключ", "<html>&amp;", ""}
	for _, name := range names {
		k := keys.Key{APIKey: neonapi.APIKey{ID: 1234567, Name: name, CreatedAt: used,
			CreatedBy: neonapi.Creator{ID: "u-1", Name: name, Image: "https://x/y.png"}, LastUsedFromAddr: "192.0.2.1"}, OrgID: "org-a"}
		for _, lastUsed := range []*time.Time{nil, &used} {
			k.LastUsedAt = lastUsed
			got := appendKeyJSON(nil, &k, secret.NewRedactor())
			want, err := json.Marshal(k)
			if err != nil {
				t.Fatal(err)
			}
			var gotV, wantV any
			if err := json.Unmarshal(got, &gotV); err != nil {
				t.Fatalf("name %q: invalid JSON %s: %v", name, got, err)
			}
			_ = json.Unmarshal(want, &wantV)
			gb, _ := json.Marshal(gotV)
			wb, _ := json.Marshal(wantV)
			if !bytes.Equal(gb, wb) {
				t.Errorf("name %q:\n got %s\nwant %s", name, gb, wb)
			}
		}
	}
}

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
		_ = writeKeysJSON(&buf, ks, red)
	}
}
