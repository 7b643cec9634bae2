package leak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// A hostile API: every string field of every answer, whatever its type,
// carries the caller's credential, a token nobody minted and commands for
// the terminal (colour, clear screen, clear line, carriage return, a title
// change, a clipboard write, a bidi override, C1 controls). Every CLI
// command and every MCP tool runs against it on the built binary; no
// output may carry any of it.

// The hostile*ID constants are the valid ids a hostile world answers with
// in fields the client treats as ids, when a scenario keeps them valid (so
// the success paths, a create that delivers its token, are reached too).
const (
	hostileOrgID     = "org-hostile-1"
	hostileProjectID = "p-hostile-1"
	hostileKeyID     = 7
)

// hostileMark is the printable part of the forged text that survives
// cleaning: seeing it proves the forged text reached an output.
const hostileMark = "gnp.exe"

// hostileWorld is a fake Neon API whose every answer is forged.
type hostileWorld struct {
	sec   *secWorld // its secCheckOutput checks secrets
	cred  string
	decoy string // token-shaped, minted by nobody
	text  string // what every string field says
}

// hostileScenario is one way of forging answers.
type hostileScenario struct {
	name string
	// validIDs keeps the fields the client treats as ids valid and
	// consistent with the requests; otherwise they are hostile too.
	validIDs bool
	// errorAnswers replaces every answer with a 400 whose code, message
	// and request id (in the body, or in the X-Request-Id header) are hostile.
	errorAnswers string // "", "body" or "header"
}

func hostileScenarios() []hostileScenario {
	return []hostileScenario{
		{name: "every-field"},
		{name: "valid-ids", validIDs: true},
		{name: "error-body", errorAnswers: "body"},
		{name: "error-header", errorAnswers: "header"},
	}
}

// newBareHostileWorld is a fake that forges nothing yet.
func newBareHostileWorld(t *testing.T, opts ...neontest.Option) *hostileWorld {
	t.Helper()
	srv := neontest.New(t, opts...)
	w := &hostileWorld{cred: "napi_" + secRandom(60), decoy: secDecoy()}
	w.text = "k\x1b[31mred\x1b[2J\x1b[2K\rover " + w.cred + " \x1b]0;pwned\x07 \x1b]52;c;Y3VybCBldmlsLnRlc3Q=\x07 \u202egnp.exe\u202c \u0085\u009b31m " + w.decoy
	w.sec = &secWorld{srv: srv, cred: w.cred, apiURL: srv.URL(), never: []string{w.cred, w.decoy}}
	return w
}

func newHostileWorld(t *testing.T, sc hostileScenario) *hostileWorld {
	t.Helper()
	w := newBareHostileWorld(t)
	srv := w.sec.srv
	switch sc.errorAnswers {
	case "body":
		body, _ := json.Marshal(map[string]string{"code": w.text, "message": w.text, "request_id": w.text})
		srv.Inject(neontest.Fault{Status: http.StatusBadRequest, Body: string(body), Count: secAll})
	case "header":
		// Go's client refuses a header line with C0 controls (a transport
		// error, which quotes the line escaped), so the header carries the
		// rest: bidi, C1, the credential and the decoy.
		body, _ := json.Marshal(map[string]string{"message": w.text})
		header := "over " + w.cred + " \u202egnp.exe\u202c \u0085\u009b31m " + w.decoy
		srv.Inject(neontest.Fault{Status: http.StatusBadRequest, Body: string(body), Count: secAll,
			Header: http.Header{"X-Request-Id": {header}}})
	default:
		w.forgeAnswers(t, srv, sc.validIDs)
	}
	return w
}

// forgeAnswers queues one 200 answer per route (the oldest matching fault
// applies, so the longer paths come first), built from the client's own
// types so a field added to them is forged too.
func (w *hostileWorld) forgeAnswers(t *testing.T, srv *neontest.Server, validIDs bool) {
	t.Helper()
	ids := func(projectID string) map[string]string {
		if !validIDs {
			return nil
		}
		return map[string]string{"id": hostileProjectID, "org_id": hostileOrgID, "project_id": projectID,
			"created_by": "u-hostile-1", "region_id": "aws-us-east-2", "account_id": "u-hostile-1"}
	}
	typ := func(v any) reflect.Type { return reflect.TypeOf(v) }
	project := w.forge(typ(neonapi.Project{}), ids(""))
	org := w.forge(typ(neonapi.Organization{}), map[string]string{"id": hostileOrgID})
	if !validIDs {
		org = w.forge(typ(neonapi.Organization{}), nil)
	}
	personalKey := w.forge(typ(neonapi.APIKey{}), ids(""))
	orgKey := w.forge(typ(neonapi.APIKey{}), ids(hostileProjectID))
	// Each create route mints its own token: an MCP run creates through
	// both (create_project_scoped_key, then rotate_api_key of a personal
	// key), and each token may be in its one answer only.
	created := func(projectID string) any {
		v := w.forge(typ(neonapi.CreatedAPIKey{}), ids(projectID)).(map[string]any)
		v["key"] = "napi_" + secRandom(40) // the one field that must come through whole
		return v
	}
	routes := []struct {
		method, path string
		answer       any
	}{
		{"GET", "/projects/", map[string]any{"project": project}},
		{"GET", "/projects", map[string]any{"projects": []any{project}, "pagination": map[string]any{"cursor": w.text}}},
		{"GET", "/users/me/organizations", map[string]any{"organizations": []any{org}}},
		{"GET", "/auth", w.forge(typ(neonapi.AuthDetails{}), ids(""))},
		{"POST", "/organizations/", created(hostileProjectID)},
		{"DELETE", "/organizations/", w.forge(typ(neonapi.RevokedAPIKey{}), ids(hostileProjectID))},
		{"GET", "/organizations/", []any{orgKey}},
		{"POST", "/api_keys", created("")},
		{"DELETE", "/api_keys/", w.forge(typ(neonapi.RevokedAPIKey{}), ids(""))},
		{"GET", "/api_keys", []any{personalKey}},
	}
	for _, r := range routes {
		body, err := json.Marshal(r.answer)
		if err != nil {
			t.Fatal(err)
		}
		srv.Inject(neontest.Fault{Method: r.method, Path: r.path, Status: http.StatusOK, Body: string(body), Count: secAll})
	}
}

