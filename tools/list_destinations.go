package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/destination"
)

type listDestinationsArgs struct {
	Check bool `json:"check,omitempty" jsonschema_description:"Also run each destination's preflight (writing nothing): can GitHub's public key be read, is the folder writable, does the program exist. Default false."`
}

type destinationView struct {
	Name   string `json:"name" jsonschema_description:"The name to pass in deliver_to."`
	Kind   string `json:"kind" jsonschema:"enum=github,enum=dotenv,enum=file,enum=command,enum=self" jsonschema_description:"What it writes to: a GitHub Actions secret, a variable of a .env file, a token file, a program's stdin, or neonkeys' own key file."`
	Target string `json:"target" jsonschema_description:"What it points at, and what a delivery overwrites."`
	Holds  string `json:"holds,omitempty" jsonschema_description:"The name of the key it holds (a rotation of that key, or of its -rotated-<time> successors, delivers here without deliver_to); absent when not set."`
	// Preflight is set only with check: true.
	Preflight string `json:"preflight,omitempty" jsonschema:"enum=ok,enum=failed" jsonschema_description:"With check: whether the destination can receive a token now."`
	Error     string `json:"error,omitempty" jsonschema_description:"With check: why the preflight failed."`
}

type listDestinationsResult struct {
	Config       string            `json:"config,omitempty" jsonschema_description:"The config file the destinations come from (read once, when the server started); absent when none was found."`
	Destinations []destinationView `json:"destinations" jsonschema_description:"The configured destinations, by name; [] when there are none."`
	Checked      bool              `json:"checked" jsonschema_description:"True when each destination's preflight ran (check: true)."`
}

// ListDestinations is the list_destinations tool.
func ListDestinations(d Deps) server.ServerTool {
	t := newTool[listDestinationsArgs, listDestinationsResult](NameDestinations, "List token destinations",
		"List the destinations a new token can be written to (deliver_to of rotate_api_key and create_project_scoped_key): "+
			"each one's name, kind, what it points at and the key it holds. Use it to answer \"which systems hold this key?\" before a rotation. "+
			"With check: true it also tests, writing nothing, whether each can receive a token. It never shows a secret.", readOnlyHints)
	return serverTool(t, func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult {
		args, _, err := bind[listDestinationsArgs](req)
		if err != nil {
			return errorResult(err.Error())
		}
		if d.configBroken() {
			return errorResult(capitalize(d.configProblem()) + ".")
		}
		if d.Destinations == nil {
			return structured(listDestinationsResult{Destinations: []destinationView{}}, noDestinationsText(d.DestinationsErr))
		}
		out, lines := d.listDestinations(ctx, args.Check)
		head := fmt.Sprintf("%s configured in %s", count(len(out.Destinations), "destination"), out.Config)
		if len(out.Destinations) == 0 {
			head += ": a person adds them to that file (deliver_to is then offered)"
		}
		return structured(out, head+lines)
	})
}

// noDestinationsText answers list_destinations without a config file.
func noDestinationsText(err error) string {
	text := "No destinations are configured, so a new token can only go into an answer (or the --secrets-dir folder)."
	if err != nil && errors.Is(err, destination.ErrNoConfig) {
		text += " " + capitalize(err.Error()) + "; a person writes it (a model never does), then restarts the MCP server."
	}
	return text
}

// listDestinations describes every configured destination, with its
// preflight when check is set.
func (d Deps) listDestinations(ctx context.Context, check bool) (listDestinationsResult, string) {
	specs := d.Destinations.Destinations
	out := listDestinationsResult{Config: d.Destinations.Path, Destinations: make([]destinationView, 0, len(specs)), Checked: check}
	dests, err := d.openDestinations(specs)
	if err != nil {
		// Open fails only on a kind Parse does not know: a bug, said plainly.
		d.logger().Error("opening destinations", "error", d.Redactor.Redact(err.Error()))
		return out, "; they could not be opened: " + err.Error()
	}
	var checks []error
	if check {
		checks = d.runner().Deliverer.PreflightEach(ctx, dests)
	}
	var lines strings.Builder
	for i, dst := range dests {
		v := destinationView{Name: dst.Name(), Kind: string(dst.Kind()), Target: dst.Target(), Holds: specs[i].Holds}
		line := fmt.Sprintf("\n- %s (%s): %s", v.Name, v.Kind, v.Target)
		if v.Holds != "" {
			line += fmt.Sprintf("; holds key %q", v.Holds)
		}
		if check {
			v.Preflight = "ok"
			var pre *destination.PreflightError
			if errors.As(checks[i], &pre) {
				v.Preflight, v.Error = "failed", pre.Err
			}
			line += "; preflight " + v.Preflight
			if v.Error != "" {
				line += ": " + v.Error
			}
		}
		out.Destinations = append(out.Destinations, v)
		lines.WriteString(line)
	}
	return out, lines.String()
}
