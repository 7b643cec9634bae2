package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/neonkeys/neonkeys/ids"
)

// argsValidator checks a call's arguments against its tool's input schema
// before the handler runs. It replaces mcp-go's WithInputSchemaValidation,
// whose messages quote the rejected values (a credential pasted into org_id
// would be echoed back) and which answers before any of our redaction,
// logging or previews.
type argsValidator struct {
	schema func() (*jsonschema.Schema, error) // compiled on first use: start-up stays fast
}

func newArgsValidator(tool string, rawSchema json.RawMessage) *argsValidator {
	return &argsValidator{schema: sync.OnceValues(func() (*jsonschema.Schema, error) {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(rawSchema))
		if err != nil {
			return nil, fmt.Errorf("tool %s: input schema: %w", tool, err)
		}
		c := jsonschema.NewCompiler()
		url := "neonkeys:///" + tool + ".json"
		if err := c.AddResource(url, doc); err != nil {
			return nil, fmt.Errorf("tool %s: input schema: %w", tool, err)
		}
		return c.Compile(url)
	})}
}

// problem is what the validator found wrong with a call's arguments.
type problem struct {
	// refusal, when set, is the whole answer: nothing runs.
	refusal string
	// confirmNote is set when confirm alone is wrong (a string, a number,
	// null): the handler then runs without confirm, so the model gets the
	// usual preview, and the note says what was wrong.
	confirmNote string
}

// check validates raw (the arguments as the client sent them). It returns
// the arguments the handler should see: raw itself, or raw without confirm.
func (v *argsValidator) check(raw []byte) ([]byte, problem) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		trimmed = []byte("{}")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(trimmed))
	if err != nil {
		return nil, problem{refusal: "the arguments are not valid JSON"}
	}
	schema, err := v.schema()
	if err != nil {
		return nil, problem{refusal: "internal error: the tool's input schema does not compile"}
	}
	err = schema.Validate(doc)
	if err == nil {
		if len(raw) > maxArgsBytes { // valid, yet padded with white space
			return nil, problem{refusal: fmt.Sprintf("the arguments are %d bytes long; at most %d are accepted", len(raw), maxArgsBytes)}
		}
		return trimmed, problem{}
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return nil, problem{refusal: "the arguments could not be checked"}
	}
	leaves := leafErrors(verr)
	if obj, ok := doc.(map[string]any); ok && onlyConfirm(leaves) {
		delete(obj, "confirm")
		without, err := json.Marshal(obj)
		if err != nil {
			return nil, problem{refusal: "the arguments could not be checked"}
		}
		return without, problem{confirmNote: "confirm must be the JSON boolean true, not " + describeJSON(raw) + "; nothing was changed."}
	}
	msgs := make([]string, 0, len(leaves))
	for _, l := range leaves {
		if m := describeViolation(l); !slices.Contains(msgs, m) {
			msgs = append(msgs, m)
		}
	}
	return nil, problem{refusal: "invalid arguments: " + strings.Join(msgs, "; ")}
}

// leafErrors flattens a validation error tree to the errors that say what
// is wrong (the inner nodes only group them).
func leafErrors(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leafErrors(c)...)
	}
	return out
}

func onlyConfirm(leaves []*jsonschema.ValidationError) bool {
	for _, l := range leaves {
		if len(l.InstanceLocation) != 1 || l.InstanceLocation[0] != "confirm" {
			return false
		}
	}
	return len(leaves) > 0
}

// describeJSON names the JSON type of the confirm value the client sent.
func describeJSON(raw []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return "that value"
	}
	v := bytes.TrimSpace(fields["confirm"])
	switch {
	case len(v) == 0:
		return "that value"
	case v[0] == '"':
		return "a string"
	case v[0] == '{':
		return "an object"
	case v[0] == '[':
		return "an array"
	case bytes.Equal(v, []byte("null")):
		return "null"
	default:
		return "a number"
	}
}

// describeViolation says what is wrong in a plain sentence that never
// quotes the value sent (it may be a secret, or text meant for the model):
// only property names declared by our own schema, and numbers from it.
func describeViolation(e *jsonschema.ValidationError) string {
	field := "the arguments"
	if len(e.InstanceLocation) > 0 {
		field = e.InstanceLocation[0]
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		if field == "the arguments" {
			return "the arguments must be a JSON object"
		}
		return fmt.Sprintf("%s must be %s", field, article(strings.Join(k.Want, " or ")))
	case *kind.Required:
		return fmt.Sprintf("%s is required", strings.Join(k.Missing, ", "))
	case *kind.AdditionalProperties:
		return fmt.Sprintf("%d unknown field(s); this tool takes only the fields of its schema", len(k.Properties))
	case *kind.MinLength:
		if k.Want <= 1 {
			return field + " must not be empty"
		}
		return fmt.Sprintf("%s must be at least %d characters long", field, k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("%s is %d characters long; at most %d are allowed", field, k.Got, k.Want)
	case *kind.Pattern: // only ids carry a pattern (package ids)
		return field + " holds characters that are not allowed (" + ids.Rule + ")"
	case *kind.Minimum:
		return fmt.Sprintf("%s must be at least %s", field, k.Want.RatString())
	case *kind.Maximum:
		return fmt.Sprintf("%s must be at most %s", field, k.Want.RatString())
	case *kind.Enum:
		return field + " is not one of the allowed values"
	default:
		return field + " is not valid"
	}
}
