package neonapi

import (
	"strings"
	"testing"
)

// repeatJSON is a JSON array of n copies of item.
func repeatJSON(item string, n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]"
}

func TestCheckItems(t *testing.T) {
	nested := strings.Repeat(`{"a":`, maxNesting) + "1" + strings.Repeat("}", maxNesting)
	tests := []struct {
		name, body string
		want       string // part of the limit named, "" for none
	}{
		{"keys at the cap", repeatJSON(`{"id":1,"name":"k"}`, maxListItems), ""},
		{"keys past the cap", repeatJSON(`{"id":1}`, maxListItems+1), "more than 20000 items"},
		{"empty objects past the cap", repeatJSON(`{}`, maxListItems+1), "more than 20000 items"},
		{"numbers past the cap", repeatJSON(`1`, maxListItems+1), "more than 20000 items"},
		{"wrapped list past the cap", `{"organizations":` + repeatJSON(`{}`, maxListItems+1) + `}`, "more than 20000 items"},
		{"items of every array add up", `{"a":` + repeatJSON(`{}`, maxListItems/2) + `,"b":` + repeatJSON(`[]`, maxListItems/2+1) + `}`, "more than 20000 items"},
		// Keys, members of one object and brackets inside strings are no items.
		{"one wide object", "{" + strings.TrimSuffix(strings.Repeat(`"k":1,`, maxListItems+1), ",") + "}", ""},
		{"brackets in a string", `["` + strings.Repeat("[{,", maxListItems) + `"]`, ""},
		{"nesting at the bound", nested, ""},
		{"nesting past the bound", "[" + nested + "]", "deeper than 64 levels"},
		{"escaped quotes", `["\\", "\"]\\\"", "\\\\"]`, ""},
		{"escaped quote then items", `["\\"` + strings.Repeat(",1", maxListItems) + "]", "more than 20000 items"},
		{"escaped quote inside", `["\"` + strings.Repeat(",1", maxListItems) + `"]`, ""},
		{"unterminated string", `["` + strings.Repeat("1,", maxListItems+1), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkItems([]byte(tt.body))
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Fatalf("checkItems = %q, want %q", got, tt.want)
			}
		})
	}
}

// BenchmarkCheckItems10k is the scan of a 10,000-key list (2.4 MB) before
// its decode: with segmentio's Tokenizer it took 19 ms, a third of the
// list's decode (BenchmarkListAPIKeys10k); the byte loop takes about 4.
func BenchmarkCheckItems10k(b *testing.B) {
	item := `{"id":1000001,"name":"ci-deploy","created_at":"2025-03-14T15:09:26Z","created_by":{"id":"9b0c4bab-5b8e-468d-8379-b03a95aadefa","name":"Ada Lovelace","image":""},"last_used_at":"2025-03-14T15:09:26Z","last_used_from_addr":"203.0.113.9"}`
	body := []byte(repeatJSON(item, 10000))
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if limit := checkItems(body); limit != "" {
			b.Fatal(limit)
		}
	}
}
