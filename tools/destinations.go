package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/keys"
)

// Argument names that exist only when destinations are configured.
const (
	argDeliverTo = "deliver_to"
	argKeepOld   = "keep_old"
)

// adaptSchema fits a mutating tool's reflected input schema to the
// destinations configured at start: deliver_to's items become an enum of
// their names, so a model cannot invent one. With none configured the
// destination arguments (names) are removed, since an empty enum is
// invalid and an argument that cannot work must not be offered. It panics
// on a schema it cannot read: schemas are fixed at build time.
func adaptSchema(schema json.RawMessage, configured []string, names ...string) json.RawMessage {
	var m map[string]any
	if err := json.Unmarshal(schema, &m); err != nil {
		panic(fmt.Sprintf("tools: schema: %v", err))
	}
	props, _ := m["properties"].(map[string]any)
	if len(configured) == 0 {
		for _, n := range names {
			delete(props, n)
		}
	} else if to, ok := props[argDeliverTo].(map[string]any); ok {
		to["items"] = map[string]any{"type": "string", "enum": slices.Clone(configured)}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("tools: schema: %v", err))
	}
	return b
}

// configuredNames are the destination names a schema offers.
func (d Deps) configuredNames() []string {
	if d.Destinations == nil {
		return nil
	}
	return d.Destinations.Names()
}

// configBroken reports whether a destinations config exists but cannot be
// used (malformed, or refused for its permissions).
func (d Deps) configBroken() bool {
	return d.Destinations == nil && d.DestinationsErr != nil && !errors.Is(d.DestinationsErr, destination.ErrNoConfig)
}

// configProblem is why the config cannot be used, in a sentence's middle.
func (d Deps) configProblem() string {
	return fmt.Sprintf("the destinations config cannot be used (%v); the user must fix the file, then restart the MCP server, which reads it once at start",
		d.DestinationsErr)
}

// pickDestinations returns where a new token goes: the destinations named
// in deliver_to, else, for a rotation (heldBy is the old key's name), the
// ones that hold the key; none means the token goes into the answer as
// before. A rotation with an unusable config is refused: which systems
// hold the key is then unknown, and revoking it could break them.
func (d Deps) pickDestinations(named []string, heldBy string, rotation bool) ([]destination.Spec, error) {
	if d.Destinations == nil {
		switch {
		case d.configBroken() && (rotation || len(named) > 0):
			return nil, errors.New(d.configProblem())
		case len(named) > 0:
			return nil, errors.New("deliver_to names destinations, but none are configured (see list_destinations)")
		}
		return nil, nil
	}
	if len(named) > 0 {
		return d.Destinations.Lookup(named...)
	}
	if rotation {
		return d.Destinations.HeldBy(heldBy), nil
	}
	return nil, nil
}

// openDestinations builds the destinations of specs with the process's
// environment and the server's redactor.
func (d Deps) openDestinations(specs []destination.Spec) ([]destination.Destination, error) {
	env := d.DestinationEnv
	env.Redactor = d.Redactor
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	return destination.Open(specs, env)
}

func (d Deps) runner() handoff.Runner {
	getenv := d.DestinationEnv.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return handoff.Runner{Keys: d.Keys, Deliverer: destination.Deliverer{Redactor: d.Redactor}, Getenv: getenv}
}

// preflight checks every destination without writing; "" when all pass,
// else one sentence naming each that failed and why.
func (d Deps) preflight(ctx context.Context, dests []destination.Destination) string {
	var fails []string
	for _, err := range d.runner().Deliverer.PreflightEach(ctx, dests) {
		if err != nil {
			fails = append(fails, err.Error())
		}
	}
	return strings.Join(fails, "; ")
}

// preflightRefusal is the answer when a destination cannot receive the token.
func preflightRefusal(refused, failures string) *mcp.CallToolResult {
	return errorResult(refused + ": a destination cannot receive the token, so nothing was created: " + failures +
		". Fix it (the user's side: a GitHub credential, a folder, a program), or leave that destination out of deliver_to.")
}

// describeDestinations names each destination and what it overwrites.
func describeDestinations(dests []destination.Destination) string {
	parts := make([]string, len(dests))
	for i, dst := range dests {
		parts[i] = dst.Name() + ": " + dst.Target()
	}
	return strings.Join(parts, "; ")
}

