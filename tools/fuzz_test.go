package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
)

// FuzzToolArguments sends arbitrary bytes as the arguments of each mutating
// tool, through the real server (schema validation, middleware, handler)
// against the fake API. Properties: nothing panics or turns into an internal
// error; the fake sees a POST or DELETE only when an independent strict
// reading of the arguments finds a JSON object with exactly the tool's
// fields, each valid, and confirm the JSON boolean true; the credential
// never appears in an answer or on stderr. The reverse holds too, as a
// positive control that the harness is not blind: a valid confirmed call on
// the fixture's own project or spare key does send its POST or DELETE.
//
// The seed corpus (testdata/fuzz/FuzzToolArguments) runs with every
// `go test`; explore further with
//
//	go test ./tools -run '^$' -fuzz FuzzToolArguments -fuzztime 60s
//
// In inputs, PROJECT, ORG and SPARE stand for the fixture's project id,
// organization id and a spare key id (ids are random per fake).
func FuzzToolArguments(f *testing.F) {
	f.Add(uint8(0), []byte(`{"project_id":"PROJECT","key_name":"ci","confirm":true}`))
	f.Add(uint8(1), []byte(`{"key_id":SPARE,"confirm":"true"}`))
	f.Add(uint8(2), []byte(`{"key_id":SPARE,"confirm":false,"confirm":true}`))
	tools := []string{"create_project_scoped_key", "revoke_api_key", "rotate_api_key"}
	f.Fuzz(func(t *testing.T, which uint8, raw []byte) {
		tool := tools[int(which)%len(tools)]
		e := newEnv(t)
		_, spare := e.fake.AddPersonalKey(e.fx.Admin.ID, "scratch")
		raw = bytes.ReplaceAll(raw, []byte("PROJECT"), []byte(e.fx.OrgProject.ID))
		raw = bytes.ReplaceAll(raw, []byte("ORG"), []byte(e.fx.Org.ID))
		raw = bytes.ReplaceAll(raw, []byte("SPARE"), []byte(strconv.FormatInt(spare, 10)))
		if !json.Valid(raw) {
			// A client cannot send invalid JSON as arguments: the whole
			// message would not parse. The decoder alone must still hold.
			raw = mustJSONString(raw)
		}
		c := e.client()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req := mcp.CallToolRequest{}
		req.Params.Name = tool
		req.Params.Arguments = json.RawMessage(raw)
		res, err := c.CallTool(ctx, req)
		if err == nil {
			e.assertClean(res)
			if strings.Contains(text(res), "Internal error") {
				t.Fatalf("%s %s: internal error: %s", tool, raw, text(res))
			}
		}
		if strings.Contains(e.stderr.String(), "panicked") {
			t.Fatalf("%s %s: the handler panicked:\n%s", tool, raw, e.stderr.String())
		}
		muts := e.mutations()
		why := mayMutate(tool, raw)
		if len(muts) == 0 {
			if why == "" && namesFixture(tool, raw, e.fx.OrgProject.ID, spare) {
				t.Fatalf("%s %s: valid, confirmed, on the fixture's own objects, yet no POST or DELETE reached the API: %s", tool, raw, text(res))
			}
			return
		}
		if why != "" {
			t.Fatalf("%s %s sent %s %s although %s", tool, raw, muts[0].Method, muts[0].Path, why)
		}
	})
}

// namesFixture reports whether arguments the oracle accepts name objects the
// server may act on: the fixture's org project for a create, the spare key
// for a revoke or rotate, and no org_id (a valid-looking org of someone
// else is refused before any request, as it must be). A null optional
// field is left out too: the server refuses it, stricter than the oracle.
func namesFixture(tool string, raw []byte, project string, spare int64) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return false
	}
	if _, ok := fields["org_id"]; ok {
		return false
	}
	for _, v := range fields {
		if string(bytes.TrimSpace(v)) == "null" {
			return false
		}
	}
	if tool == "create_project_scoped_key" {
		var p string
		return json.Unmarshal(fields["project_id"], &p) == nil && p == project
	}
	return string(bytes.TrimSpace(fields["key_id"])) == strconv.FormatInt(spare, 10)
}

// mustJSONString wraps arbitrary bytes as a JSON string value.
func mustJSONString(b []byte) []byte {
	out, _ := json.Marshal(string(b))
	return out
}

var (
	fuzzIDPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	fuzzKeyIDPattern = regexp.MustCompile(`^[1-9][0-9]{0,17}$`)
)

// mayMutate is the oracle: "" when the arguments are a clean call that may
// change something, else why not. It reads the JSON on its own terms
// (exact, case-sensitive field names; no duplicates), not through bind.
func mayMutate(tool string, raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "the arguments are not an object"
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "malformed object"
		}
		k := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "malformed value"
		}
		if _, dup := fields[k]; dup {
			return fmt.Sprintf("%q is given twice", k)
		}
		fields[k] = v
	}
	if _, err := dec.Token(); err != nil {
		return "malformed object end"
	}
	if _, err := dec.Token(); err != io.EOF {
		return "trailing data"
	}
	if string(bytes.TrimSpace(fields["confirm"])) != "true" {
		return "confirm is not the JSON boolean true"
	}
	str := func(name string, required bool, check func(string) bool) string {
		v, ok := fields[name]
		if !ok || string(v) == "null" {
			if required {
				return name + " is missing"
			}
			return ""
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return name + " is not a string"
		}
		if !check(s) && !(s == "" && !required) {
			return name + " is invalid"
		}
		return ""
	}
	validName := contractKeyName
	keyID := func() string {
		v, ok := fields["key_id"]
		if !ok || !fuzzKeyIDPattern.Match(bytes.TrimSpace(v)) {
			return "key_id is not a positive integer"
		}
		return ""
	}
	allowed := map[string]bool{"confirm": true, "org_id": true}
	var whys []string
	switch tool {
	case "create_project_scoped_key":
		allowed["project_id"], allowed["key_name"] = true, true
		whys = append(whys, str("project_id", true, fuzzIDPattern.MatchString), str("key_name", true, validName))
	case "revoke_api_key":
		allowed["key_id"] = true
		whys = append(whys, keyID())
	case "rotate_api_key":
		allowed["key_id"], allowed["new_key_name"] = true, true
		whys = append(whys, keyID(), str("new_key_name", false, validName))
	}
	whys = append(whys, str("org_id", false, fuzzIDPattern.MatchString))
	for k := range fields {
		if !allowed[k] {
			whys = append(whys, fmt.Sprintf("%q is not an argument of %s", k, tool))
		}
	}
	for _, w := range whys {
		if w != "" {
			return w
		}
	}
	return ""
}

// contractKeyName is the key-name rule written out from the contract, not
// taken from the product (keys.CheckName), so a bug there shows: not blank,
// valid UTF-8, at most 64 characters (runes), and no control, format or
// invisible character: Cc, Cf (bidi overrides, zero-width), the other
// default-ignorable characters (U+034F, Hangul fillers), variation
// selectors, blanks other than the plain space, and U+2800 (a blank cell).
func contractKeyName(s string) bool {
	if strings.TrimSpace(s) == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > 64 {
		return false
	}
	for _, r := range s {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) ||
			(unicode.Is(unicode.White_Space, r) && r != ' ') || r == '\u2800' {
			return false
		}
	}
	return true
}
