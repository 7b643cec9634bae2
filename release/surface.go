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

// promptText renders p with each argument set to the manifest's
// placeholder for it, which a client replaces with the user's value.
func promptText(ctx context.Context, cs *mcp.ClientSession, p *mcp.Prompt) (Prompt, error) {
	out := Prompt{Name: p.Name, Description: p.Description}
	args := map[string]string{}
	for _, a := range p.Arguments {
		out.Arguments = append(out.Arguments, a.Name)
		args[a.Name] = "${arguments." + a.Name + "}"
	}
	res, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: p.Name, Arguments: args})
	if err != nil {
		return Prompt{}, fmt.Errorf("prompts/get %s: %w", p.Name, err)
	}
	var text []string
	for _, m := range res.Messages {
		c, ok := m.Content.(*mcp.TextContent)
		if !ok {
			return Prompt{}, fmt.Errorf("prompts/get %s: a %T message; a manifest holds text only", p.Name, m.Content)
		}
		text = append(text, c.Text)
	}
	out.Text = strings.Join(text, "\n\n")
	return out, nil
}
