package neontest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// SpecRelPath is where Neon's OpenAPI file lives, relative to a directory
// above the repository (the shared reference data next to the repo root).
const SpecRelPath = "shared/neon-openapi/neon-openapi-v2.yaml"

// SpecEnv overrides the OpenAPI file's location.
const SpecEnv = "NEON_OPENAPI_FILE"

// Validator checks requests and responses against Neon's OpenAPI file.
//
// It is a small OpenAPI 3.0 schema checker written for this file (kin-openapi
// would do, but its dependencies are not in this module's go.sum). It covers
// what the file uses for the operations neonkeys calls: $ref, allOf, oneOf,
// anyOf, type, nullable, enum, required, properties, additionalProperties,
// items, min/maxLength, pattern, minimum/maximum, min/maxItems and the formats
// date-time, int32, int64 and email. It does not check uuid formats (Neon's
// created_by examples are uuids, but nothing promises it).
//
// A Validator is safe for concurrent use.
type Validator struct {
	// Strict also rejects object properties, query parameters and request
	// bodies that the file does not declare (typos in field names).
	Strict bool

	root     map[string]any
	basePath string
	paths    []specPath

	mu     sync.Mutex
	regexp map[string]*regexp.Regexp
}

type specPath struct {
	template string
	segs     []string
	item     map[string]any
}

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

// LoadSpec loads the OpenAPI file (see FindSpec) in strict mode, or skips
// the test when the file is absent.
func LoadSpec(tb testing.TB) *Validator {
	tb.Helper()
	p, err := FindSpec()
	if err != nil {
		tb.Skipf("skipping OpenAPI contract check: %v (set %s to its path)", err, SpecEnv)
	}
	v, err := LoadSpecFile(p)
	if err != nil {
		tb.Fatalf("loading OpenAPI file: %v", err)
	}
	v.Strict = true
	return v
}

// LoadSpecFile parses an OpenAPI 3.0 YAML or JSON file.
func LoadSpecFile(path string) (*Validator, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading OpenAPI file: %w", err)
	}
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parsing OpenAPI file %s: %w", path, err)
	}
	root, ok := normalizeYAML(raw).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("OpenAPI file %s: top level is not a mapping", path)
	}
	v := &Validator{root: root, regexp: map[string]*regexp.Regexp{}}
	if servers, _ := root["servers"].([]any); len(servers) > 0 {
		if srv, _ := servers[0].(map[string]any); srv != nil {
			if u, err := url.Parse(str(srv["url"])); err == nil {
				v.basePath = strings.TrimSuffix(u.Path, "/")
			}
		}
	}
	paths, _ := root["paths"].(map[string]any)
	for tmpl, item := range paths {
		m, _ := item.(map[string]any)
		v.paths = append(v.paths, specPath{template: tmpl, segs: strings.Split(strings.Trim(tmpl, "/"), "/"), item: m})
	}
	sort.Slice(v.paths, func(i, j int) bool { return v.paths[i].template < v.paths[j].template })
	return v, nil
}

// normalizeYAML turns yaml's map[any]any (from keys like 200:) into map[string]any.
func normalizeYAML(x any) any {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			t[k] = normalizeYAML(v)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, v := range t {
			m[fmt.Sprint(k)] = normalizeYAML(v)
		}
		return m
	case []any:
		for i := range t {
			t[i] = normalizeYAML(t[i])
		}
		return t
	}
	return x
}

// Operation returns the operationId serving method and path (a request path
// with or without the API base path), or an error.
func (v *Validator) Operation(method, path string) (string, error) {
	op, _, _, err := v.find(method, path)
	if err != nil {
		return "", err
	}
	return str(op["operationId"]), nil
}

func (v *Validator) find(method, path string) (op map[string]any, item map[string]any, params map[string]string, err error) {
	p := path
	if v.basePath != "" && strings.HasPrefix(p, v.basePath+"/") {
		p = strings.TrimPrefix(p, v.basePath)
	}
	segs := strings.Split(strings.Trim(p, "/"), "/")
	best, bestLiterals := -1, -1
	for i, sp := range v.paths {
		if len(sp.segs) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for j, s := range sp.segs {
			switch {
			case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
				if segs[j] == "" {
					ok = false
				}
			case s == segs[j]:
				literals++
			default:
				ok = false
			}
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = i, literals
		}
	}
	if best < 0 {
		return nil, nil, nil, fmt.Errorf("no path of the OpenAPI file matches %s", path)
	}
	sp := v.paths[best]
	op, _ = sp.item[strings.ToLower(method)].(map[string]any)
	if op == nil {
		return nil, nil, nil, fmt.Errorf("path %s has no %s operation", sp.template, method)
	}
	params = map[string]string{}
	for j, s := range sp.segs {
		if strings.HasPrefix(s, "{") {
			params[strings.Trim(s, "{}")] = segs[j]
		}
	}
	return op, sp.item, params, nil
}

