package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/ids"
)

// maxArgsBytes bounds the arguments a tool reads; the largest valid call is
// well under 1 KiB, and nothing oversize may reach the API.
const maxArgsBytes = 16 << 10

// maxFilterLen bounds the free-text filters (name_contains, search), also
// declared in the schemas. Ids are bounded by their types (package ids).
const maxFilterLen = 256

// maxFieldNameLen bounds a field name quoted back in a refusal.
const maxFieldNameLen = 64

// rawArguments returns the call's arguments as JSON, as the client sent them.
func rawArguments(req mcp.CallToolRequest) ([]byte, error) {
	if len(req.Params.RawArguments) > 0 {
		return req.Params.RawArguments, nil
	}
	if req.Params.Arguments == nil {
		return []byte("{}"), nil
	}
	if raw, ok := req.Params.Arguments.(json.RawMessage); ok {
		return raw, nil
	}
	return json.Marshal(req.Params.Arguments)
}

// bind decodes the arguments into T strictly (unknown fields, wrong types and
// trailing data are refused) and reports whether confirm is the JSON boolean
// true. mcp-go's GetBool would also accept "true" and 1: never use it.
//
// bind and the check* helpers below repeat some of what the schema
// validator (validate.go) checks first, on purpose: whether a mutation may
// run must not depend on a schema tag staying right.
func bind[T any](req mcp.CallToolRequest) (args T, confirmed bool, err error) {
	raw, err := rawArguments(req)
	if err != nil {
		return args, false, errors.New("the arguments are not valid JSON")
	}
	if len(raw) > maxArgsBytes {
		return args, false, fmt.Errorf("the arguments are %d bytes long; at most %d are accepted", len(raw), maxArgsBytes)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = []byte("{}")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return args, false, errors.New("the arguments must be a JSON object")
	}
	if k, dup := duplicateKey(raw); dup {
		if len(k) > maxFieldNameLen {
			k = k[:maxFieldNameLen] + "…"
		}
		return args, false, fmt.Errorf("invalid arguments: the field %q is given more than once", k)
	}
	confirmed = bytes.Equal(bytes.TrimSpace(fields["confirm"]), []byte("true"))

	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&args); err != nil {
		return args, false, fmt.Errorf("invalid arguments: %s", describeDecodeError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return args, false, errors.New("invalid arguments: trailing data after the object")
	}
	return args, confirmed, nil
}

// duplicateKey returns a top-level key that raw (a JSON object) holds more
// than once. Readers disagree on which value wins (Go keeps the last), so
// {"confirm": false, "confirm": true} must not count as a confirmation.
func duplicateKey(raw []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		k, _ := tok.(string)
		if seen[k] {
			return k, true
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", false
		}
	}
	return "", false
}

// describeDecodeError names the field at fault without quoting the value.
func describeDecodeError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("%s must be of type %s, not %s", typeErr.Field, typeErr.Type, typeErr.Value)
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return "malformed JSON"
	}
	return err.Error() // e.g. `json: unknown field "bogus"`
}

// checkID validates an optional project or organization id with its
// type's rule, the one its schema was made from.
func checkID[ID interface {
	~string
	Validate() error
}](field string, id ID) error {
	if id == "" {
		return nil
	}
	if err := id.Validate(); err != nil {
		return fmt.Errorf("%s %w", field, err)
	}
	return nil
}

// checkText validates an optional free-text filter.
func checkText(field, v string) error {
	switch {
	case !utf8.ValidString(v):
		return fmt.Errorf("%s is not valid UTF-8", field)
	case len(v) > maxFilterLen:
		return fmt.Errorf("%s is %d bytes long; at most %d are accepted", field, len(v), maxFilterLen)
	}
	return nil
}

// checkKeyID validates a key id.
func checkKeyID(id ids.KeyID) error {
	if id.Validate() != nil {
		return errors.New("key_id must be a positive integer (see list_api_keys)")
	}
	return nil
}

// limitOrDefault applies the default and bounds of a limit argument.
func limitOrDefault(limit *int, def, maxLimit int) (int, error) {
	if limit == nil {
		return def, nil
	}
	if *limit < 1 || *limit > maxLimit {
		return 0, fmt.Errorf("limit must be between 1 and %d", maxLimit)
	}
	return *limit, nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
