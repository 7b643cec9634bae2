// Package ids holds Neon's identifiers as types: one definition per id, from
// which both the Go check and the JSON schema clients see are made, so the
// two cannot disagree.
//
// The formats are those of Neon's OpenAPI description: organization and
// project ids match ^[a-z0-9-]{1,60}$ ("org-morning-bread-81040908",
// "shiny-wind-12345678"); API key ids are positive int64 path parameters.
package ids

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/invopop/jsonschema"
)

// Limits of organization and project ids.
const (
	// MaxLen is the longest id Neon issues, in bytes (every allowed
	// character is one byte, so also in characters).
	MaxLen = 60
	// charsPattern is the set of characters of an id; the length is
	// checked apart so that a refusal can say which rule failed.
	charsPattern = `^[a-z0-9-]+$`
	// Rule says the format in words, for messages.
	Rule = "1 to 60 lowercase letters, digits and dashes"
)

var chars = regexp.MustCompile(charsPattern)

// Errors of the checks; each face wraps them with the field or flag at fault.
var (
	ErrEmpty   = errors.New("is empty")
	ErrTooLong = fmt.Errorf("is longer than %d characters", MaxLen)
	ErrChars   = errors.New("may hold only lowercase letters, digits and dashes")
	ErrKeyID   = errors.New("must be a positive integer")
)

// OrgID is a Neon organization id.
type OrgID string

// ProjectID is a Neon project id.
type ProjectID string

// KeyID is a Neon API key id.
type KeyID int64

// Validate reports whether id is one Neon could have issued.
func (id OrgID) Validate() error { return check(string(id)) }

// Validate reports whether id is one Neon could have issued.
func (id ProjectID) Validate() error { return check(string(id)) }

// Validate reports whether id is one Neon could have issued.
func (id KeyID) Validate() error {
	if id < 1 {
		return ErrKeyID
	}
	return nil
}

// JSONSchemaExtend gives the reflected schema (invopop/jsonschema) the
// rules Validate checks.
func (OrgID) JSONSchemaExtend(s *jsonschema.Schema) { extendString(s) }

// JSONSchemaExtend gives the reflected schema (invopop/jsonschema) the
// rules Validate checks.
func (ProjectID) JSONSchemaExtend(s *jsonschema.Schema) { extendString(s) }

// JSONSchemaExtend gives the reflected schema (invopop/jsonschema) the
// rule Validate checks.
func (KeyID) JSONSchemaExtend(s *jsonschema.Schema) { s.Minimum = "1" }

func check(id string) error {
	switch {
	case id == "":
		return ErrEmpty
	case len(id) > MaxLen:
		return ErrTooLong
	case !chars.MatchString(id):
		return ErrChars
	}
	return nil
}

func extendString(s *jsonschema.Schema) {
	minLen, maxLen := uint64(1), uint64(MaxLen)
	s.MinLength, s.MaxLength, s.Pattern = &minLen, &maxLen, charsPattern
}
