package tools_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/destination/githubtest"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/server"
	"github.com/neonkeys/neonkeys/tools"
)

// anyToken is a Neon token: no answer of a rotation with destinations
// may hold one.
var anyToken = testkit.AnyToken

// destEnv is a server under test with three destinations that hold the
// personal key "shop-deploy": a fake GitHub repository secret (shop-ci), a
// .env file (shop-env), and a program recording its stdin (vault-ci).
type destEnv struct {
	*env
	gh       *githubtest.Server
	dir      string
	envFile  string
	stdinRec string
	keyID    int64
	keyToken string
}

const destGHToken = "ghp_destinationtesttoken0000000000000"

// threeDestinations is the config of destEnv; {dir} is its folder.
const threeDestinations = `destinations:
  shop-ci:
    github: {repo: acme/shop, secret: NEON_API_KEY}
    holds: shop-deploy
  shop-env:
    dotenv: {path: {dir}/.env, var: NEON_API_KEY}
    holds: shop-deploy
  vault-ci:
    command: {argv: [sh, -c, "cat > {dir}/stdin.rec"]}
    holds: shop-deploy
`

// newDestEnv starts the fakes and a server whose config is yamlFmt (with
// {dir} its folder).
func newDestEnv(t *testing.T, yamlFmt string, o ...envOption) *destEnv {
	t.Helper()
	return newDestEnvOn(t, newEnv, yamlFmt, o...)
}