// forge builds a JSON value of type t with w.text in every string field
// but those named in ids (by JSON name), which get the given value.
func (w *hostileWorld) forge(t reflect.Type, ids map[string]string) any {
	switch t.Kind() {
	case reflect.Pointer:
		return w.forge(t.Elem(), ids)
	case reflect.Slice:
		return []any{w.forge(t.Elem(), ids)}
	case reflect.String:
		return w.text
	case reflect.Int, reflect.Int64:
		return hostileKeyID
	case reflect.Bool:
		return true
	case reflect.Struct:
		if t == reflect.TypeOf(time.Time{}) {
			return "2025-03-14T15:09:26Z"
		}
		obj := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if id, ok := ids[name]; ok && f.Type.Kind() == reflect.String {
				obj[name] = id
				continue
			}
			obj[name] = w.forge(f.Type, ids)
		}
		return obj
	}
	panic("forge: no value for " + t.String())
}

// env is the binary's whole environment.
func (w *hostileWorld) env(t *testing.T) []string {
	return harness.Env("HOME="+t.TempDir(), "NEON_API_HOST="+w.sec.apiURL, "NEON_API_KEY="+w.cred)
}

// hostileUnsafe reports the first rune of s a terminal would act on or
// hide: C0 controls but newline and tab, DEL, C1 controls, and format
// characters (bidi overrides and isolates, zero-width characters). With
// crlf, the CR of a CRLF pair is allowed (a pty turns "\n" into "\r\n").
func hostileUnsafe(s string, crlf bool) (rune, bool) {
	for i, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r == '\r' && crlf && strings.HasPrefix(s[i:], "\r\n"):
		case r < 0x20 || (r >= 0x7f && r <= 0x9f) || unicode.Is(unicode.Cf, r):
			return r, true
		}
	}
	return 0, false
}

// hostileCheckText fails when text holds a character a terminal would act
// on, or invalid UTF-8 (a terminal may read a lone byte as a C1 control).
func hostileCheckText(t *testing.T, where, text string, crlf bool) {
	t.Helper()
	if !utf8.ValidString(text) {
		t.Errorf("%s: invalid UTF-8", where)
	}
	if r, bad := hostileUnsafe(text, crlf); bad {
		i := strings.IndexRune(text, r)
		t.Errorf("%s: holds %U near %q", where, r, testkit.RedactTokens(text[max(0, i-30):min(len(text), i+30)]))
	}
}

// hostileCheckStrings decodes doc (JSON or YAML) and checks every string
// in it, keys included: an escape like \u001b is harmless as bytes but
// becomes ESC in the hands of whoever reads the document.
func hostileCheckStrings(t *testing.T, where string, doc any) {
	t.Helper()
	switch v := doc.(type) {
	case string:
		hostileCheckText(t, where+" (decoded)", v, false)
	case []any:
		for _, e := range v {
			hostileCheckStrings(t, where, e)
		}
	case map[string]any:
		for k, e := range v {
			hostileCheckText(t, where+" (decoded key)", k, false)
			hostileCheckStrings(t, where, e)
		}
	}
}

