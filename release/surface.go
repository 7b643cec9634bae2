// Package release builds what a release ships besides the archives that
// .goreleaser.yaml makes: the Claude Desktop bundle manifests (.mcpb) and
// the MCP Registry's server.json. release/check.sh drives it through
// cmd/releasemeta; its tests check the bundles and server.json it made.
package release

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Surface is what the server offers a client, as a bundle manifest lists
// it. It is read from the built binary, so the manifest cannot drift from
// the code.
type Surface struct {
	ServerVersion string // serverInfo.version
	Tools         []Tool
	Prompts       []Prompt
}

// Tool is one tools/list entry, as the manifest names it.
type Tool struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Prompt is one prompts/list entry with its text, whose arguments are the
// manifest's ${arguments.NAME} placeholders.
type Prompt struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Arguments   []string `json:"arguments,omitempty"`
	Text        string   `json:"text"`
}

// probeTimeout bounds a probe of a binary that hangs; a healthy one
// answers in milliseconds.
const probeTimeout = 30 * time.Second

// Probe starts `bin mcp` (every tool, no credential: the server still
// lists them all), and reads its tools, its prompts and each prompt's text
// rendered with placeholders for its arguments.
func Probe(ctx context.Context, bin string) (Surface, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	// No credential and no configuration from whoever runs the release:
	// the listing needs none, and must not depend on them.
	home, err := os.MkdirTemp("", "neonkeys-probe-home-")
	if err != nil {
		return Surface{}, err
	}
	defer func() { _ = os.RemoveAll(home) }()
	cmd := exec.Command(bin, "mcp")
	cmd.Env = []string{"HOME=" + home}
	client := mcp.NewClient(&mcp.Implementation{Name: "neonkeys-release-probe", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		return Surface{}, fmt.Errorf("starting %s mcp: %w", bin, err)
	}
	defer func() { _ = cs.Close() }()
	s := Surface{ServerVersion: cs.InitializeResult().ServerInfo.Version}
	for t, err := range cs.Tools(ctx, nil) {
		if err != nil {
			return Surface{}, fmt.Errorf("tools/list: %w", err)
		}
		s.Tools = append(s.Tools, Tool{Name: t.Name, Description: t.Description})
	}
	for p, err := range cs.Prompts(ctx, nil) {
		if err != nil {
			return Surface{}, fmt.Errorf("prompts/list: %w", err)
		}
		prompt, err := promptText(ctx, cs, p)
		if err != nil {
			return Surface{}, err
		}
		s.Prompts = append(s.Prompts, prompt)
	}
	if len(s.Tools) == 0 {
		return Surface{}, errors.New("tools/list: the server lists no tool")
	}
	return s, nil
}

// promptText is p's text with a ${arguments.NAME} placeholder, which a
// client fills with the user's value, where each argument goes. A server
// may check an argument (an organization id, say) before using it, so the
// placeholder itself is not sent: p is rendered twice with two made-up
// values that pass any such check, and each is put back as the
// placeholder. Both must give the same text, or p is no plain template.
func promptText(ctx context.Context, cs *mcp.ClientSession, p *mcp.Prompt) (Prompt, error) {
	out := Prompt{Name: p.Name, Description: p.Description}
	for _, a := range p.Arguments {
		out.Arguments = append(out.Arguments, a.Name)
	}
	var texts []string
	for _, variant := range []string{"a", "b"} {
		text, err := renderWith(ctx, cs, p, func(arg string) string { return "zqx" + variant + lettersOf(arg) })
		if err != nil {
			return Prompt{}, err
		}
		texts = append(texts, text)
	}
	if texts[0] != texts[1] {
		return Prompt{}, fmt.Errorf("prompts/get %s: its text changes with its arguments beyond inserting them; a manifest can hold only a template", p.Name)
	}
	out.Text = texts[0]
	return out, nil
}

// renderWith gets p with each argument set to value(name), then puts the
// placeholder back where each value appears.
func renderWith(ctx context.Context, cs *mcp.ClientSession, p *mcp.Prompt, value func(string) string) (string, error) {
	args := map[string]string{}
	for _, a := range p.Arguments {
		args[a.Name] = value(a.Name)
	}
	res, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: p.Name, Arguments: args})
	if err != nil {
		return "", fmt.Errorf("prompts/get %s: %w", p.Name, err)
	}
	var parts []string
	for _, m := range res.Messages {
		c, ok := m.Content.(*mcp.TextContent)
		if !ok {
			return "", fmt.Errorf("prompts/get %s: a %T message; a manifest holds text only", p.Name, m.Content)
		}
		parts = append(parts, c.Text)
	}
	text := strings.Join(parts, "\n\n")
	for name, v := range args {
		text = strings.ReplaceAll(text, v, "${arguments."+name+"}")
	}
	return text, nil
}

// lettersOf keeps the lowercase letters of an argument's name: the made-up
// values are then valid ids, names and search text alike.
func lettersOf(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r
		}
		return -1
	}, strings.ToLower(name))
}