// newDestEnvOn is newDestEnv with the server built by mk (newEnv, newGoldenEnv).
func newDestEnvOn(t *testing.T, mk func(*testing.T, ...envOption) *env, yamlFmt string, o ...envOption) *destEnv {
	t.Helper()
	dir := t.TempDir()
	gh := githubtest.New(t, destGHToken)
	cfg, err := destination.Parse([]byte(strings.ReplaceAll(yamlFmt, "{dir}", dir)), filepath.Join(dir, "config.yaml"), dir)
	if err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(dir, ".env")
	if err := os.WriteFile(envFile, []byte("# shop\nDATABASE_URL=postgres://x\nNEON_API_KEY=napi_old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"GITHUB_API_URL": gh.URL, "GH_TOKEN": destGHToken, "PATH": os.Getenv("PATH"),
		"HOME": dir, "XDG_STATE_HOME": filepath.Join(dir, "state"),
	}
	opts := append([]envOption{withOpts(func(so *server.Options) {
		so.Destinations = cfg
		so.Getenv = func(k string) string { return vars[k] }
	})}, o...)
	e := &destEnv{env: mk(t, opts...), gh: gh, dir: dir, envFile: envFile, stdinRec: filepath.Join(dir, "stdin.rec")}
	e.keyToken, e.keyID = e.fake.AddPersonalKey(e.fx.Admin.ID, "shop-deploy")
	return e
}

// assertNoToken checks that a text holds no Neon token at all, nor the
// GitHub credential.
func assertNoToken(t *testing.T, what, s string) {
	t.Helper()
	if tok := anyToken.FindString(s); tok != "" {
		t.Fatalf("%s holds a token (…%s): %s", what, tok[len(tok)-4:], anyToken.ReplaceAllString(s, "napi_<token>"))
	}
	if strings.Contains(s, destGHToken) {
		t.Fatalf("%s holds the GitHub credential", what)
	}
}

func inputSchemaProps(t *testing.T, e *env, tool string) map[string]any {
	t.Helper()
	in, _ := wireTools(t, e)[tool]["inputSchema"].(map[string]any)
	props, _ := in["properties"].(map[string]any)
	if props == nil {
		t.Fatalf("%s has no input properties", tool)
	}
	return props
}

// TestDeliverToSchemaIsTheConfigsNames: deliver_to's items are an enum of
// exactly the configured names (a model cannot invent one); without a
// config the destination arguments are not offered at all; a name outside
// the enum is refused with nothing minted.
func TestDeliverToSchemaIsTheConfigsNames(t *testing.T) {
	e := newDestEnv(t, threeDestinations)
	for _, tool := range []string{"rotate_api_key", "create_project_scoped_key"} {
		to, _ := inputSchemaProps(t, e.env, tool)["deliver_to"].(map[string]any)
		items, _ := to["items"].(map[string]any)
		raw, _ := items["enum"].([]any)
		var enum []string
		for _, v := range raw {
			name, _ := v.(string)
			enum = append(enum, name)
		}
		if to["type"] != "array" || !slices.Equal(enum, []string{"shop-ci", "shop-env", "vault-ci"}) {
			t.Errorf("%s: deliver_to = %v, want an array of the enum [shop-ci shop-env vault-ci]", tool, to)
		}
	}
	if _, ok := inputSchemaProps(t, e.env, "rotate_api_key")["keep_old"]; !ok {
		t.Error("rotate_api_key offers no keep_old with destinations configured")
	}
	c := e.client()
	for _, args := range []string{
		fmt.Sprintf(`{"key_id":%d,"deliver_to":["prod-db"],"confirm":true}`, e.keyID),
		fmt.Sprintf(`{"project_id":%q,"key_name":"x","deliver_to":["prod-db"],"confirm":true}`, e.fx.OrgProject.ID),
	} {
		tool := "rotate_api_key"
		if strings.Contains(args, "project_id") {
			tool = "create_project_scoped_key"
		}
		res := e.call(c, tool, args)
		if !res.IsError || !strings.Contains(text(res), "Nothing was done") || len(e.mutations()) != 0 {
			t.Fatalf("%s with an unknown destination: %s (mutations %d)", tool, text(res), len(e.mutations()))
		}
	}

	bare := newEnv(t)
	for _, tool := range []string{"rotate_api_key", "create_project_scoped_key"} {
		props := inputSchemaProps(t, bare, tool)
		if _, ok := props["deliver_to"]; ok {
			t.Errorf("%s offers deliver_to with no destination configured", tool)
		}
		if _, ok := props["keep_old"]; ok {
			t.Errorf("%s offers keep_old with no destination configured", tool)
		}
	}
	res := bare.call(bare.client(), "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"deliver_to":["shop-ci"],"confirm":true}`, bare.fx.OrgKeyID))
	if !res.IsError || len(bare.mutations()) != 0 {
		t.Fatalf("deliver_to without destinations: %s (mutations %d)", text(res), len(bare.mutations()))
	}
}

// TestRotateDeliversToTheDestinationsHoldingTheKey: the "Done when" in
// process. A rotation without deliver_to previews each destination holding
// the key and what it overwrites, then writes the new token to the GitHub
// secret, the .env file (its other lines kept) and the program's stdin,
// revokes the old key, and answers with names and fingerprints only.
func TestRotateDeliversToTheDestinationsHoldingTheKey(t *testing.T) {
	e := newDestEnv(t, threeDestinations)
	c := e.client()
	preview := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d}`, e.keyID))
	for _, want := range []string{"shop-ci: GitHub Actions secret NEON_API_KEY of acme/shop", "shop-env: NEON_API_KEY in " + e.envFile,
		"vault-ci: the program sh -c", "overwriting what each holds", "3 destinations"} {
		if !strings.Contains(text(preview), want) {
			t.Errorf("preview lacks %q: %s", want, text(preview))
		}
	}
	if !preview.IsError || len(e.mutations()) != 0 || e.gh.Count("PUT") != 0 {
		t.Fatalf("preview changed something: %s", text(preview))
	}

	res := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.keyID))
	if res.IsError {
		t.Fatalf("rotate: %s", text(res))
	}
	validateOutput(t, e.env, "rotate_api_key", res)
	sec, ok := e.gh.RepoSecret("acme/shop", "NEON_API_KEY")
	token := sec.Value
	if !ok || !e.fake.TokenValid(token) {
		t.Fatalf("the GitHub secret does not hold a live new token (set %v)", ok)
	}
	envText, _ := os.ReadFile(e.envFile)
	if want := "# shop\nDATABASE_URL=postgres://x\nNEON_API_KEY=" + token + "\n"; string(envText) != want {
		t.Errorf(".env = %q, want its other lines kept and the new token set", anyToken.ReplaceAllString(string(envText), "<token>"))
	}
	if got, _ := os.ReadFile(e.stdinRec); strings.TrimSpace(string(got)) != token {
		t.Errorf("the program's stdin was not the new token")
	}
	if e.fake.TokenValid(e.keyToken) {
		t.Error("the old key still works")
	}
	got := structuredMap(t, res)
	if got["status"] != "complete" || got["old_revoked"] != true {
		t.Errorf("status %v, old_revoked %v: want complete, true", got["status"], got["old_revoked"])
	}
	newKey, _ := got["new_key"].(map[string]any)
	if fp, _ := newKey["fingerprint"].(string); fp != "napi_…"+token[len(token)-4:] {
		t.Errorf("fingerprint %q does not name the new token", fp)
	}
	dests, _ := got["destinations"].([]any)
	if len(dests) != 3 {
		t.Fatalf("%d destinations in the answer, want 3", len(dests))
	}
	for _, d := range dests {
		if d.(map[string]any)["status"] != "delivered" {
			t.Errorf("destination %v", d)
		}
	}
	assertNoToken(t, "the answer", dump(res))
	assertNoToken(t, "the log", e.stderr.String())
}

// TestRotateWithDeliverToWarnsAboutTheOthers: naming fewer destinations
// than hold the key delivers only there, and the preview says the others
// keep the old key; keep_old leaves the old key live.
func TestRotateWithDeliverToWarnsAboutTheOthers(t *testing.T) {
	e := newDestEnv(t, threeDestinations)
	c := e.client()
	preview := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"deliver_to":["shop-env"]}`, e.keyID))
	if !strings.Contains(text(preview), "WARNING: shop-ci, vault-ci also hold this key") {
		t.Errorf("preview: %s", text(preview))
	}
	res := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"deliver_to":["shop-env"],"keep_old":true,"confirm":true}`, e.keyID))
	if res.IsError {
		t.Fatalf("rotate: %s", text(res))
	}
	if e.gh.Count("PUT") != 0 {
		t.Error("a destination outside deliver_to was written")
	}
	if !e.fake.TokenValid(e.keyToken) {
		t.Error("keep_old: the old key was revoked")
	}
	if !strings.Contains(text(res), "still works, as asked (keep_old)") {
		t.Errorf("answer: %s", text(res))
	}
	assertNoToken(t, "the answer", dump(res))
}

// TestPreflightFailureMintsNothing: a destination that cannot receive the
// token (GitHub refusing its public key) stops the rotation before Neon is
// asked for anything, and the refusal names it.
func TestPreflightFailureMintsNothing(t *testing.T) {
	e := newDestEnv(t, threeDestinations)
	e.gh.AddFault(githubtest.Fault{Method: "GET", PathSuffix: "/public-key", Status: 403, Body: `{"message":"Resource not accessible"}`})
	res := e.call(e.client(), "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.keyID))
	if !res.IsError || !strings.Contains(text(res), "destination shop-ci") || !strings.Contains(text(res), "nothing was created") {
		t.Fatalf("answer: %s", text(res))
	}
	if len(e.mutations()) != 0 {
		t.Fatalf("%d mutations after a failed preflight", len(e.mutations()))
	}
}

// TestDeliveryFailuresLeakNoToken: a GitHub 422 whose body quotes the sent
// value, and a program that prints the token on stderr and fails, reach
// neither the answer nor the log. The first destination failing withdraws
// the new key; a later one keeps both keys live and the token in a rescue
// file.
func TestDeliveryFailuresLeakNoToken(t *testing.T) {
	t.Run("first fails: withdrawn", func(t *testing.T) {
		e := newDestEnv(t, `destinations:
  a-ci:
    github: {repo: acme/shop, secret: NEON_API_KEY}
    holds: shop-deploy
  b-env:
    dotenv: {path: {dir}/.env, var: NEON_API_KEY}
    holds: shop-deploy