// ValidateRequest checks req (its body given separately, since it may have
// been consumed): the operation exists, bearer auth is present when the
// operation needs security, path and query parameters and the JSON body
// match their schemas.
func (v *Validator) ValidateRequest(req *http.Request, body []byte) error {
	op, item, pathParams, err := v.find(req.Method, req.URL.Path)
	if err != nil {
		return err
	}
	name := str(op["operationId"])
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	if v.needsAuth(op) && !strings.HasPrefix(req.Header.Get("Authorization"), "Bearer ") {
		add("missing Authorization: Bearer header")
	}
	query := req.URL.Query()
	declared := map[string]bool{}
	for _, p := range v.parameters(item, op) {
		pname, in := str(p["name"]), str(p["in"])
		schema, _ := p["schema"].(map[string]any)
		switch in {
		case "path":
			raw, ok := pathParams[pname]
			if !ok {
				add("path parameter %s: not in the path", pname)
				continue
			}
			v.checkParam(schema, raw, "path parameter "+pname, &errs)
		case "query":
			declared[pname] = true
			raw, ok := query[pname]
			if !ok {
				if b, _ := p["required"].(bool); b {
					add("query parameter %s: required", pname)
				}
				continue
			}
			for _, r := range raw {
				v.checkParam(schema, r, "query parameter "+pname, &errs)
			}
		}
	}
	if v.Strict {
		for q := range query {
			if !declared[q] {
				add("query parameter %s: not declared by %s", q, name)
			}
		}
	}
	rb := v.resolve(asMap(op["requestBody"]))
	switch {
	case rb == nil && len(body) > 0 && v.Strict:
		add("%s takes no request body, got %d bytes", name, len(body))
	case rb != nil && len(body) == 0:
		if b, _ := rb["required"].(bool); b {
			add("request body: required")
		}
	case rb != nil:
		schema := jsonSchemaOf(rb)
		if mt := mediaType(req.Header.Get("Content-Type")); mt != "application/json" {
			add("request Content-Type %q, want application/json", req.Header.Get("Content-Type"))
		}
		v.checkJSON(schema, body, "request body", &errs)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s %s (%s): %s", req.Method, req.URL.Path, name, strings.Join(errs, "; "))
	}
	return nil
}

// ValidateResponse checks a response to req: the status is declared (or a
// default exists), the Content-Type is JSON when there is a body, and the
// body matches the schema.
func (v *Validator) ValidateResponse(req *http.Request, status int, header http.Header, body []byte) error {
	op, _, _, err := v.find(req.Method, req.URL.Path)
	if err != nil {
		return err
	}
	name := str(op["operationId"])
	responses := asMap(op["responses"])
	resp := asMap(responses[strconv.Itoa(status)])
	if resp == nil {
		resp = asMap(responses[fmt.Sprintf("%dXX", status/100)])
	}
	if resp == nil {
		resp = asMap(responses["default"])
	}
	if resp == nil {
		return fmt.Errorf("%s: status %d is not declared", name, status)
	}
	resp = v.resolve(resp)
	var errs []string
	if schema := jsonSchemaOf(resp); schema != nil {
		if mt := mediaType(header.Get("Content-Type")); mt != "application/json" {
			errs = append(errs, fmt.Sprintf("response Content-Type %q, want application/json", header.Get("Content-Type")))
		}
		v.checkJSON(schema, body, "response body", &errs)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s %s (%s) answered %d: %s", req.Method, req.URL.Path, name, status, strings.Join(errs, "; "))
	}
	return nil
}

func (v *Validator) needsAuth(op map[string]any) bool {
	sec, ok := op["security"].([]any)
	if !ok {
		sec, _ = v.root["security"].([]any)
	}
	for _, alt := range sec {
		if m := asMap(alt); len(m) == 0 {
			return false // an empty alternative means "no auth needed"
		}
	}
	return len(sec) > 0
}