// hostileCheckOutput checks one output: raw bytes, the strings of its
// JSON or YAML document when it is one, and the secrets (secCheckOutput:
// the credential, the decoy and pieces of them never; the minted token
// only where mintLine allows).
func (w *hostileWorld) hostileCheckOutput(t *testing.T, where string, out []byte, format string, crlf bool, mintLine func([]byte) bool) []string {
	t.Helper()
	hostileCheckText(t, where, string(out), crlf)
	switch format {
	case "json":
		var doc any
		if err := json.Unmarshal(out, &doc); err == nil {
			hostileCheckStrings(t, where, doc)
		} else if len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("%s: not JSON: %v", where, err)
		}
	case "jsonl":
		for _, line := range bytes.Split(out, []byte("\n")) {
			var doc any
			if json.Unmarshal(line, &doc) == nil {
				hostileCheckStrings(t, where, doc)
			}
		}
	case "yaml":
		var doc any
		if err := yaml.Unmarshal(out, &doc); err == nil {
			hostileCheckStrings(t, where, doc)
		} else if len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("%s: not YAML: %v", where, err)
		}
	}
	return w.sec.secCheckOutput(t, where, out, mintLine)
}

// hostileCLICommand is one CLI run; format is how stdout is read.
type hostileCLICommand struct {
	args   []string
	format string
	mints  bool
}

func hostileCLICommands() []hostileCLICommand {
	id := fmt.Sprint(hostileKeyID)
	return []hostileCLICommand{
		{args: []string{"list"}},
		{args: []string{"list", "--org-id", hostileOrgID}},
		{args: []string{"list", "-o", "json"}, format: "json"},
		{args: []string{"list", "--org-id", hostileOrgID, "-o", "json"}, format: "json"},
		{args: []string{"list", "-o", "yaml"}, format: "yaml"},
		{args: []string{"whoami"}},
		{args: []string{"whoami", "-o", "json"}, format: "json"},
		{args: []string{"revoke", id}}, // the preview, then a refusal: no terminal
		{args: []string{"revoke", id, "--yes", "-o", "json"}, format: "json"},
		{args: []string{"revoke", id, "--yes"}},
		{args: []string{"rotate", id}},
		{args: []string{"rotate", id, "--yes", "-o", "json"}, format: "json", mints: true},
		{args: []string{"create", "--name", "hostile-new"}, mints: true},
		{args: []string{"create", "--name", "hostile-proj", "--project-id", hostileProjectID, "-o", "json"}, format: "json", mints: true},
	}
}

func TestSecurityHostileAPICLI(t *testing.T) {
	t.Parallel()
	bin := harness.PlainBinary(t)
	for _, sc := range hostileScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			delivered, reached := 0, 0
			for _, cmd := range hostileCLICommands() {
				w := newHostileWorld(t, sc)
				r := hostileRun(t, bin, w.env(t), cmd.args...)
				where := fmt.Sprintf("neonkeys %s [%s]", strings.Join(cmd.args, " "), sc.name)
				minted := w.hostileCheckOutput(t, where+" stdout", r.stdout, cmd.format, false, func([]byte) bool { return cmd.mints })
				w.hostileCheckOutput(t, where+" stderr", r.stderr, "", false, func([]byte) bool { return false })
				delivered += len(minted)
				if bytes.Contains(r.stdout, []byte(hostileMark)) || bytes.Contains(r.stderr, []byte(hostileMark)) {
					reached++
				}
				if t.Failed() {
					t.Logf("%s: exit %d\nstdout: %q\nstderr: %q", where, r.code, testkit.RedactTokens(string(r.stdout)), testkit.RedactTokens(string(r.stderr)))
				}
			}
			t.Logf("[%s] %d of %d commands showed the forged text (cleaned)", sc.name, reached, len(hostileCLICommands()))
			if reached == 0 {
				t.Errorf("no output showed the forged text: the test checked nothing")
			}
			if sc.validIDs && delivered != 3 {
				t.Errorf("%d tokens delivered, want 3 (create, create --project-id, rotate): the success paths were not reached", delivered)
			}
		})
	}
	t.Run("preview-on-a-terminal", func(t *testing.T) {
		t.Parallel()
		for _, verb := range []string{"revoke", "rotate"} {
			w := newHostileWorld(t, hostileScenario{name: "every-field"})
			p := (&harness.CLIWorld{Bin: bin}).StartPTY(t, w.env(t), verb, fmt.Sprint(hostileKeyID))
			p.WaitFor("to confirm: ", 1)
			p.TypeText("\x04") // end of input: nothing changes
			p.ExitCode()
			w.hostileCheckOutput(t, "neonkeys "+verb+" on a terminal", []byte(p.Output()), "", true, func([]byte) bool { return false })
			if !strings.Contains(p.Output(), hostileMark) {
				t.Errorf("neonkeys %s on a terminal did not show the forged name: the test checked nothing", verb)
			}
		}
	})
}

// hostileMCPCall is one tool call of the MCP run.
type hostileMCPCall struct {
	tool  string
	args  map[string]any
	mints bool
}