`)
		e.gh.AddFault(githubtest.Fault{Method: "PUT", PathSuffix: "/NEON_API_KEY", Status: 422,
			Body: `{"message":"Invalid value ` + githubtest.Value + `"}`})
		res := e.call(e.client(), "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.keyID))
		got := structuredMap(t, res)
		if !res.IsError || got["status"] != "withdrawn" || !e.fake.TokenValid(e.keyToken) {
			t.Fatalf("answer: %s", text(res))
		}
		validateOutput(t, e.env, "rotate_api_key", res)
		muts := e.mutations()
		if len(muts) != 2 || muts[1].Method != "DELETE" {
			t.Fatalf("want the create then the new key's revoke, got %d mutations", len(muts))
		}
		if b, _ := os.ReadFile(e.envFile); !strings.Contains(string(b), "NEON_API_KEY=napi_old") {
			t.Error("the .env file was written after the first destination failed")
		}
		assertNoToken(t, "the answer", dump(res))
		assertNoToken(t, "the log", e.stderr.String())
	})
	t.Run("second fails: rescue", func(t *testing.T) {
		e := newDestEnv(t, `destinations:
  a-env:
    dotenv: {path: {dir}/.env, var: NEON_API_KEY}
    holds: shop-deploy
  b-cmd:
    command: {argv: [sh, -c, 't=$(cat); echo "refused $t" >&2; exit 1']}
    holds: shop-deploy
