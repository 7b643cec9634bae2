package neontest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// The hand-written list encoder must decode to exactly what encoding/json
// makes of the wire structs, for awkward text too.
func TestEncodeKeyListMatchesEncodingJSON(t *testing.T) {
	st := newStore()
	creator := &userRec{User: User{ID: "u-1", Name: "Zoë \"Z\" <x> & \\ \u2028 \x01 \xff", Image: "https://img/1"}}
	st.users[creator.ID] = creator
	when := time.Date(2025, 6, 7, 8, 9, 10, 0, time.FixedZone("X", 3600))
	keys := []*apiKey{
		{KeyInfo: KeyInfo{Name: "plain", UserID: "u-1", CreatedBy: "u-1", CreatedAt: when}},
		{KeyInfo: KeyInfo{Name: "tab\tnew\nline\r\x7f é 😀", UserID: "u-1", CreatedBy: "u-1", CreatedAt: when, LastUsedAt: when, LastUsedFrom: "2001:db8::1"}},
		{KeyInfo: KeyInfo{Name: "scoped", OrgID: "org-a", ProjectID: "p-1", CreatedBy: "ghost", CreatedAt: when}},
		{KeyInfo: KeyInfo{Name: "revoked", UserID: "u-1", CreatedBy: "u-1", CreatedAt: when}},
	}
	for i, k := range keys {
		st.insertKey(k, newToken())
		if i == 3 {
			st.revokeKey(k)
		}
	}
	var want []wireKeyItem
	for _, k := range keys[:3] {
		want = append(want, keyItem(&k.KeyInfo, st.creator(k.CreatedBy), true))
	}
	wantJSON, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got := encodeKeyList(keys)
	var gotV, wantV any
	if err := json.Unmarshal(got, &gotV); err != nil {
		t.Fatalf("hand encoder made invalid JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(wantJSON, &wantV); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotV, wantV) {
		t.Errorf("hand encoder:\n%s\nencoding/json:\n%s", got, wantJSON)
	}
	if string(encodeKeyList(nil)) != "[]" {
		t.Errorf("empty list: %s", encodeKeyList(nil))
	}
}

func TestTokensAndIDs(t *testing.T) {
	toks := newTokens(1000)
	seen := map[string]bool{}
	for _, tok := range toks {
		if len(tok) != len(tokenPrefix)+tokenLen || tok[:5] != tokenPrefix || seen[tok] {
			t.Fatalf("bad or duplicate token %q", tok)
		}
		for _, c := range tok[5:] {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
				t.Fatalf("token %q has %q", tok, c)
			}
		}
		seen[tok] = true
	}
	if id := neonStyleID(6); !validID(id) {
		t.Errorf("project id %q", id)
	}
	if u := newUUID(); len(u) != 36 || u[14] != '4' {
		t.Errorf("uuid %q", u)
	}
}
