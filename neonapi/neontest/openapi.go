package neontest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// SpecRelPath is where Neon's OpenAPI file lives, relative to a directory
// above the repository (the shared reference data next to the repo root).
const SpecRelPath = "shared/neon-openapi/neon-openapi-v2.yaml"

// SpecEnv overrides the OpenAPI file's location.
const SpecEnv = "NEON_OPENAPI_FILE"

// RequireSpecEnv set to 1 (as CI does) makes LoadSpec fail, not skip, when
// the OpenAPI file is absent.
const RequireSpecEnv = "NEONKEYS_REQUIRE_OPENAPI"

// Validator checks requests and responses against Neon's OpenAPI file with
// kin-openapi. It is safe for concurrent use while Strict does not change.
type Validator struct {
	// Strict also rejects object properties the file does not declare (where
	// a schema says nothing about additionalProperties), undeclared query
	// parameters and request bodies an operation does not take.
	Strict bool

	path string
}

// spec is one parsed document's router.
type spec struct {
	router routers.Router
	base   string // the servers entry's path, "/api/v2"
}

type specKey struct {
	path   string
	strict bool
}

// specCache keeps parsed documents for the life of the test binary: parsing
// and checking Neon's 430 KB file takes a noticeable fraction of a second
// (more under -race) and several tests of one package validate against it.
// A package-level cache is acceptable here because this is test support code.
var specCache = struct {
	sync.Mutex
	m map[specKey]*spec
}{m: map[specKey]*spec{}}

// FindSpec looks for SpecRelPath in the current directory and each of its
// parents (or uses $NEON_OPENAPI_FILE) and returns the file's path.
func FindSpec() (string, error) {
	if p := os.Getenv(SpecEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", SpecEnv, err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the OpenAPI file: %w", err)
	}
	for {
		p := filepath.Join(dir, filepath.FromSlash(SpecRelPath))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found in any parent directory: %w", SpecRelPath, os.ErrNotExist)
		}
		dir = parent
	}
}

// LoadSpec loads the OpenAPI file (see FindSpec) in strict mode. When the
// file is absent it skips the test, or fails it if $NEONKEYS_REQUIRE_OPENAPI=1.
func LoadSpec(tb testing.TB) *Validator {
	tb.Helper()
	p, err := FindSpec()
	if err != nil {
		if os.Getenv(RequireSpecEnv) == "1" {
			tb.Fatalf("OpenAPI contract check required (%s=1): %v", RequireSpecEnv, err)
		}
		tb.Skipf("skipping OpenAPI contract check: %v (set %s to its path)", err, SpecEnv)
	}
	v := &Validator{path: p, Strict: true}
	if _, err := v.spec(); err != nil {
		tb.Fatalf("loading OpenAPI file: %v", err)
	}
	return v
}

// spec returns the parsed document for v's mode, parsing it on first use.
func (v *Validator) spec() (*spec, error) {
	key := specKey{v.path, v.Strict}
	specCache.Lock()
	defer specCache.Unlock()
	if s, ok := specCache.m[key]; ok {
		return s, nil
	}
	s, err := loadSpec(key)
	if err != nil {
		return nil, err
	}
	specCache.m[key] = s
	return s, nil
}

func loadSpec(key specKey) (*spec, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(key.path)
	if err != nil {
		return nil, fmt.Errorf("parsing OpenAPI file %s: %w", key.path, err)
	}
	s := &spec{}
	if len(doc.Servers) > 0 {
		if s.base, err = doc.Servers[0].BasePath(); err != nil {
			return nil, fmt.Errorf("OpenAPI file %s: servers: %w", key.path, err)
		}
		s.base = strings.TrimSuffix(s.base, "/")
	}
	// Route on paths alone: requests go to the fake's host, and find strips
	// the base path first.
	doc.Servers = nil
	if key.strict {
		closeObjects(doc)
	}
	s.router, err = legacy.NewRouter(doc, openapi3.DisableExamplesValidation(), openapi3.DisableSchemaPatternValidation())
	if err != nil {
		return nil, fmt.Errorf("OpenAPI file %s: %w", key.path, err)
	}
	return s, nil
}

// find routes a request path, with or without the base path.
func (v *Validator) find(method, path string) (*routers.Route, map[string]string, error) {
	s, err := v.spec()
	if err != nil {
		return nil, nil, err
	}
	route, params, err := s.router.FindRoute(&http.Request{Method: method, URL: &url.URL{Path: strings.TrimPrefix(path, s.base)}})
	if err != nil {
		return nil, nil, fmt.Errorf("no path of the OpenAPI file matches %s %s: %w", method, path, err)
	}
	return route, params, nil
}

