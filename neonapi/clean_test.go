package neonapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// hostileText is what a hostile API puts in every string field: terminal
// commands (colour, clear screen, clear line, carriage return, a title
// change, a clipboard write), a bidi override, the caller's credential, a
// token nobody minted and, with pad, enough text to fill a terminal.
func hostileText(cred, minted string, pad int) string {
	return "x\x1b[31mred\x1b[2J\x1b[2K\rover " + cred + " \x1b]0;pwned\x07 \x1b]52;c;Y3VybA==\x07 \u202egnp.exe " +
		"napi_decoydecoydecoydecoy0123 " + minted + " \u0085" + strings.Repeat("long ", pad)
}

// hostileJSON builds a JSON value of type t with s in every string field,
// so a field added to a type later is covered without a test change.
func hostileJSON(t reflect.Type, s string) any {
	switch t.Kind() {
	case reflect.Pointer:
		return hostileJSON(t.Elem(), s)
	case reflect.Slice:
		return []any{hostileJSON(t.Elem(), s), hostileJSON(t.Elem(), s)}
	case reflect.String:
		return s
	case reflect.Int, reflect.Int64:
		return 7
	case reflect.Bool:
		return true
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return "2025-03-14T15:09:26Z"
		}
		obj := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.IsExported() && name != "-" {
				obj[name] = hostileJSON(f.Type, s)
			}
		}
		return obj
	}
	panic("hostileJSON: no value for " + t.String())
}

// checkCleaned fails for any string reachable from v (but a token field)
// that holds a control or format character, a secret, or more than the
// client's bound.
func checkCleaned(t *testing.T, where string, v reflect.Value, secrets []string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			checkCleaned(t, where, v.Elem(), secrets)
		}
	case reflect.Slice:
		for i := range v.Len() {
			checkCleaned(t, where, v.Index(i), secrets)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() && f.Tag.Get("neon") != "token" {
				checkCleaned(t, where+"."+f.Name, v.Field(i), secrets)
			}
		}
	case reflect.String:
		s := v.String()
		for _, r := range s {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Errorf("%s holds %U: %q", where, r, s)
				break
			}
		}
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				t.Errorf("%s holds the secret %s…", where, sec[:9])
			}
		}
		if n := utf8.RuneCountInString(s); n > 300 {
			t.Errorf("%s is %d characters long, not cut", where, n)
		}
	}
}

func TestEveryDecodedStringIsCleaned(t *testing.T) {
	const minted = "napi_mintedmintedminted0123456789"
	type call struct {
		method, path string
		wrap         func(any) any
		typ          reflect.Type
		run          func(*neonapi.Client) (any, error)
	}
	ctx := context.Background()
	asIs := func(v any) any { return v }
	calls := []call{
		{"GET", "/api_keys", asIs, reflect.TypeFor[[]neonapi.APIKey](), func(c *neonapi.Client) (any, error) { return c.ListAPIKeys(ctx) }},
		{"GET", "/organizations/", asIs, reflect.TypeFor[[]neonapi.APIKey](), func(c *neonapi.Client) (any, error) { return c.ListOrgAPIKeys(ctx, "org-1") }},
		{"POST", "/api_keys", asIs, reflect.TypeFor[neonapi.CreatedAPIKey](), func(c *neonapi.Client) (any, error) { return c.CreateAPIKey(ctx, "new") }},
		{"POST", "/organizations/", asIs, reflect.TypeFor[neonapi.CreatedAPIKey](), func(c *neonapi.Client) (any, error) {
			return c.CreateOrgAPIKey(ctx, "org-1", neonapi.CreateOrgAPIKeyRequest{KeyName: "new", ProjectID: "p-1"})
		}},
		{"DELETE", "/api_keys/", asIs, reflect.TypeFor[neonapi.RevokedAPIKey](), func(c *neonapi.Client) (any, error) { return c.RevokeAPIKey(ctx, 7) }},
		{"DELETE", "/organizations/", asIs, reflect.TypeFor[neonapi.RevokedAPIKey](), func(c *neonapi.Client) (any, error) { return c.RevokeOrgAPIKey(ctx, "org-1", 7) }},
		{"GET", "/projects/", func(v any) any { return map[string]any{"project": v} }, reflect.TypeFor[neonapi.Project](),
			func(c *neonapi.Client) (any, error) { return c.GetProject(ctx, "p-1") }},
		{"GET", "/projects", func(v any) any { return map[string]any{"projects": v, "pagination": map[string]any{"cursor": ""}} },
			reflect.TypeFor[[]neonapi.Project](), func(c *neonapi.Client) (any, error) { return c.ListProjects(ctx, neonapi.ListProjectsOptions{}) }},
		{"GET", "/auth", asIs, reflect.TypeFor[neonapi.AuthDetails](), func(c *neonapi.Client) (any, error) { return c.GetAuthDetails(ctx) }},
		{"GET", "/users/me/organizations", func(v any) any { return map[string]any{"organizations": v} }, reflect.TypeFor[[]neonapi.Organization](),
			func(c *neonapi.Client) (any, error) { return c.GetCurrentUserOrganizations(ctx) }},
	}
	for _, tt := range calls {
		for _, pad := range []int{0, 100000} {
			t.Run(tt.method+" "+tt.path+map[bool]string{true: " long"}[pad > 0], func(t *testing.T) {
				srv, fx := fakeAPI(t)
				text := hostileText(fx.AdminToken, minted, pad)
				value := hostileJSON(tt.typ, text)
				if obj, ok := value.(map[string]any); ok && obj["key"] != nil {
					obj["key"] = minted // the one field passed as is
				}
				body, err := json.Marshal(tt.wrap(value))
				if err != nil {
					t.Fatal(err)
				}
				srv.Inject(neontest.Fault{Method: tt.method, Path: tt.path, Status: http.StatusOK, Body: string(body)})
				got, err := tt.run(newClient(t, srv, fx.AdminToken))
				if err != nil {
					t.Fatal(err)
				}
				secrets := []string{fx.AdminToken, "napi_decoydecoydecoydecoy0123", minted}
				checkCleaned(t, tt.path, reflect.ValueOf(got), secrets)
				if created, ok := got.(*neonapi.CreatedAPIKey); ok && created.Key != minted {
					t.Errorf("the token came out as %q, want it intact", created.Key)
				}
			})
		}
	}
}