func (v *Validator) parameters(item, op map[string]any) []map[string]any {
	byKey := map[string]map[string]any{}
	var order []string
	for _, src := range []any{item["parameters"], op["parameters"]} {
		list, _ := src.([]any)
		for _, p := range list {
			pm := v.resolve(asMap(p))
			key := str(pm["in"]) + ":" + str(pm["name"])
			if _, seen := byKey[key]; !seen {
				order = append(order, key)
			}
			byKey[key] = pm // operation-level parameters override path-level ones
		}
	}
	out := make([]map[string]any, 0, len(order))
	for _, k := range order {
		out = append(out, byKey[k])
	}
	return out
}

// checkParam converts a raw parameter to the schema's type and validates it.
func (v *Validator) checkParam(schema map[string]any, raw, at string, errs *[]string) {
	s := v.resolve(schema)
	var val any = raw
	switch str(s["type"]) {
	case "integer", "number":
		val = json.Number(raw)
	case "boolean":
		b, err := strconv.ParseBool(raw)
		if err != nil {
			*errs = append(*errs, fmt.Sprintf("%s: %q is not a boolean", at, raw))
			return
		}
		val = b
	}
	v.validate(s, val, at, true, errs)
}

func (v *Validator) checkJSON(schema map[string]any, body []byte, at string, errs *[]string) {
	if len(bytes.TrimSpace(body)) == 0 {
		*errs = append(*errs, at+": empty, want JSON")
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var val any
	if err := dec.Decode(&val); err != nil {
		*errs = append(*errs, fmt.Sprintf("%s: invalid JSON: %v", at, err))
		return
	}
	if dec.More() {
		*errs = append(*errs, at+": trailing data after the JSON value")
	}
	v.validate(schema, val, "$", true, errs)
}

// resolve follows local $refs ("#/components/...").
func (v *Validator) resolve(m map[string]any) map[string]any {
	for i := 0; m != nil && i < 32; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		m = v.pointer(ref)
	}
	return m
}

func (v *Validator) pointer(ref string) map[string]any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	var cur any = v.root
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		cur = asMap(cur)[part]
	}
	return asMap(cur)
}

// validate checks val against schema s. checkExtra is false inside allOf
// branches, where the other branches' properties are not extra.
func (v *Validator) validate(s map[string]any, val any, at string, checkExtra bool, errs *[]string) {
	s = v.resolve(s)
	if s == nil {
		return
	}
	add := func(format string, args ...any) {
		*errs = append(*errs, at+": "+fmt.Sprintf(format, args...))
	}
	if val == nil {
		if b, _ := s["nullable"].(bool); b {
			return
		}
		if _, typed := s["type"]; typed {
			add("null is not allowed")
			return
		}
	}
	for _, sub := range asList(s["allOf"]) {
		v.validate(asMap(sub), val, at, false, errs)
	}
	if alts := asList(s["oneOf"]); len(alts) > 0 {
		if n := v.countMatches(alts, val, at); n != 1 {
			add("matches %d of the oneOf schemas, want exactly 1", n)
		}
	}
	if alts := asList(s["anyOf"]); len(alts) > 0 && v.countMatches(alts, val, at) == 0 {
		add("matches none of the anyOf schemas")
	}
	if enum := asList(s["enum"]); len(enum) > 0 && val != nil {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(val) {
				found = true
				break
			}
		}
		if !found {
			add("%v is not one of %v", val, enum)
		}
	}
	typ := str(s["type"])
	if typ == "" && (s["properties"] != nil || s["required"] != nil) {
		typ = "object"
	}
	switch typ {
	case "object":
		obj, ok := val.(map[string]any)
		if !ok {
			add("want an object, got %s", jsonKind(val))
			return
		}
		v.validateObject(s, obj, at, checkExtra, errs)
	case "array":
		arr, ok := val.([]any)
		if !ok {
			add("want an array, got %s", jsonKind(val))
			return
		}
		if n, ok := num(s["minItems"]); ok && float64(len(arr)) < n {
			add("%d items, want at least %v", len(arr), n)
		}
		if n, ok := num(s["maxItems"]); ok && float64(len(arr)) > n {
			add("%d items, want at most %v", len(arr), n)
		}
		items := asMap(s["items"])
		for i, it := range arr {
			v.validate(items, it, fmt.Sprintf("%s[%d]", at, i), true, errs)
		}
	case "string":
		sv, ok := val.(string)
		if !ok {
			add("want a string, got %s", jsonKind(val))
			return
		}
		v.validateString(s, sv, add)
	case "integer", "number":
		n, ok := val.(json.Number)
		if !ok {
			add("want a %s, got %s", typ, jsonKind(val))
			return
		}
		validateNumber(s, typ, n, add)
	case "boolean":
		if _, ok := val.(bool); !ok {
			add("want a boolean, got %s", jsonKind(val))
		}
	}
}