`)
		res := e.call(e.client(), "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.keyID))
		got := structuredMap(t, res)
		if !res.IsError || got["status"] != "partial" || !strings.Contains(text(res), "both keys stay live") {
			t.Fatalf("answer: %s", text(res))
		}
		validateOutput(t, e.env, "rotate_api_key", res)
		rescue, _ := got["rescue_file"].(string)
		b, err := os.ReadFile(rescue)
		if err != nil || !e.fake.TokenValid(strings.TrimSpace(string(b))) || !e.fake.TokenValid(e.keyToken) {
			t.Fatalf("want the new token in the rescue file %q and both keys live (%v)", rescue, err)
		}
		if steps := fmt.Sprint(got["next_steps"]); !strings.Contains(steps, "--token-file "+rescue+" --to b-cmd") {
			t.Errorf("next_steps %s do not finish the job", steps)
		}
		assertNoToken(t, "the answer", dump(res))
		assertNoToken(t, "the log", e.stderr.String())
	})
}

// TestDeliverToIsSealedIntoTheConfirmation: the human's yes is for the
// destinations the dialog named. The dialog names each and what it
// overwrites; a sealed state given for one deliver_to does not confirm
// another, and nothing is minted.
func TestDeliverToIsSealedIntoTheConfirmation(t *testing.T) {
	e := newDestEnv(t, threeDestinations, withOpts(func(o *server.Options) { o.NoElicit = false }))
	h := &human{action: mcp.ElicitationResponseActionAccept, confirm: true}
	c := e.client(client.WithElicitationHandler(h))
	res := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"deliver_to":["shop-env","vault-ci"],"confirm":true}`, e.keyID))
	if res.IsError || len(h.messages()) != 1 {
		t.Fatalf("rotate: %s (asked %d times)", text(res), len(h.messages()))
	}
	asked := h.messages()[0]
	for _, want := range []string{"shop-env: NEON_API_KEY in " + e.envFile + " (its value replaced, other lines kept)", "vault-ci: the program sh -c", "2 destinations"} {
		if !strings.Contains(asked, want) {
			t.Errorf("the dialog lacks %q: %s", want, asked)
		}
	}
	if strings.Contains(asked, "shop-ci:") {
		t.Errorf("the dialog names a destination outside deliver_to: %s", asked)
	}

	// Driven by hand: the state sealed for one deliver_to, replayed with another.
	f := newDestEnv(t, threeDestinations, withOpts(func(o *server.Options) { o.NoElicit = false }))
	ctx := f.mcp.WithContext(t.Context(), session{})
	handler := f.mcp.GetTool("rotate_api_key").Handler
	call := func(to []string, state string, responses mcp.InputResponses) *mcp.CallToolResult {
		req := mcp.CallToolRequest{}
		req.Params.Name = "rotate_api_key"
		req.Params.Arguments = map[string]any{"key_id": f.keyID, "deliver_to": to, "confirm": true}
		req.Params.RequestState, req.Params.InputResponses = state, responses
		res, err := handler(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := call([]string{"shop-env"}, "", nil)
	if !first.NeedsInput() {
		t.Fatalf("want an input request, got %s", dump(first))
	}
	for _, to := range [][]string{{"shop-ci"}, {"shop-env", "shop-ci"}} {
		res := call(to, first.RequestState, accept())
		if !res.IsError || !strings.Contains(text(res), "different call") || len(f.mutations()) != 0 {
			t.Fatalf("deliver_to %v with a state sealed for [shop-env]: %s (mutations %d)", to, text(res), len(f.mutations()))
		}
	}
	if res := call([]string{"shop-env"}, first.RequestState, accept()); res.IsError || len(f.mutations()) != 2 {
		t.Fatalf("the approved call: %s", text(res))
	}
}

// TestCreateDeliverToIsSealedIntoTheConfirmation: the same for
// create_project_scoped_key, whose deliver_to is among the sealed
// arguments.
func TestCreateDeliverToIsSealedIntoTheConfirmation(t *testing.T) {
	e := newDestEnv(t, threeDestinations, withOpts(func(o *server.Options) { o.NoElicit = false }))
	ctx := e.mcp.WithContext(t.Context(), session{})
	handler := e.mcp.GetTool("create_project_scoped_key").Handler
	call := func(to []string, state string, responses mcp.InputResponses) *mcp.CallToolResult {
		req := mcp.CallToolRequest{}
		req.Params.Name = "create_project_scoped_key"
		req.Params.Arguments = map[string]any{"project_id": e.fx.OrgProject.ID, "key_name": "shop-ci", "deliver_to": to, "confirm": true}
		req.Params.RequestState, req.Params.InputResponses = state, responses
		res, err := handler(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := call([]string{"shop-env"}, "", nil)
	if !first.NeedsInput() {
		t.Fatalf("want an input request, got %s", dump(first))
	}
	if res := call([]string{"shop-ci"}, first.RequestState, accept()); !res.IsError || !strings.Contains(text(res), "different call") || len(e.mutations()) != 0 {
		t.Fatalf("deliver_to [shop-ci] with a state sealed for [shop-env]: %s (mutations %d)", text(res), len(e.mutations()))
	}
}

// TestRotateTheKeyInUseWithSelf: rotating the server's own key with a self
// destination replaces its key file, and the same session goes on working
// with the new key while the old one is revoked.
func TestRotateTheKeyInUseWithSelf(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "neon-key")
	e := newDestEnv(t, `destinations:
  me:
    self: true
    holds: laptop
`, withOpts(func(o *server.Options) { o.CredentialFile = keyFile }))
	if err := os.WriteFile(keyFile, []byte(e.token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	preview := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d}`, e.fx.AdminKeyID))
	if !strings.Contains(text(preview), "me: neonkeys' own key file "+keyFile) || strings.Contains(text(preview), "stops working") {
		t.Fatalf("preview: %s", text(preview))
	}
	res := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.fx.AdminKeyID))
	if res.IsError || structuredMap(t, res)["switched_credential"] != true {
		t.Fatalf("rotate: %s", text(res))
	}
	b, _ := os.ReadFile(keyFile)
	if e.fake.TokenValid(e.token) || !e.fake.TokenValid(strings.TrimSpace(string(b))) {
		t.Fatal("want the key file's new token live and the old key revoked")
	}
	if list := e.call(c, "list_api_keys", `{}`); list.IsError {
		t.Fatalf("list_api_keys after rotating the key in use: %s", text(list))
	}
	assertNoToken(t, "the answer", dump(res))
}

// TestListDestinations: names, kinds, targets and held keys; with check,
// each preflight; never a secret. Without a config it says so; with a
// broken one it says why, and a rotation is refused.
func TestListDestinations(t *testing.T) {
	e := newDestEnv(t, threeDestinations)
	e.gh.AddFault(githubtest.Fault{Method: "GET", PathSuffix: "/public-key", Status: 403})
	c := e.client()
	res := e.call(c, "list_destinations", `{"check":true}`)
	if res.IsError {
		t.Fatal(text(res))
	}
	validateOutput(t, e.env, "list_destinations", res)
	got := structuredMap(t, res)
	dests, _ := got["destinations"].([]any)
	if len(dests) != 3 || got["checked"] != true {
		t.Fatalf("answer: %s", dump(got))
	}
	wantPreflight := map[string]string{"shop-ci": "failed", "shop-env": "ok", "vault-ci": "ok"}
	for _, d := range dests {
		m := d.(map[string]any)
		if m["holds"] != "shop-deploy" || m["preflight"] != wantPreflight[m["name"].(string)] {
			t.Errorf("destination %v", m)
		}
	}
	assertNoToken(t, "the answer", dump(res))

	none := newEnv(t, withOpts(func(o *server.Options) {
		o.DestinationsErr = fmt.Errorf("%w: /nowhere/config.yaml does not exist", destination.ErrNoConfig)
	}))
	if res := none.call(none.client(), "list_destinations", `{}`); res.IsError || !strings.Contains(text(res), "/nowhere/config.yaml") {
		t.Errorf("without a config: %s", text(res))
	}

	broken := newEnv(t, withOpts(func(o *server.Options) {
		o.DestinationsErr = fmt.Errorf("/x/config.yaml:3: destination %q: unknown kind", "shop-ci")
	}))
	bc := broken.client()
	if res := broken.call(bc, "list_destinations", `{}`); !res.IsError || !strings.Contains(text(res), "config.yaml:3") {
		t.Errorf("broken config: %s", text(res))
	}
	res = broken.call(bc, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, broken.fx.OrgKeyID))
	if !res.IsError || !strings.Contains(text(res), "cannot be used") || len(broken.mutations()) != 0 {
		t.Errorf("rotation with a broken config: %s (mutations %d)", text(res), len(broken.mutations()))
	}
}

// TestCreateDeliversToDestinations: create_project_scoped_key with
// deliver_to writes the token there and answers without it.
func TestCreateDeliversToDestinations(t *testing.T) {
	e := newDestEnv(t, threeDestinations)
	res := e.call(e.client(), "create_project_scoped_key",
		fmt.Sprintf(`{"project_id":%q,"key_name":"shop-ci","deliver_to":["shop-ci"],"confirm":true}`, e.fx.OrgProject.ID))
	if res.IsError {
		t.Fatalf("create: %s", text(res))
	}
	validateOutput(t, e.env, "create_project_scoped_key", res)
	sec, _ := e.gh.RepoSecret("acme/shop", "NEON_API_KEY")
	if !e.fake.TokenValid(sec.Value) || structuredMap(t, res)["status"] != "complete" {
		t.Fatalf("the secret does not hold the new token: %s", text(res))
	}
	assertNoToken(t, "the answer", dump(res))
}

// TestRotatePromptUsesDestinations: with destinations configured, the
// rotate-api-key prompt walks "which systems hold this key?" →
// list_destinations → rotate_api_key with deliver_to → verify with
// list_api_keys, in that order, and tells the model the token is never
// its to see.
func TestRotatePromptUsesDestinations(t *testing.T) {
	e := newDestEnv(t, threeDestinations)
	req := mcp.GetPromptRequest{}
	req.Params.Name = tools.PromptRotate
	req.Params.Arguments = map[string]string{"key": "shop-deploy"}
	res, err := e.client().GetPrompt(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	prompt := res.Messages[0].Content.(mcp.TextContent).Text
	at := -1
	for _, step := range []string{"shop-deploy", "Which systems hold this key?", "list_destinations", "deliver_to", "confirm: true", "never ask for it", "list_api_keys. The new key must be listed", "old key id must be gone"} {
		i := strings.Index(prompt, step)
		if i < 0 || i < at {
			t.Fatalf("the prompt lacks %q, or has it out of order: %s", step, prompt)
		}
		at = i
	}
}

// TestRotatingTheKeyInUseNamesTheSelfDestination: a rotation of the key
// the server runs with, delivered elsewhere, warns that neonkeys stops
// working and names the self destination that would prevent it.
func TestRotatingTheKeyInUseNamesTheSelfDestination(t *testing.T) {
	e := newDestEnv(t, `destinations:
  me:
    self: true
  shop-env:
    dotenv: {path: {dir}/.env, var: NEON_API_KEY}
`)
	c := e.client()
	for _, args := range []string{
		fmt.Sprintf(`{"key_id":%d}`, e.fx.AdminKeyID),
		fmt.Sprintf(`{"key_id":%d,"deliver_to":["shop-env"]}`, e.fx.AdminKeyID),
	} {
		preview := text(e.call(c, "rotate_api_key", args))
		if !strings.Contains(preview, "stops working") || !strings.Contains(preview, "the destination me replaces neonkeys' own key file") {
			t.Errorf("%s: preview %s", args, preview)
		}
	}
}

// TestFailedWithdrawalIsSaid: when no destination got the token and
// revoking the new key fails too, the answer does not claim it was
// revoked: it says the key may still work and gives the command.
func TestFailedWithdrawalIsSaid(t *testing.T) {
	e := newDestEnv(t, `destinations:
  a-cmd:
    command: {argv: [sh, -c, 'cat >/dev/null; exit 1']}
    holds: shop-deploy
`)
	e.fake.Inject(neontest.Fault{Method: "DELETE", Status: http.StatusInternalServerError})
	res := e.call(e.client(), "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.keyID))
	got := structuredMap(t, res)
	if !res.IsError || got["status"] != "withdrawn" || !strings.Contains(text(res), "may still work") || strings.Contains(text(res), "revoked again") {
		t.Fatalf("answer: %s", text(res))
	}
	newID := int64(structuredMap(t, res)["new_key"].(map[string]any)["id"].(float64))
	if steps := fmt.Sprint(got["next_steps"]); !strings.Contains(steps, fmt.Sprintf("neonkeys revoke %d", newID)) {
		t.Errorf("next_steps %s do not revoke the new key", steps)
	}
}

// TestOldKeyRevokeFailureIsSaid: every destination holds the new token but
// the old key's revoke fails: the answer warns that it still works, and
// the server log (where a person looks when a cancelled call's answer was
// never read) gives the command that finishes the job.
func TestOldKeyRevokeFailureIsSaid(t *testing.T) {
	e := newDestEnv(t, threeDestinations)
	e.fake.Inject(neontest.Fault{Method: "DELETE", Status: http.StatusInternalServerError})
	res := e.call(e.client(), "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.keyID))
	got := structuredMap(t, res)
	if res.IsError || got["status"] != "old_key_live" || got["old_revoked"] != false || !strings.Contains(text(res), "WARNING") {
		t.Fatalf("answer: %s", text(res))
	}
	validateOutput(t, e.env, "rotate_api_key", res)
	if !e.fake.TokenValid(e.keyToken) {
		t.Fatal("the old key was revoked after all")
	}
	revoke := fmt.Sprintf("neonkeys revoke %d", e.keyID)
	if !strings.Contains(fmt.Sprint(got["next_steps"]), revoke) || !strings.Contains(e.stderr.String(), revoke) {
		t.Errorf("neither next_steps %v nor the log name %q", got["next_steps"], revoke)
	}
}

// TestCancelBetweenDeliveries: the client cancels the call while the
// second of three destinations runs (a program that waits). What is
// delivered stays, the rest is not tried, both keys stay live and the new
// token is kept in a rescue file: no key is lost, none revoked.
func TestCancelBetweenDeliveries(t *testing.T) {
	e := newDestEnv(t, `destinations:
  a-env:
    dotenv: {path: {dir}/.env, var: NEON_API_KEY}
    holds: shop-deploy
  b-cmd:
    command: {argv: [sh, -c, 'cat >/dev/null; : > {dir}/started; exec sleep 60']}
    holds: shop-deploy
  c-file:
    file: {path: {dir}/c.token}
    holds: shop-deploy
`)
	c := e.client()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "rotate_api_key"
		req.Params.Arguments = map[string]any{"key_id": e.keyID, "confirm": true}
		res, _ := c.CallTool(ctx, req)
		done <- res
	}()
	// Wait for the event (the program started), not for a duration; the
	// bound only keeps a broken run from hanging.
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(e.dir, "started")); err == nil {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("the second destination never started; log: %s", e.stderr)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the call did not end after it was cancelled")
	}
	envText, _ := os.ReadFile(e.envFile)
	newToken := strings.TrimPrefix(regexp.MustCompile(`NEON_API_KEY=\S+`).FindString(string(envText)), "NEON_API_KEY=")
	if !e.fake.TokenValid(newToken) || !e.fake.TokenValid(e.keyToken) {
		t.Fatal("want the delivered new key and the old key both live")
	}
	if _, err := os.Stat(filepath.Join(e.dir, "c.token")); err == nil {
		t.Error("a destination was written after the cancellation")
	}
	rescues, _ := filepath.Glob(filepath.Join(e.dir, "state", "neonkeys", "rescue", "*"))
	if len(rescues) != 1 {
		t.Fatalf("rescue files %v, want one", rescues)
	}
	if b, _ := os.ReadFile(rescues[0]); strings.TrimSpace(string(b)) != newToken {
		t.Error("the rescue file does not hold the new token")
	}
	if muts := e.mutations(); len(muts) != 1 {
		t.Errorf("%d mutations, want the create alone (nothing revoked)", len(muts))
	}
	if !strings.Contains(e.stderr.String(), "--token-file "+rescues[0]) {
		t.Errorf("the server log does not say how to finish the job: %s", e.stderr)
	}
	assertNoToken(t, "the log", e.stderr.String())
}

// TestConfirmedRotatePreflightsOnce: a confirmed rotation to one GitHub
// destination checks it once per call, not again just before minting.
// A GitHub destination reads (GET) the public key once per preflight and
// once for the delivery, and makes no other GET; a confirmation through
// the user's dialog is a second call of its own, which checks afresh.
func TestConfirmedRotatePreflightsOnce(t *testing.T) {
	for _, tt := range []struct {
		name      string
		elicit    bool
		wantReads int
	}{
		{"confirm: true", false, 2},
		{"confirmed in the user's dialog", true, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newDestEnv(t, threeDestinations, withOpts(func(o *server.Options) { o.NoElicit = !tt.elicit }))
			c := e.client(client.WithElicitationHandler(&human{action: mcp.ElicitationResponseActionAccept, confirm: true}))
			res := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"deliver_to":["shop-ci"],"confirm":true}`, e.keyID))
			if res.IsError || e.fake.TokenValid(e.keyToken) {
				t.Fatalf("rotate: %s", text(res))
			}
			if got := e.gh.Count(http.MethodGet); got != tt.wantReads {
				t.Errorf("GitHub's public key was read %d times, want %d (one check per call, one delivery)", got, tt.wantReads)
			}
		})
	}
}

