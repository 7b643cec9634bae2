package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/keys"
)

// openChecked opens the destinations of specs and checks each without
// writing. A non-nil result is the answer instead: a destination that
// cannot be opened or cannot receive the token refuses before anyone is
// asked.
func (d Deps) openChecked(ctx context.Context, refused string, specs []destination.Spec) ([]destination.Destination, *mcp.CallToolResult) {
	dests, err := d.openDestinations(specs)
	if err != nil {
		return nil, errorResult(refused + ": " + err.Error() + ".")
	}
	if failures := d.preflight(ctx, dests); failures != "" {
		return nil, preflightRefusal(refused, failures)
	}
	return dests, nil
}

// runDelivery carries out plan (package handoff orders every step) and
// logs each destination's outcome. A non-nil result is the answer when
// nothing was minted. The caller preflighted plan's destinations
// (openChecked) earlier in this same call: a confirmation arrives as a call
// of its own, so no person is asked in between, and Run does not check
// them a second time.
func (d Deps) runDelivery(ctx context.Context, tool, refused string, op keys.Operation, plan handoff.Plan) (*handoff.Outcome, *mcp.CallToolResult) {
	plan.Preflighted = true
	o, err := d.runner().Run(ctx, plan)
	if err != nil {
		return nil, runFailed(d, tool, refused, op, err)
	}
	logDeliveries(d, tool, o)
	return o, nil
}

// deliveryHeads are a tool's first sentence of a delivery's answer, one
// per outcome: the only part of that answer the tools word differently.
type deliveryHeads struct {
	withdrawn string // no destination received the token
	partial   string // only some did
	complete  string // every destination did
}

// deliveryAnswer is the answer of a delivery to destinations: the head
// for o's outcome, a line per destination and what is left to do, then
// tail. It is an error unless every destination holds the new token, and
// then keeps no line break (see joinLines).
func deliveryAnswer(out any, o *handoff.Outcome, heads deliveryHeads, tail ...string) *mcp.CallToolResult {
	head := heads.complete
	switch o.Next {
	case destination.Withdraw:
		head = heads.withdrawn
	case destination.Rescue:
		head = heads.partial
	}
	lines := append([]string{head}, deliveryLines(o)...)
	lines = append(lines, tail...)
	isError := o.Next != destination.RevokeOld
	res := structured(out, joinLines(lines, isError))
	res.IsError = isError
	return res
}