func (v *Validator) countMatches(alts []any, val any, at string) int {
	n := 0
	for _, alt := range alts {
		var sub []string
		v.validate(asMap(alt), val, at, true, &sub)
		if len(sub) == 0 {
			n++
		}
	}
	return n
}

func (v *Validator) validateObject(s map[string]any, obj map[string]any, at string, checkExtra bool, errs *[]string) {
	for _, r := range asList(s["required"]) {
		if _, ok := obj[str(r)]; !ok {
			*errs = append(*errs, fmt.Sprintf("%s: required property %q is missing", at, str(r)))
		}
	}
	props := asMap(s["properties"])
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	addl, hasAddl := s["additionalProperties"]
	for _, k := range keys {
		if ps, ok := props[k]; ok {
			v.validate(asMap(ps), obj[k], at+"."+k, true, errs)
			continue
		}
		switch a := addl.(type) {
		case map[string]any:
			v.validate(a, obj[k], at+"."+k, true, errs)
			continue
		case bool:
			if !a {
				*errs = append(*errs, fmt.Sprintf("%s: property %q is not allowed", at, k))
				continue
			}
		}
		if checkExtra && !hasAddl && v.Strict && !v.declares(s, k, 0) {
			*errs = append(*errs, fmt.Sprintf("%s: property %q is not declared by the schema", at, k))
		}
	}
}

// declares reports whether s or its allOf branches declare property k.
func (v *Validator) declares(s map[string]any, k string, depth int) bool {
	s = v.resolve(s)
	if s == nil || depth > 16 {
		return false
	}
	if _, ok := asMap(s["properties"])[k]; ok {
		return true
	}
	if _, ok := s["additionalProperties"]; ok {
		return true
	}
	for _, sub := range asList(s["allOf"]) {
		if v.declares(asMap(sub), k, depth+1) {
			return true
		}
	}
	return false
}

func (v *Validator) validateString(s map[string]any, val string, add func(string, ...any)) {
	n := utf8.RuneCountInString(val)
	if m, ok := num(s["minLength"]); ok && float64(n) < m {
		add("length %d, want at least %v", n, m)
	}
	if m, ok := num(s["maxLength"]); ok && float64(n) > m {
		add("length %d, want at most %v", n, m)
	}
	if p := str(s["pattern"]); p != "" {
		re, err := v.compile(p)
		if err != nil {
			add("bad pattern %q in the OpenAPI file: %v", p, err)
		} else if !re.MatchString(val) {
			add("%q does not match %s", val, p)
		}
	}
	switch str(s["format"]) {
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, val); err != nil {
			add("%q is not an RFC 3339 date-time", val)
		}
	case "email":
		if !strings.Contains(val, "@") {
			add("%q is not an email address", val)
		}
	}
}

func validateNumber(s map[string]any, typ string, n json.Number, add func(string, ...any)) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		add("%q is not a number", string(n))
		return
	}
	if typ == "integer" {
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			add("%s is not an int64 integer", string(n))
			return
		}
		if str(s["format"]) == "int32" && (i < -1<<31 || i > 1<<31-1) {
			add("%d does not fit int32", i)
		}
	}
	if m, ok := num(s["minimum"]); ok {
		if excl, _ := s["exclusiveMinimum"].(bool); (excl && f <= m) || f < m {
			add("%s is below the minimum %v", string(n), m)
		}
	}
	if m, ok := num(s["maximum"]); ok {
		if excl, _ := s["exclusiveMaximum"].(bool); (excl && f >= m) || f > m {
			add("%s is above the maximum %v", string(n), m)
		}
	}
}

func (v *Validator) compile(p string) (*regexp.Regexp, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if re, ok := v.regexp[p]; ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	v.regexp[p] = re
	return re, nil
}

func jsonSchemaOf(m map[string]any) map[string]any {
	content := asMap(m["content"])
	if c := asMap(content["application/json"]); c != nil {
		return asMap(c["schema"])
	}
	return nil
}

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return mt
}

func asMap(x any) map[string]any {
	m, _ := x.(map[string]any)
	return m
}

func asList(x any) []any {
	l, _ := x.([]any)
	return l
}

func str(x any) string {
	s, _ := x.(string)
	return s
}

func num(x any) (float64, bool) {
	switch n := x.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func jsonKind(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", x)
}