func hostileMCPCalls() []hostileMCPCall {
	create := map[string]any{"project_id": hostileProjectID, "key_name": "hostile-mcp"}
	confirmed := func(args map[string]any) map[string]any {
		out := map[string]any{"confirm": true}
		for k, v := range args {
			out[k] = v
		}
		return out
	}
	byID := map[string]any{"key_id": hostileKeyID}
	return []hostileMCPCall{
		{tool: "list_api_keys", args: map[string]any{}},
		{tool: "list_api_keys", args: map[string]any{"org_id": hostileOrgID}},
		{tool: "list_projects", args: map[string]any{}},
		{tool: "list_projects", args: map[string]any{"limit": 10}},
		{tool: "whoami", args: map[string]any{}},
		{tool: "create_project_scoped_key", args: create},
		{tool: "create_project_scoped_key", args: confirmed(create), mints: true},
		{tool: "revoke_api_key", args: byID},
		{tool: "revoke_api_key", args: confirmed(byID)},
		{tool: "rotate_api_key", args: byID},
		{tool: "rotate_api_key", args: confirmed(byID), mints: true},
	}
}

func TestSecurityHostileAPIMCP(t *testing.T) {
	t.Parallel()
	bin := harness.PlainBinary(t)
	for _, sc := range hostileScenarios() {
		for _, elicit := range []string{"", "accept"} {
			t.Run(sc.name+map[string]string{"": "", "accept": "/elicitation"}[elicit], func(t *testing.T) {
				t.Parallel()
				w := newHostileWorld(t, sc)
				mw := &harness.MCPWorld{Srv: w.sec.srv, Bin: bin, APIURL: w.sec.apiURL, Cred: []string{"NEON_API_KEY=" + w.cred}}
				s := harness.StartRawReady(t, mw, harness.RawOptions{Elicit: elicit})
				mintIDs := map[string]bool{}
				for i, call := range hostileMCPCalls() {
					id := uint64(100 + i)
					if call.mints {
						mintIDs[fmt.Sprint(id)] = true
					}
					secCallMCP(t, s, w.sec.srv, id, call.tool, call.args, false, "")
				}
				_ = s.Stdin.Close()
				<-s.Exited
				where := "mcp [" + sc.name + "]"
				minted := w.hostileCheckOutput(t, where+" stdout", s.Stdout.Bytes(), "jsonl", false, func(line []byte) bool {
					var msg struct {
						ID json.RawMessage `json:"id"`
					}
					return json.Unmarshal(line, &msg) == nil && mintIDs[string(msg.ID)]
				})
				w.hostileCheckOutput(t, where+" stderr", []byte(s.Stderr.String()), "", false, func([]byte) bool { return false })
				for _, e := range s.Elicited() {
					w.hostileCheckOutput(t, where+" elicitation request", e, "json", false, func([]byte) bool { return false })
				}
				if !bytes.Contains(s.Stdout.Bytes(), []byte(hostileMark)) {
					t.Errorf("no answer showed the forged text: the test checked nothing")
				}
				if sc.validIDs && len(minted) != 2 {
					t.Errorf("%d tokens delivered, want 2 (create, rotate): the success paths were not reached", len(minted))
				}
				if sc.validIDs && elicit != "" && len(s.Elicited()) == 0 {
					t.Errorf("no elicitation request was sent: the dialog was not checked")
				}
				s.AssertStdoutIsJSONRPC(t)
			})
		}
	}
}

// hostileResult is one run of the binary and its peak memory.
type hostileResult struct {
	code           int
	stdout, stderr []byte
	maxRSS         int64 // bytes
}

// hostileRun runs the binary to its end, through rssShim, and reads its
// peak RSS.
func hostileRun(t *testing.T, bin string, env []string, args ...string) hostileResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), harness.CLITimeout)
	defer cancel()
	shim, env, rssFile := rssShimCommand(t, bin, env)
	cmd := exec.CommandContext(ctx, shim, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("running neonkeys %v: %v", args, err)
	}
	return hostileResult{code: cmd.ProcessState.ExitCode(), stdout: stdout.Bytes(), stderr: stderr.Bytes(), maxRSS: readRSS(t, rssFile)}
}

// The peak RSS that wait4 reports for a child on Linux is at least its
// parent's own peak at the time of the fork (the kernel carries the old
// memory's high-water mark across exec, and Go starts children with
// vfork), so a child of this test process would be charged for the fake's
// 60 MB answers and every parallel test. rssShim is this test binary
// started small, in a fresh process, to start neonkeys and report what
// wait4 says of it: its figure is neonkeys' own peak, or the shim's few MiB
// when that is larger.
const (
	rssShimBin  = "NEONKEYS_E2E_RSS_SHIM_BIN"
	rssShimFile = "NEONKEYS_E2E_RSS_SHIM_FILE"
)

func init() {
	if os.Getenv(rssShimBin) != "" {
		os.Exit(rssShim())
	}
}

// rssShim runs $NEONKEYS_E2E_RSS_SHIM_BIN with this process's arguments,
// standard files and environment (without the shim's variables), writes
// its peak RSS in bytes to $NEONKEYS_E2E_RSS_SHIM_FILE and exits with its
// exit code.
func rssShim() int {
	bin, file := os.Getenv(rssShimBin), os.Getenv(rssShimFile)
	_ = os.Unsetenv(rssShimBin)
	_ = os.Unsetenv(rssShimFile)
	cmd := exec.Command(bin, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		fmt.Fprintf(os.Stderr, "rss shim: %v\n", err)
		return 125
	}
	if err := os.WriteFile(file, []byte(fmt.Sprint(maxRSS(cmd.ProcessState))), 0o600); err != nil {
		fmt.Fprintf(os.Stderr, "rss shim: %v\n", err)
		return 125
	}
	return cmd.ProcessState.ExitCode()
}