// deliveryPreview is the part of a preview that says where the token goes.
func deliveryPreview(dests []destination.Destination) string {
	return fmt.Sprintf("write its token (never shown) to %s, overwriting what each holds: %s",
		count(len(dests), "destination"), describeDestinations(dests))
}

// destinationNames lists the names of dests, in order.
func destinationNames(dests []destination.Destination) []string {
	names := make([]string, len(dests))
	for i, dst := range dests {
		names[i] = dst.Name()
	}
	return names
}

// hasSelf reports whether one of dests is neonkeys' own key file.
func hasSelf(dests []destination.Destination) bool {
	return slices.ContainsFunc(dests, func(dst destination.Destination) bool { return dst.Kind() == destination.KindSelf })
}

// selfHint, for a rotation of the key neonkeys runs with that does not
// deliver to its key file, names the configured self destinations that
// would keep neonkeys working; "" otherwise.
func (d Deps) selfHint(t keys.Target, dests []destination.Destination) string {
	if t.Self == keys.NotSelf || d.Destinations == nil || hasSelf(dests) {
		return ""
	}
	var names []string
	for _, s := range d.Destinations.Destinations {
		if s.Kind == destination.KindSelf {
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf(" (the destination %s replaces neonkeys' own key file and keeps it working: add it to deliver_to)", strings.Join(names, ", "))
}

// leftOut names the destinations that hold key keyName but are not among
// dests: after the rotation they still hold the old key.
func (d Deps) leftOut(keyName string, dests []destination.Destination) []string {
	if d.Destinations == nil {
		return nil
	}
	var out []string
	for _, s := range d.Destinations.HeldBy(keyName) {
		if !slices.Contains(destinationNames(dests), s.Name) {
			out = append(out, s.Name)
		}
	}
	return out
}

// heldElsewhere warns about the destinations among dests whose holds:
// names another key than keyName ("" for a create): the delivery replaces
// that key's token there, and nothing holds that key afterwards. "" when
// none does.
func (d Deps) heldElsewhere(keyName string, dests []destination.Destination) string {
	if d.Destinations == nil {
		return ""
	}
	parts := d.Destinations.HeldElsewhere(keyName, destinationNames(dests)...)
	if len(parts) == 0 {
		return ""
	}
	return ". WARNING: " + strings.Join(parts, "; ") +
		": this replaces that key's token there, and nothing then holds that key (it stays live)"
}

// deliveryView is one destination's outcome in an answer.
type deliveryView struct {
	Name   string `json:"name" jsonschema_description:"The destination's name in the config file."`
	Kind   string `json:"kind" jsonschema:"enum=github,enum=dotenv,enum=file,enum=command,enum=self" jsonschema_description:"What it writes to."`
	Target string `json:"target" jsonschema_description:"What it points at and overwrites."`
	Status string `json:"status" jsonschema:"enum=delivered,enum=failed,enum=uncertain,enum=not tried" jsonschema_description:"delivered: it holds the new token (written and verified); failed: it keeps what it had; uncertain: it may hold either token; not tried: the delivery never started."`
	Detail string `json:"detail,omitempty" jsonschema_description:"What the destination reported on success (a program's output, redacted)."`
	Error  string `json:"error,omitempty" jsonschema_description:"Why it failed (redacted)."`
}

// Statuses of a delivery as a whole (handoffView.Status).
const (
	statusComplete   = "complete"
	statusOldKeyLive = "old_key_live"
	statusPartial    = "partial"
	statusWithdrawn  = "withdrawn"
)

// handoffView is what an answer says about a delivery to destinations.
// It is embedded in the results of create and rotate, and absent (every
// field empty) when the token went into the answer instead.
type handoffView struct {
	Destinations []deliveryView `json:"destinations,omitempty" jsonschema_description:"With deliver_to (or destinations holding the rotated key): each destination's outcome, in order. The token itself is then in no answer."`
	Status       string         `json:"status,omitempty" jsonschema:"enum=complete,enum=old_key_live,enum=partial,enum=withdrawn" jsonschema_description:"With destinations: complete (every destination holds the new token; a rotation's old key is revoked, or kept as asked); old_key_live (every destination holds it, but the old key could not be revoked or the call was interrupted first); partial (only some hold it: both keys live, the token kept in rescue_file); withdrawn (none holds it: the new key was revoked again, the old one still works)."`
	RescueFile   string         `json:"rescue_file,omitempty" jsonschema_description:"With status partial: the file (mode 0600) that keeps the new token until the remaining destinations get it. Never read it into the conversation."`
	NextSteps    []string       `json:"next_steps,omitempty" jsonschema_description:"Commands for the user that finish what was left undone."`
	// SwitchedCredential: a self destination received the token.
	SwitchedCredential bool `json:"switched_credential,omitempty" jsonschema_description:"True when neonkeys' own key file received the new token and this server now runs with it."`
}

// outcomeOf turns a handoff outcome into an answer's fields.
func outcomeOf(o *handoff.Outcome) handoffView {
	out := handoffView{
		Destinations:       make([]deliveryView, len(o.Report.Results)),
		RescueFile:         o.RescuePath,
		NextSteps:          o.NextSteps(),
		SwitchedCredential: o.SwitchedCredential,
	}
	for i, r := range o.Report.Results {
		out.Destinations[i] = deliveryView{Name: r.Name, Kind: string(r.Kind), Target: r.Target, Status: string(r.Status), Detail: r.Detail, Error: r.Err}
	}
	switch {
	case o.Next == destination.Withdraw:
		out.Status = statusWithdrawn
	case o.Next == destination.Rescue:
		out.Status = statusPartial
	case o.Complete():
		out.Status = statusComplete
	default:
		out.Status = statusOldKeyLive
	}
	return out
}

// newKeyOf is the new key of an outcome as answers show it: its
// fingerprint, never its token.
func newKeyOf(o *handoff.Outcome) keys.NewKeyView {
	v := o.New.View()
	v.View = cleanView(v.View)
	v.Fingerprint = o.Fingerprint
	return v
}

// deliveryLines says, one sentence each, where the token went and what
// is left to do. They are joined with spaces in an isError answer, whose
// text keeps no line break (see cleanResult).
func deliveryLines(o *handoff.Outcome) []string {
	var lines []string
	for _, r := range o.Report.Results {
		line := fmt.Sprintf("- %s, %s: %s", r.Name, r.Target, r.Status)
		switch {
		case r.Err != "":
			line += ": " + r.Err
		case r.Detail != "":
			line += " (" + r.Detail + ")"
		}
		lines = append(lines, line+".")
	}
	if o.SwitchedCredential {
		lines = append(lines, "This server now runs with the new key (its key file holds it).")
	}
	if o.WithdrawErr != nil {
		lines = append(lines, "WARNING: revoking the new key again failed: "+explain(keys.OpRevoke, o.WithdrawErr)+".")
	}
	if o.RescueErr != nil {
		lines = append(lines, "WARNING: the rescue file could not be written: "+o.RescueErr.Error()+".")
	}
	for _, s := range o.NextSteps() {
		lines = append(lines, "Next: "+s+".")
	}
	return lines
}

// withdrawnText says what became of a new key no destination received:
// revoked again, or (its revoke failing) perhaps still live.
func withdrawnText(o *handoff.Outcome) string {
	if o.WithdrawErr != nil {
		return "revoking that key again failed, so it may still work (see the next step)"
	}
	return "so that key was revoked again"
}

// joinLines is a summary's text: lines, or one line in an isError answer.
func joinLines(lines []string, isError bool) string {
	if isError {
		return strings.Join(lines, " ")
	}
	return strings.Join(lines, "\n")
}

// runFailed is the answer when handoff.Run minted nothing.
func runFailed(d Deps, tool, refused string, op keys.Operation, err error) *mcp.CallToolResult {
	var pre *destination.PreflightError
	if errors.As(err, &pre) {
		return preflightRefusal(refused, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	logFailure(d, tool, err)
	return errorResult(refused + ": " + explain(op, err) + ".")
}

// logDeliveries logs each destination that did not get the token (the
// texts are already redacted; the logger redacts again), then the outcome
// and what is left to do: a cancelled call's answer may never be read, and
// the server log is then where the person finds the rescue file.
func logDeliveries(d Deps, tool string, o *handoff.Outcome) {
	log := d.logger()
	for _, r := range o.Report.Results {
		if r.Status != destination.Delivered {
			log.Warn("delivery", "tool", tool, "destination", r.Name, "status", string(r.Status), "error", r.Err)
		}
	}
	level := slog.LevelInfo
	if !o.Complete() {
		level = slog.LevelWarn
	}
	log.Log(context.Background(), level, "delivery outcome", "tool", tool, "outcome", o.Summary(), "next_steps", strings.Join(o.NextSteps(), "; "))
}