// Operation returns the operationId serving method and path (a request path
// with or without the API base path), or an error.
func (v *Validator) Operation(method, path string) (string, error) {
	route, _, err := v.find(method, path)
	if err != nil {
		return "", err
	}
	return route.Operation.OperationID, nil
}

// options: bearer auth must be present (its value is not checked), every
// error is reported, response bodies and statuses are checked and uuid
// formats are not (Neon's created_by is not always a uuid); date-time is.
func (v *Validator) options() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc:                bearerPresent,
		MultiError:                        true,
		IncludeResponseStatus:             true,
		RejectWhenRequestBodyNotSpecified: v.Strict,
		SchemaValidationOptions:           []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
	}
}

// bearerPresent accepts any bearer token, since the fake checks tokens
// itself; neonkeys never uses Neon's cookie schemes.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme.Type != "http" || in.SecurityScheme.Scheme != "bearer" {
		return fmt.Errorf("%s: not used by neonkeys", in.SecuritySchemeName)
	}
	if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
		return fmt.Errorf("%s: missing Authorization: Bearer header", in.SecuritySchemeName)
	}
	return nil
}

// ValidateRequest checks req (its body given separately, since it may have
// been consumed): the operation exists, bearer auth is present, parameters
// and the JSON body match the file.
func (v *Validator) ValidateRequest(req *http.Request, body []byte) error {
	route, params, err := v.find(req.Method, req.URL.Path)
	if err != nil {
		return err
	}
	r := req.Clone(req.Context())
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	var errs []error
	if len(body) > 0 && !json.Valid(body) {
		errs = append(errs, errors.New("request body: invalid JSON or trailing data after the JSON value"))
	} else if err := openapi3filter.ValidateRequest(req.Context(), &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route, Options: v.options(),
	}); err != nil {
		errs = append(errs, err)
	}
	if v.Strict {
		for q := range req.URL.Query() {
			if route.Operation.Parameters.GetByInAndName("query", q) == nil && route.PathItem.Parameters.GetByInAndName("query", q) == nil {
				errs = append(errs, fmt.Errorf("query parameter %s is not declared", q))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s %s (%s): %w", req.Method, req.URL.Path, route.Operation.OperationID, err)
	}
	return nil
}

// ValidateResponse checks a response to req: the status is declared (or a
// default exists), the Content-Type is declared and the body matches the
// schema.
func (v *Validator) ValidateResponse(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := v.find(req.Method, req.URL.Path)
	if err != nil {
		return err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                v.options(),
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		return fmt.Errorf("%s %s (%s) answered %d: %w", req.Method, req.URL.Path, route.Operation.OperationID, status, err)
	}
	return nil
}

// closeObjects makes every object schema that is silent about
// additionalProperties reject undeclared properties. allOf schemas are merged
// into their parent first, since kin checks each allOf branch against the
// whole value and a closed branch would reject its siblings' properties.
func closeObjects(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var visit func(ref *openapi3.SchemaRef)
	visit = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		for _, sub := range s.AllOf {
			visit(sub)
		}
		mergeAllOf(s)
		for _, sub := range slices.Concat(s.OneOf, s.AnyOf, openapi3.SchemaRefs{s.Not, s.Items, s.AdditionalProperties.Schema}) {
			visit(sub)
		}
		for _, p := range s.Properties {
			visit(p)
		}
		if len(s.AllOf) == 0 && (s.Type.Is("object") || len(s.Properties) > 0) &&
			s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			s.AdditionalProperties.Has = openapi3.Ptr(false)
		}
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					visit(mt.Schema)
				}
			}
			for _, resp := range op.Responses.Map() {
				if resp.Value != nil {
					for _, mt := range resp.Value.Content {
						visit(mt.Schema)
					}
				}
			}
		}
	}
}

// mergeAllOf folds allOf branches that are plain object schemas into s. Other
// allOfs stay (their closed branches would then reject each other's
// properties); Neon's file has none, and the contract tests would show one.
func mergeAllOf(s *openapi3.Schema) {
	for _, b := range s.AllOf {
		if b.Value == nil || len(b.Value.AllOf)+len(b.Value.OneOf)+len(b.Value.AnyOf) > 0 || b.Value.Not != nil {
			return // not plain: leave s alone
		}
	}
	for _, b := range s.AllOf {
		bv := b.Value
		if s.Properties == nil {
			s.Properties = openapi3.Schemas{}
		}
		for name, p := range bv.Properties {
			if _, ok := s.Properties[name]; !ok {
				s.Properties[name] = p
			}
		}
		s.Required = append(s.Required, bv.Required...)
		if s.Type == nil {
			s.Type = bv.Type
		}
		if s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			s.AdditionalProperties = bv.AdditionalProperties
		}
		s.Nullable = s.Nullable || bv.Nullable
	}
	s.AllOf = nil
}