// rssShimCommand returns the program to start instead of bin, the
// environment that makes it the shim, and the file it will write.
func rssShimCommand(t *testing.T, bin string, env []string) (string, []string, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "rss")
	return self, append(env[:len(env):len(env)], rssShimBin+"="+bin, rssShimFile+"="+file), file
}

// readRSS reads the figure the shim wrote.
func readRSS(t *testing.T, file string) int64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the RSS shim wrote no figure: %v", err)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		t.Fatalf("the RSS shim wrote %q: %v", b, err)
	}
	return n
}

// maxRSS is a finished process's peak resident set, in bytes (Linux
// reports kilobytes).
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return -1
}

// hostileRSSBound is the promise: under 100 MiB whatever the API sends. It
// is a promise about the binary users run, so the test measures a plain
// build even under -race (a race build keeps shadow memory for every byte
// of heap, and the other e2e tests drive it for data races).
func hostileRSSBound() int64 { return 100 << 20 }

// TestSecurityHostileAPIMemory: one 60 MB key name, or pages of 20 MB
// project names, must not take the process past the bound, in the CLI and
// in the MCP server; under the answer cap, the long names are cut with a
// visible marker. Nor must hundreds of thousands of tiny keys under the
// byte cap (many-items), and list -o yaml of a real 10,000-key account
// stays near list -o json (yaml-near-json).
func TestSecurityHostileAPIMemory(t *testing.T) {
	t.Parallel()
	bin := harness.PlainBinary(t)
	keyList := func(nameLen int) string {
		return `[{"id":7,"name":"` + strings.Repeat("n", nameLen) + `","created_at":"2025-03-14T15:09:26Z","created_by":{"id":"u-1","name":"Ada"}}]`
	}
	projectPages := func(srv *neontest.Server, pages, nameLen int) {
		name := strings.Repeat("p", nameLen)
		for i := range pages {
			srv.Inject(neontest.Fault{Method: "GET", Path: "/projects", Status: http.StatusOK,
				Body: fmt.Sprintf(`{"projects":[{"id":"p-%d","name":"%s"}],"pagination":{"cursor":"c-%d"}}`, i, name, i)})
		}
	}
	tests := []struct {
		name     string
		keyName  int // bytes of the one key's name
		pages    int // pages of one project each
		pageName int // bytes of each project's name
		wantCut  bool
	}{
		{name: "60MB-key-name-11x20MB-pages", keyName: 60 << 20, pages: 11, pageName: 20 << 20},
		{name: "7MB-key-name-11x7MB-pages", keyName: 7 << 20, pages: 11, pageName: 7 << 20, wantCut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			world := func() *hostileWorld {
				w := newBareHostileWorld(t, neontest.WithoutRequestLog())
				w.sec.srv.Inject(neontest.Fault{Method: "GET", Path: "/api_keys", Status: http.StatusOK, Body: keyList(tt.keyName), Count: secAll})
				projectPages(w.sec.srv, tt.pages, tt.pageName)
				return w
			}
			for _, args := range [][]string{{"list"}, {"list", "-o", "json"}} {
				w := world()
				r := hostileRun(t, bin, w.env(t), args...)
				t.Logf("neonkeys %s: exit %d, peak RSS %.1f MiB, %d bytes out", strings.Join(args, " "), r.code, float64(r.maxRSS)/(1<<20), len(r.stdout)+len(r.stderr))
				hostileCheckMemory(t, "neonkeys "+strings.Join(args, " "), r.maxRSS, r.stdout, r.stderr, tt.wantCut)
			}
			w := world()
			shim, shimEnv, rssFile := rssShimCommand(t, bin, []string{"NEON_API_KEY=" + w.cred})
			mw := &harness.MCPWorld{Srv: w.sec.srv, Bin: shim, APIURL: w.sec.apiURL, Cred: shimEnv}
			s := harness.StartRawReady(t, mw, harness.RawOptions{})
			keys := s.CallTool(t, "list_api_keys", map[string]any{})
			projects := s.CallTool(t, "list_projects", map[string]any{"limit": 10})
			_ = s.Stdin.Close()
			<-s.Exited
			rss := readRSS(t, rssFile)
			t.Logf("neonkeys mcp (list_api_keys, list_projects {limit: 10}): peak RSS %.1f MiB, %d bytes out", float64(rss)/(1<<20), len(s.Stdout.Bytes()))
			hostileCheckMemory(t, "neonkeys mcp", rss, s.Stdout.Bytes(), []byte(s.Stderr.String()), tt.wantCut)
			if !tt.wantCut && (!keys.IsError || !projects.IsError) {
				t.Errorf("answers over the cap must be tool errors: list_api_keys %v, list_projects %v", keys.IsError, projects.IsError)
			}
			for _, res := range []harness.RawResult{keys, projects} {
				if res.IsError && !strings.Contains(res.Text(), "MiB") {
					t.Errorf("the error does not say which limit was hit: %q", harness.Tail(res.Text()))
				}
			}
		})
	}
	t.Run("many-items", func(t *testing.T) { hostileManyItems(t, bin) })
	t.Run("many-projects", func(t *testing.T) { hostileManyProjects(t, bin) })
	t.Run("yaml-near-json", func(t *testing.T) { hostileYAMLNearJSON(t, bin) })
}