// TestDestinationBrokenWhileTheUserIsAskedMintsNothing: the call that
// carries the user's yes checks the destinations again, so one that broke
// while the dialog was open stops the rotation before anything is minted.
func TestDestinationBrokenWhileTheUserIsAskedMintsNothing(t *testing.T) {
	e := newDestEnv(t, threeDestinations, withOpts(func(o *server.Options) { o.NoElicit = false }))
	h := breakingHuman{breakIt: func() {
		e.gh.AddFault(githubtest.Fault{Method: "GET", PathSuffix: "/public-key", Status: 403, Body: `{"message":"Resource not accessible"}`})
	}}
	c := e.client(client.WithElicitationHandler(h))
	res := e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"deliver_to":["shop-ci"],"confirm":true}`, e.keyID))
	if !res.IsError || !strings.Contains(text(res), "destination shop-ci") || !strings.Contains(text(res), "nothing was created") {
		t.Fatalf("answer: %s", text(res))
	}
	if len(e.mutations()) != 0 || !e.fake.TokenValid(e.keyToken) {
		t.Fatalf("%d mutations, old key valid %v: want nothing minted or revoked", len(e.mutations()), e.fake.TokenValid(e.keyToken))
	}
}

// breakingHuman breaks a destination while reading the dialog, then says yes.
type breakingHuman struct{ breakIt func() }

func (h breakingHuman) Elicit(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	h.breakIt()
	res := &mcp.ElicitationResult{}
	res.Action = mcp.ElicitationResponseActionAccept
	res.Content = map[string]any{"confirm": true}
	return res, nil
}