// TestIDWithHiddenCharactersStaysInvalid: cleaning must not turn an id
// the API garbled into another, valid id that the next request would use.
func TestIDWithHiddenCharactersStaysInvalid(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	garbled := "org-\u200bvictim\x1b-123"
	srv.Inject(neontest.Fault{Method: "GET", Path: "/users/me/organizations", Status: http.StatusOK,
		Body: `{"organizations":[{"id":"` + strings.ReplaceAll(garbled, "\x1b", `\u001b`) + `","name":"Victim"}]}`})
	orgs, err := c.GetCurrentUserOrganizations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := orgs[0].ID; got != "org-\ufffdvictim\ufffd-123" {
		t.Fatalf("id %q: the hidden characters must show as U+FFFD", got)
	}
	before := len(srv.Requests())
	if _, err := c.ListOrgAPIKeys(context.Background(), orgs[0].ID); err == nil || !strings.Contains(err.Error(), "invalid organization id") {
		t.Fatalf("err = %v, want the id refused", err)
	}
	if len(srv.Requests()) != before {
		t.Fatal("a request went out with the garbled id")
	}
}

func TestDecodedTypesAreWalked(t *testing.T) {
	// The walk in clean.go sets strings in structs, slices and pointers;
	// a map's values cannot be set in place, so no decoded type may hold one.
	var check func(t *testing.T, typ reflect.Type, path string)
	check = func(t *testing.T, typ reflect.Type, path string) {
		switch typ.Kind() {
		case reflect.Map, reflect.Interface:
			t.Errorf("%s is a %s: the cleaning walk cannot reach its strings", path, typ.Kind())
		case reflect.Pointer, reflect.Slice, reflect.Array:
			check(t, typ.Elem(), path+"[]")
		case reflect.Struct:
			for i := range typ.NumField() {
				f := typ.Field(i)
				if f.IsExported() {
					check(t, f.Type, path+"."+f.Name)
					isID := strings.HasSuffix(f.Name, "ID") || (f.Name == "CreatedBy" && f.Type.Kind() == reflect.String)
					if isID && f.Type.Kind() == reflect.String && f.Tag.Get("neon") != "id" {
						t.Errorf("%s.%s names an id but lacks the neon:\"id\" tag", path, f.Name)
					}
				}
			}
		}
	}
	for _, v := range []any{neonapi.APIKey{}, neonapi.CreatedAPIKey{}, neonapi.RevokedAPIKey{}, neonapi.Project{}, neonapi.AuthDetails{}, neonapi.Organization{}, neonapi.OrgMember{}} {
		check(t, reflect.TypeOf(v), reflect.TypeOf(v).Name())
	}
}