// hostileTinyKeys is a key list of n objects of a few bytes each ({} when
// empty): 500,000 of them, or 2,700,000 empty ones, fit the 8 MiB byte cap.
func hostileTinyKeys(n int, empty bool) string {
	var b strings.Builder
	b.Grow(n * 12)
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if empty {
			b.WriteString("{}")
			continue
		}
		b.WriteString(`{"id":`)
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return b.String()
}

// hostileItemCap is the most items neonkeys reads in one answer
// (neonapi/items.go).
const hostileItemCap = 20000

// hostileManyItems: answers under the byte cap that hold far more keys
// than any account (each key cost about half a KiB once decoded: 267 MiB
// for 500,000, 4.9 GiB as YAML for 200,000) are refused, naming the limit,
// within the memory bound, by the CLI and by concurrent MCP calls; at the
// item cap the keys are all listed, within the bound too.
func hostileManyItems(t *testing.T, bin string) {
	tests := []struct {
		name     string
		keys     int
		empty    bool
		args     [][]string
		mcpCalls int // list_api_keys calls sent at once, 0 for none
	}{
		{"500000-tiny-keys", 500000, false, [][]string{{"list", "-o", "json"}, {"list", "-o", "yaml"}, {"list"}}, 3},
		{"2700000-empty-keys", 2700000, true, [][]string{{"list", "-o", "json"}, {"list", "--name-contains", "zz"}}, 1},
		{"200000-tiny-keys", 200000, false, [][]string{{"list", "-o", "yaml"}}, 0},
		{"50000-tiny-keys", 50000, false, [][]string{{"list", "-o", "yaml"}}, 0},
		{"20000-tiny-keys-at-the-cap", hostileItemCap, false, [][]string{{"list", "-o", "json"}, {"list", "-o", "yaml"}, {"list"}}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := hostileTinyKeys(tt.keys, tt.empty)
			world := func() *hostileWorld {
				w := newBareHostileWorld(t, neontest.WithoutRequestLog())
				w.sec.srv.Inject(neontest.Fault{Method: "GET", Path: "/api_keys", Status: http.StatusOK, Body: body, Count: secAll})
				return w
			}
			refused := tt.keys > hostileItemCap
			for _, args := range tt.args {
				where := "neonkeys " + strings.Join(args, " ")
				r := hostileRun(t, bin, world().env(t), args...)
				t.Logf("%s: exit %d, peak RSS %.1f MiB, %d bytes out", where, r.code, float64(r.maxRSS)/(1<<20), len(r.stdout))
				if r.maxRSS <= 0 || r.maxRSS >= hostileRSSBound() {
					t.Errorf("%s: peak RSS %.1f MiB, want under %d MiB", where, float64(r.maxRSS)/(1<<20), hostileRSSBound()>>20)
				}
				switch {
				case refused && (r.code == 0 || !strings.Contains(string(r.stderr), "more than 20000 items")):
					t.Errorf("%s: exit %d, stderr %q; want a failure naming the 20000-item limit", where, r.code, harness.Tail(string(r.stderr)))
				case !refused && (r.code != 0 || hostileListed(t, args, r.stdout) != tt.keys):
					t.Errorf("%s: exit %d, %d keys listed, stderr %q; want all %d", where, r.code, hostileListed(t, args, r.stdout), harness.Tail(string(r.stderr)), tt.keys)
				}
			}
			if tt.mcpCalls > 0 {
				hostileManyItemsMCP(t, bin, world(), tt.mcpCalls, refused)
			}
		})
	}
}

// hostileListed counts the keys a successful list printed in the format
// args ask for.
func hostileListed(t *testing.T, args []string, stdout []byte) int {
	t.Helper()
	switch args[len(args)-1] {
	case "json":
		var items []json.RawMessage
		if err := json.Unmarshal(stdout, &items); err != nil {
			t.Errorf("list -o json is not a JSON array: %v", err)
		}
		return len(items)
	case "yaml":
		var items []map[string]any
		if err := yaml.Unmarshal(stdout, &items); err != nil {
			t.Errorf("list -o yaml is not a YAML sequence: %v", err)
		}
		return len(items)
	}
	return bytes.Count(stdout, []byte("\n")) - 1 // the table's header
}

