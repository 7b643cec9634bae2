package release

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// callTimeout bounds one MCP exchange with a healthy local binary (which
// answers in milliseconds); generous for a loaded 2-core CI machine.
const callTimeout = 60 * time.Second

// unpackBundle extracts a .mcpb (a zip) into a new folder, keeping the
// executable bits as a client's installer does.
func unpackBundle(t *testing.T, path string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("opening the bundle: %v", err)
	}
	defer func() { _ = zr.Close() }()
	dir := t.TempDir()
	for _, f := range zr.File {
		if !filepath.IsLocal(f.Name) {
			t.Fatalf("bundle entry %q leaves the bundle's folder", f.Name)
		}
		to := filepath.Join(dir, filepath.FromSlash(f.Name))
		if f.FileInfo().IsDir() {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		extractFile(t, f, to)
	}
	return dir
}

func extractFile(t *testing.T, f *zip.File, to string) {
	t.Helper()
	src, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.Mode().Perm())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

func readManifest(t *testing.T, dir string) Manifest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatalf("the bundle has no manifest: %v", err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	return m
}

// clientCommand is the command a client starts for the bundle unpacked in
// dir, built as the mcpb package's getMcpConfigForManifest builds it (the
// code Claude Desktop runs): the manifest's defaults, then the user's
// answers; booleans as "true" or "false"; ${__dirname} the bundle's
// folder. The environment is the manifest's, substituted.
func clientCommand(t *testing.T, m Manifest, dir string, answers map[string]any) *exec.Cmd {
	t.Helper()
	values := map[string]string{"__dirname": dir}
	set := func(key string, v any) {
		switch v := v.(type) {
		case bool:
			values["user_config."+key] = fmt.Sprint(v)
		case string:
			values["user_config."+key] = v
		default:
			t.Fatalf("user_config.%s: a %T; this test knows strings and booleans", key, v)
		}
	}
	for key, opt := range m.UserConfig {
		if opt.Default != nil {
			set(key, opt.Default)
		}
	}
	for key, v := range answers {
		if _, ok := m.UserConfig[key]; !ok {
			t.Fatalf("the manifest asks for no %q", key)
		}
		set(key, v)
	}
	subst := func(s string) string {
		for name, v := range values {
			s = strings.ReplaceAll(s, "${"+name+"}", v)
		}
		if strings.Contains(s, "${") {
			t.Fatalf("%q: a placeholder no answer fills", s)
		}
		return s
	}
	cfg := m.Server.MCPConfig
	var args []string
	for _, a := range cfg.Args {
		args = append(args, subst(a))
	}
	cmd := exec.Command(subst(cfg.Command), args...)
	// What an MCP client passes besides the manifest's env (the TypeScript
	// SDK's default environment): a home, and the PATH.
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	for k, v := range cfg.Env {
		cmd.Env = append(cmd.Env, k+"="+subst(v))
	}
	return cmd
}

// connect starts cmd and initializes an MCP session with it.
func connect(t *testing.T, cmd *exec.Cmd) *mcp.ClientSession {
	t.Helper()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "neonkeys-bundle-test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd, TerminateDuration: 5 * time.Second}, nil)
	if err != nil {
		t.Fatalf("starting the bundle's server: %v\nstderr:\n%s", err, stderr.String())
	}
	t.Cleanup(func() {
		_ = cs.Close()
		if t.Failed() {
			t.Logf("server stderr:\n%s", stderr.String())
		}
	})
	return cs
}

func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var names []string
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			t.Fatalf("tools/list: %v", err)
		}
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

// checkTools: every tool the manifest lists is served (no drift); read-only,
// a part of them without the mutating ones.
func checkTools(t *testing.T, served, listed []string, readOnly bool) {
	t.Helper()
	if !readOnly {
		if !slices.Equal(served, listed) {
			t.Errorf("tools/list: %v, the manifest lists %v", served, listed)
		}
		return
	}
	// These change keys: read-only mode must not serve them.
	mutating := []string{"create_project_scoped_key", "revoke_api_key", "rotate_api_key"}
	for _, name := range served {
		if !slices.Contains(listed, name) || slices.Contains(mutating, name) {
			t.Errorf("read-only tools/list serves %s (all: %v)", name, served)
		}
	}
	if !slices.Contains(served, "list_api_keys") {
		t.Errorf("read-only tools/list: %v, no list_api_keys", served)
	}
}

// checkPromptTexts: a client that fills a manifest prompt's placeholders
// with a user's values gets the text the server itself renders for them.
func checkPromptTexts(t *testing.T, cs *mcp.ClientSession, prompts []Prompt) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	for _, p := range prompts {
		args := map[string]string{}
		want := p.Text
		for _, a := range p.Arguments {
			args[a] = "userchose" + lettersOf(a)
			want = strings.ReplaceAll(want, "${arguments."+a+"}", args[a])
		}
		res, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: p.Name, Arguments: args})
		if err != nil {
			t.Fatalf("prompts/get %s: %v", p.Name, err)
		}
		var got []string
		for _, m := range res.Messages {
			if c, ok := m.Content.(*mcp.TextContent); ok {
				got = append(got, c.Text)
			}
		}
		if strings.Join(got, "\n\n") != want {
			t.Errorf("prompt %s with %v: the server renders\n%s\nthe manifest's text gives\n%s", p.Name, args, strings.Join(got, "\n\n"), want)
		}
	}
}

func promptNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var names []string
	for p, err := range cs.Prompts(ctx, nil) {
		if err != nil {
			t.Fatalf("prompts/list: %v", err)
		}
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return names
}

func callTool(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any, into any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("%s failed: %v", name, res.Content)
	}
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s: structuredContent %s: %v", name, raw, err)
	}
}

// TestBundleRunsAsClaudeDesktopStartsIt unpacks the linux bundle built for
// this machine, starts its entry point exactly as its manifest says, with
// the environment a client builds from the user's answers, and drives it:
// initialize, tools/list, list_api_keys against the fake Neon API.
func TestBundleRunsAsClaudeDesktopStartsIt(t *testing.T) {
	d := builtDist(t)
	if runtime.GOOS != "linux" {
		t.Skipf("the linux bundle runs on linux; this is %s", runtime.GOOS)
	}
	p := Platform{OS: "linux", Arch: runtime.GOARCH}
	dir := unpackBundle(t, filepath.Join(d.Dir, BundleFile(d.Version, p)))
	driveAsInstalled(t, readManifest(t, dir), dir, "v"+d.Version+" (commit ")
}

// driveAsInstalled starts the bundle laid out in dir as a client would,
// once with every tool and once read-only, and checks that it serves what
// its manifest lists and answers list_api_keys from the fake Neon API.
func driveAsInstalled(t *testing.T, m Manifest, dir, wantVersion string) {
	t.Helper()
	var manifestTools, manifestPrompts []string
	for _, tool := range m.Tools {
		manifestTools = append(manifestTools, tool.Name)
	}
	for _, p := range m.Prompts {
		manifestPrompts = append(manifestPrompts, p.Name)
	}
	slices.Sort(manifestTools)
	slices.Sort(manifestPrompts)

	srv := neontest.New(t)
	fx := srv.Seed()
	tests := []struct {
		name     string
		readOnly bool
	}{
		{name: "every tool"},
		{name: "read-only", readOnly: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := clientCommand(t, m, dir, map[string]any{
				ConfigAPIKey: fx.AdminToken, ConfigReadOnly: tt.readOnly, ConfigSecretsDir: t.TempDir(),
			})
			// The one variable a person would not set: the fake stands in for Neon.
			cmd.Env = append(cmd.Env, "NEON_API_HOST="+srv.URL())
			cs := connect(t, cmd)

			info := cs.InitializeResult().ServerInfo
			if info.Name != BinaryName || !strings.HasPrefix(info.Version, wantVersion) {
				t.Errorf("serverInfo %s %q, want %s %q…", info.Name, info.Version, BinaryName, wantVersion)
			}
			checkTools(t, toolNames(t, cs), manifestTools, tt.readOnly)
			if !tt.readOnly {
				if got := promptNames(t, cs); !slices.Equal(got, manifestPrompts) {
					t.Errorf("prompts/list: %v, the manifest lists %v", got, manifestPrompts)
				}
				checkPromptTexts(t, cs, m.Prompts)
			}
			var list struct {
				Keys []struct {
					ID   int64  `json:"id"`
					Name string `json:"name"`
				} `json:"keys"`
			}
			callTool(t, cs, "list_api_keys", map[string]any{}, &list)
			if len(list.Keys) == 0 || list.Keys[0].ID != fx.AdminKeyID || list.Keys[0].Name != "laptop" {
				t.Errorf("list_api_keys: %+v, want the admin's key %d \"laptop\"", list.Keys, fx.AdminKeyID)
			}
		})
	}
}

// TestBundleWritesNewTokensToTheChosenFolder: the folder a person picks at
// install time is where a new token goes, and the answer carries only its
// path.
func TestBundleWritesNewTokensToTheChosenFolder(t *testing.T) {
	d := builtDist(t)
	if runtime.GOOS != "linux" {
		t.Skipf("the linux bundle runs on linux; this is %s", runtime.GOOS)
	}
	dir := unpackBundle(t, filepath.Join(d.Dir, BundleFile(d.Version, Platform{OS: "linux", Arch: runtime.GOARCH})))
	m := readManifest(t, dir)
	srv := neontest.New(t)
	fx := srv.Seed()
	secrets := t.TempDir()
	cmd := clientCommand(t, m, dir, map[string]any{ConfigAPIKey: fx.AdminToken, ConfigSecretsDir: secrets})
	cmd.Env = append(cmd.Env, "NEON_API_HOST="+srv.URL())
	cs := connect(t, cmd)

	var created struct {
		Token     string `json:"key"`
		TokenFile string `json:"token_file"`
	}
	callTool(t, cs, "create_project_scoped_key", map[string]any{
		"project_id": fx.OrgProject.ID, "key_name": "bundle-deploy", "confirm": true,
	}, &created)
	if created.Token != "" || filepath.Dir(created.TokenFile) != secrets {
		t.Fatalf("answer: token %q, file %q; want no token and a file in %s", created.Token, created.TokenFile, secrets)
	}
	token, err := os.ReadFile(created.TokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if !srv.TokenValid(strings.TrimSpace(string(token))) {
		t.Errorf("%s holds no live key's token", created.TokenFile)
	}
	if !slices.ContainsFunc(srv.LiveKeys(), func(k neontest.KeyInfo) bool {
		return k.Name == "bundle-deploy" && k.ProjectID == fx.OrgProject.ID
	}) {
		t.Errorf("no live key bundle-deploy scoped to %s", fx.OrgProject.ID)
	}
}