// hostileManyItemsMCP sends calls list_api_keys calls at once to one
// server and checks its peak memory and each answer.
func hostileManyItemsMCP(t *testing.T, bin string, w *hostileWorld, calls int, refused bool) {
	t.Helper()
	shim, shimEnv, rssFile := rssShimCommand(t, bin, []string{"NEON_API_KEY=" + w.cred})
	mw := &harness.MCPWorld{Srv: w.sec.srv, Bin: shim, APIURL: w.sec.apiURL, Cred: shimEnv}
	s := harness.StartRawReady(t, mw, harness.RawOptions{})
	results := make([]harness.RawResult, calls)
	errs := make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			errs[i] = s.CallInto("tools/call", map[string]any{"name": "list_api_keys", "arguments": map[string]any{"limit": 500}}, &results[i])
		})
	}
	wg.Wait()
	_ = s.Stdin.Close()
	<-s.Exited
	rss := readRSS(t, rssFile)
	where := fmt.Sprintf("neonkeys mcp (%d list_api_keys at once)", calls)
	t.Logf("%s: peak RSS %.1f MiB", where, float64(rss)/(1<<20))
	if rss <= 0 || rss >= hostileRSSBound() {
		t.Errorf("%s: peak RSS %.1f MiB, want under %d MiB", where, float64(rss)/(1<<20), hostileRSSBound()>>20)
	}
	for i, res := range results {
		switch {
		case errs[i] != nil:
			t.Errorf("%s: call %d: %v", where, i, errs[i])
		case refused && (!res.IsError || !strings.Contains(res.Text(), "more than 20000 items")):
			t.Errorf("%s: call %d: isError %v, %q; want a tool error naming the 20000-item limit", where, i, res.IsError, harness.Tail(res.Text()))
		case !refused && (res.IsError || !strings.Contains(res.Text(), "20000 personal keys matched")):
			t.Errorf("%s: call %d: isError %v, %q; want the 20000 keys counted", where, i, res.IsError, harness.Tail(res.Text()))
		}
	}
}

// hostileManyProjects: list_projects without org_id searches the personal
// projects and 50 organizations, each answering a page of 20,000 tiny
// projects (the most one answer may hold), and keeps only the first 51 of
// each walk: one call, then two at once, stay under the bound.
func hostileManyProjects(t *testing.T, bin string) {
	w := newBareHostileWorld(t, neontest.WithoutRequestLog())
	orgs := make([]string, 50)
	for i := range orgs {
		orgs[i] = fmt.Sprintf(`{"id":"org-hostile-%d","name":"o"}`, i)
	}
	var page strings.Builder
	page.WriteString(`{"projects":[`)
	for i := range hostileItemCap {
		if i > 0 {
			page.WriteByte(',')
		}
		fmt.Fprintf(&page, `{"id":"p-%d"}`, i)
	}
	page.WriteString(`],"pagination":{"cursor":"c-1"}}`)
	w.sec.srv.Inject(neontest.Fault{Method: "GET", Path: "/users/me/organizations", Status: http.StatusOK,
		Body: `{"organizations":[` + strings.Join(orgs, ",") + `]}`, Count: secAll})
	w.sec.srv.Inject(neontest.Fault{Method: "GET", Path: "/projects", Status: http.StatusOK, Body: page.String(), Count: secAll})
	shim, shimEnv, rssFile := rssShimCommand(t, bin, []string{"NEON_API_KEY=" + w.cred})
	mw := &harness.MCPWorld{Srv: w.sec.srv, Bin: shim, APIURL: w.sec.apiURL, Cred: shimEnv}
	s := harness.StartRawReady(t, mw, harness.RawOptions{})
	first := s.CallTool(t, "list_projects", map[string]any{})
	results := make([]harness.RawResult, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			errs[i] = s.CallInto("tools/call", map[string]any{"name": "list_projects", "arguments": map[string]any{"limit": 500}}, &results[i])
		})
	}
	wg.Wait()
	_ = s.Stdin.Close()
	<-s.Exited
	rss := readRSS(t, rssFile)
	const where = "neonkeys mcp (list_projects over 51 places of 20,000 projects, then two at once)"
	t.Logf("%s: peak RSS %.1f MiB", where, float64(rss)/(1<<20))
	if rss <= 0 || rss >= hostileRSSBound() {
		t.Errorf("%s: peak RSS %.1f MiB, want under %d MiB", where, float64(rss)/(1<<20), hostileRSSBound()>>20)
	}
	for i, res := range append(results, first) {
		if i < len(errs) && errs[i] != nil {
			t.Fatalf("%s: call %d: %v", where, i, errs[i])
		}
		if res.IsError || !strings.Contains(res.Text(), "50 organizations") {
			t.Errorf("%s: call %d: isError %v, %q; want projects found in 50 organizations", where, i, res.IsError, harness.Tail(res.Text()))
		}
	}
}

// hostileYAMLNearJSON: list -o yaml of a real 10,000-key account takes at
// most twice the memory of list -o json (converting the whole list at once
// took seven times as much: 190 MiB against 25).
func hostileYAMLNearJSON(t *testing.T, bin string) {
	srv := neontest.New(t, neontest.WithoutRequestLog())
	fx := srv.Seed()
	srv.AddPersonalKeys(fx.Admin.ID, 10000)
	env := harness.Env("HOME="+t.TempDir(), "NEON_API_HOST="+srv.URL(), "NEON_API_KEY="+fx.AdminToken)
	runs := map[string]hostileResult{}
	for _, format := range []string{"json", "yaml"} {
		args := []string{"list", "-o", format}
		r := hostileRun(t, bin, env, args...)
		t.Logf("neonkeys list -o %s (10,000 keys): exit %d, peak RSS %.1f MiB", format, r.code, float64(r.maxRSS)/(1<<20))
		if n := hostileListed(t, args, r.stdout); r.code != 0 || n != 10001 {
			t.Fatalf("neonkeys list -o %s: exit %d, %d keys listed; want 10001", format, r.code, n)
		}
		runs[format] = r
	}
	if j, y := runs["json"].maxRSS, runs["yaml"].maxRSS; y > 2*j {
		t.Errorf("list -o yaml peaked at %.1f MiB, over twice list -o json's %.1f MiB", float64(y)/(1<<20), float64(j)/(1<<20))
	}
}

// hostileCheckMemory asserts the bound on peak RSS, small outputs, and,
// when the answer was read, the cut marker.
func hostileCheckMemory(t *testing.T, where string, rss int64, stdout, stderr []byte, wantCut bool) {
	t.Helper()
	if rss <= 0 || rss >= hostileRSSBound() {
		t.Errorf("%s: peak RSS %.1f MiB, want under %d MiB", where, float64(rss)/(1<<20), hostileRSSBound()>>20)
	}
	if n := len(stdout) + len(stderr); n > 1<<20 {
		t.Errorf("%s: %d bytes of output: long names were not cut", where, n)
	}
	if wantCut && !bytes.Contains(stdout, []byte("[cut]")) {
		t.Errorf("%s: no cut marker in the output: %q", where, harness.Tail(string(stdout)))
	}
}

// TestSecurityCleartextURLRefused: a plain-http API URL off this machine is
// a usage error naming the URL, before any connection: a proxy from the
// environment, which would otherwise carry the request, sees nothing.
func TestSecurityCleartextURLRefused(t *testing.T) {
	t.Parallel()
	bin := harness.PlainBinary(t)
	hits := make(chan string, 10)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits <- r.Method + " " + r.URL.String()
		http.Error(w, "proxy", http.StatusBadGateway)
	}))
	t.Cleanup(proxy.Close)
	const url = "http://api.neon.example.test/api/v2"
	cred := "napi_" + secRandom(40)
	for _, args := range [][]string{{"list"}, {"whoami", "-o", "json"}, {"create", "--name", "cleartext"}} {
		env := harness.Env("HOME="+t.TempDir(), "NEON_API_HOST="+url, "NEON_API_KEY="+cred,
			"HTTP_PROXY="+proxy.URL, "http_proxy="+proxy.URL)
		r := hostileRun(t, bin, env, args...)
		if r.code != 2 || !strings.Contains(string(r.stderr), url) || !strings.Contains(string(r.stderr), "https://") {
			t.Errorf("neonkeys %v: exit %d, stderr %q; want exit 2 naming the URL and https://", args, r.code, testkit.RedactTokens(string(r.stderr)))
		}
		if bytes.Contains(r.stdout, []byte(cred)) || bytes.Contains(r.stderr, []byte(cred)) {
			t.Errorf("neonkeys %v: the credential is in the output", args)
		}
	}
	// neonkeys mcp still starts (a client must be able to read why), and
	// every tool call answers with the same refusal instead of calling out.
	w := harness.NewMCPWorldFor(t, harness.PlainBinary(t))
	w.APIURL = url
	w.Cred = []string{"NEON_API_KEY=" + cred, "HTTP_PROXY=" + proxy.URL, "http_proxy=" + proxy.URL}
	s := harness.StartRaw(t, w, harness.RawOptions{})
	s.Initialize(t, false)
	if names := s.ToolNames(t); len(names) == 0 {
		t.Fatal("neonkeys mcp with a cleartext URL lists no tools")
	}
	for _, tool := range []string{"list_api_keys", "whoami"} {
		res := s.CallTool(t, tool, map[string]any{})
		if !res.IsError || !strings.Contains(res.Text(), url) || !strings.Contains(res.Text(), "https://") {
			t.Errorf("%s with a cleartext URL: isError %v, text %q; want a tool error naming the URL and https://", tool, res.IsError, res.Text())
		}
	}
	if out := s.Stdout.String() + s.Stderr.String(); strings.Contains(out, cred) {
		t.Error("neonkeys mcp with a cleartext URL: the credential is in its output")
	}
	select {
	case hit := <-hits:
		t.Fatalf("a request went out in clear: %s", hit)
	default:
	}
}
