package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/neonkeys/neonkeys/audit"
	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

// Bulk rotation: rotate --older-than AGE plans a rotation of every key
// older than AGE (the keys the audit walks: keys.OrgWalkers organizations
// at a time), shows the plan, asks once, then rotates key by key, each to
// the destinations that hold it (package handoff), going on past a failed
// key. Exit codes as a single rotation's: 0 every planned key rotated (a
// skipped key is not a failure: the plan and the result say why); 1 any
// key left undone; 2 refused before anything changed.

// bulkFlags are rotate's options for many keys at once.
type bulkFlags struct {
	olderThan     time.Duration
	onlyHeld      bool
	includeUnheld bool
	outDir        string
}

func addBulkFlags(f *pflag.FlagSet, bf *bulkFlags) {
	f.Var(ageValue{&bf.olderThan}, "older-than", "instead of an ID: rotate every key created longer ago than this, such as 90d, 12w, 12h")
	f.BoolVar(&bf.onlyHeld, "only-held", false, "with --older-than: leave out the keys no destination holds instead of listing them as skipped")
	f.BoolVar(&bf.includeUnheld, "include-unheld", false, "with --older-than: rotate the keys no destination holds too, their tokens to --out-dir")
	f.StringVar(&bf.outDir, "out-dir", "", "with --include-unheld: an existing folder for their token files (<new name>.token, 0600)")
}

// rotateOneOrMany is rotate's entry: one key by ID, or every key older
// than --older-than.
func (a *app) rotateOneOrMany(cmd *cobra.Command, args []string, fl rotateFlags, bf bulkFlags) error {
	fs := cmd.Flags()
	bulk := flagSet(fs, "older-than")
	switch {
	case len(args) == 1 && bulk:
		return usageErr("give a key ID or --older-than, not both; nothing was done")
	case len(args) == 1:
		for _, name := range []string{"only-held", "include-unheld", "out-dir"} {
			if flagSet(fs, name) {
				return usageErr("--%s only applies with --older-than (a rotation of every key older than that); nothing was done", name)
			}
		}
		return a.rotate(cmd, args[0], fl)
	case !bulk:
		return usageErr("rotate needs a key ID (see neonkeys list), or --older-than AGE to rotate every key older than that")
	}
	if err := checkBulkFlags(fs, bf); err != nil {
		return err
	}
	return a.rotateBulk(cmd.Context(), fl, bf)
}

// checkBulkFlags refuses, before any request, what a bulk rotation cannot
// do: a name, --to or --out fit one key (each key gets its own name and
// goes to the destinations that hold it).
func checkBulkFlags(fs *pflag.FlagSet, bf bulkFlags) error {
	for _, f := range []struct{ flag, why string }{
		{"name", "each key's replacement is named <old>-rotated-<UTC time>"},
		{"to", "each key goes to the destinations that hold it (holds: in the destinations config)"},
		{"out", "the tokens of keys no destination holds go to --out-dir with --include-unheld"},
	} {
		if flagSet(fs, f.flag) {
			return usageErr("--%s cannot be combined with --older-than: %s; nothing was done", f.flag, f.why)
		}
	}
	switch {
	case bf.onlyHeld && bf.includeUnheld:
		return usageErr("--only-held and --include-unheld contradict each other: choose one; nothing was done")
	case bf.includeUnheld && !flagSet(fs, "out-dir"):
		return usageErr("--include-unheld needs --out-dir DIR: the folder that receives the tokens of the keys no destination holds; nothing was done")
	case flagSet(fs, "out-dir") && !bf.includeUnheld:
		return usageErr("--out-dir is where --include-unheld writes tokens: add --include-unheld, or drop --out-dir; nothing was done")
	}
	if err := checkNotEmpty(fs, "out-dir"); err != nil {
		return err
	}
	if bf.outDir != "" {
		if st, err := os.Stat(bf.outDir); err != nil || !st.IsDir() {
			return usageErr("--out-dir %s is not an existing folder: create it first (mode 0700); nothing was done", bf.outDir)
		}
	}
	return nil
}

// bulkPlan is a planned bulk rotation: the items of handoff.PlanBatch,
// and what the plan learnt about each before anything changes.
type bulkPlan struct {
	items []handoff.BatchItem
	// checks holds, per item, its failed destination checks ("" passed).
	checks []string
	// self is the planned key that is (or looks like) the credential,
	// rotated last; nil when none is.
	self *keys.Target
	// gaps and orgsLeftOut are what was not listed, so not considered.
	gaps        []audit.Gap
	orgsLeftOut int
}

func (p *bulkPlan) toRotate() int {
	n := 0
	for _, it := range p.items {
		if it.Skip == "" {
			n++
		}
	}
	return n
}

func (a *app) rotateBulk(ctx context.Context, fl rotateFlags, bf bulkFlags) error {
	if err := checkID("--org-id", fl.orgID); err != nil {
		return err
	}
	cfg, err := a.loadConfig(false)
	if err != nil {
		return err
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	plan, err := a.planBulk(ctx, svc, cfg, fl.orgID, bf)
	if err != nil {
		return err
	}
	n := plan.toRotate()
	a.showBulkPlan(plan, bf, fl)
	if n == 0 {
		a.say("Nothing to rotate: no key older than %s that a destination holds.", audit.FormatAge(bf.olderThan))
		return a.finishBulk(plan, nil, bf)
	}
	if err := a.confirmBulk(ctx, n, fl.yes); err != nil {
		return err
	}
	runner := handoff.Runner{Keys: svc, Deliverer: a.deliverer(), Getenv: a.env.getenv}
	done := 0
	results := runner.RunBatch(ctx, plan.items, fl.keepOld, func(r handoff.BatchResult) {
		if r.Skip == "" {
			done++
			a.step("Key %d %s (%d of %d): %s.", r.Key.ID, previewName(r.Key.Name), done, n, bulkStatus(r))
		}
	})
	return a.finishBulk(plan, results, bf)
}

// planBulk lists the keys, selects and orders the rotations and checks
// their destinations, changing nothing.
func (a *app) planBulk(ctx context.Context, svc *keys.Service, cfg *destination.Config, orgID string, bf bulkFlags) (*bulkPlan, error) {
	cred, err := svc.Credential(ctx)
	if err != nil {
		return nil, a.apiErr(keys.OpRotate, err)
	}
	if org := cred.OrgID(); org != "" {
		return nil, a.apiErr(keys.OpRotate, &keys.CannotMintError{CredentialOrgID: org})
	}
	if orgID != "" {
		a.step("Listing the keys of organization %s…", orgID)
	} else {
		a.step("Listing your keys and every organization's…")
	}
	inv, err := audit.CollectKeys(ctx, svc, orgID, cliWords()) // no member lists: a rotation does not judge creators
	if err != nil {
		return nil, a.apiErr(keys.OpList, err)
	}
	listed := inv.Keys
	outDir := bf.outDir
	if outDir != "" {
		outDir = absPath(outDir)
	}
	// Clean once for every use: the plan, the prompt, the new names.
	cleanStrings(&listed, secret.StripControl)
	items := handoff.PlanBatch(listed, cfg, svc, handoff.BatchOptions{
		OlderThan: bf.olderThan, Now: svc.Now(), OnlyHeld: bf.onlyHeld, OutDir: outDir,
	})
	plan := &bulkPlan{gaps: keyGaps(inv.Gaps), orgsLeftOut: inv.OrgsLeftOut}
	plan.items, plan.self = a.credentialLast(ctx, svc, cred, items)
	handoff.OpenBatch(plan.items, a.destEnv())
	plan.checks = a.checkBulk(ctx, plan.items)
	return plan, nil
}

// keyGaps are the places whose keys could not be listed (a missing member
// list matters to the audit, not to a rotation).
func keyGaps(gaps []audit.Gap) []audit.Gap {
	out := []audit.Gap{}
	for _, g := range gaps {
		if !strings.HasPrefix(g.What, "the members of") {
			out = append(out, g)
		}
	}
	return out
}

// credentialLast moves the key neonkeys runs with (keys.Locate tells, as
// for a single rotation) to the end: once it is revoked, every later call
// would get 401. Only a personal key can be a personal credential, and
// only the most recently used one (the listing just used the credential),
// so one key at most is looked up.
func (a *app) credentialLast(ctx context.Context, svc *keys.Service, cred keys.Credential, items []handoff.BatchItem) ([]handoff.BatchItem, *keys.Target) {
	if cred.KeyType != keys.KeyTypePersonal {
		return items, nil
	}
	last := -1
	for i, it := range items {
		if it.Skip == "" && it.Key.OrgID == "" && (last < 0 || usedAfter(it.Key, items[last].Key)) {
			last = i
		}
	}
	if last < 0 {
		return items, nil
	}
	t, err := svc.Locate(ctx, items[last].Key.ID, "")
	if err != nil || t.Self == keys.NotSelf {
		return items, nil
	}
	rest := append(append([]handoff.BatchItem{}, items[:last]...), items[last+1:]...)
	return append(rest, items[last]), t
}

// usedAfter reports whether k was used more recently than than (never
// used is the oldest).
func usedAfter(k, than keys.Key) bool {
	switch {
	case k.LastUsedAt == nil:
		return false
	case than.LastUsedAt == nil:
		return true
	}
	return k.LastUsedAt.After(*than.LastUsedAt)
}

// checkBulk runs every planned rotation's destination checks before the
// question, so the plan shows a rotation that cannot deliver (it fails
// alone, minting nothing; the others go on).
func (a *app) checkBulk(ctx context.Context, items []handoff.BatchItem) []string {
	checks := make([]string, len(items))
	d := a.deliverer()
	for i, it := range items {
		if it.Skip != "" {
			continue
		}
		if it.OpenErr != nil {
			checks[i] = a.red.Redact(it.OpenErr.Error())
			continue
		}
		var failed []string
		for _, err := range d.PreflightEach(ctx, it.Opened) {
			if err != nil {
				failed = append(failed, a.red.Redact(err.Error()))
			}
		}
		checks[i] = strings.Join(failed, "; ")
	}
	return checks
}

// showBulkPlan prints the plan on stderr, as every preview: one row per key
// with its new name and destinations, or why it is skipped.
func (a *app) showBulkPlan(p *bulkPlan, bf bulkFlags, fl rotateFlags) {
	n := p.toRotate()
	for _, g := range p.gaps {
		a.say("Not considered: %s: %s.", g.What, g.Reason)
	}
	if p.orgsLeftOut > 0 {
		a.say("Not considered: %d organization(s) beyond the first %d: rotate their keys with --org-id.", p.orgsLeftOut, keys.MaxOrgsWalked)
	}
	if len(p.items) == 0 {
		return
	}
	what := fmt.Sprintf("%d key(s) older than %s", n, audit.FormatAge(bf.olderThan))
	a.say("%s", a.heading(fl.yes, "Rotate these "+what+"?", "Rotating "+what+":", "Would rotate "+what+":"))
	tw := tabwriter.NewWriter(a.stderr, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tNAME\tSCOPE\tNEW NAME\tDESTINATIONS")
	for i, it := range p.items {
		newName, to := it.NewName, specNames(it.Destinations)
		switch {
		case it.Skip != "":
			newName, to = "-", "skipped: "+it.Skip
		case p.checks[i] != "":
			to += " (check failed: " + p.checks[i] + ")"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", it.Key.ID, cleanTableCell(it.Key.Name), shortScope(it.Key), cleanTableCell(newName), cleanTableCell(to))
	}
	_ = tw.Flush()
	if n == 0 {
		return
	}
	if fl.keepOld {
		a.say("Each old key stays live (--keep-old).")
	} else {
		a.say("Each old key is revoked once every destination of it holds the new token; a key whose delivery fails keeps its old key.")
	}
	if p.self != nil && !hasSelfSpec(p.items[len(p.items)-1].Destinations) {
		a.say("Key %d is rotated last: %s.", p.self.ID, p.self.SelfWarning(keys.OpRotate))
	}
}

func hasSelfSpec(specs []destination.Spec) bool {
	for _, s := range specs {
		if s.Kind == destination.KindSelf {
			return true
		}
	}
	return false
}

// confirmBulk asks once for the whole plan: the person types how many keys
// it rotates, a number they can only know by reading the plan's heading,
// so a plan bigger than expected is noticed. --yes asks nothing; without a
// terminal it is required.
func (a *app) confirmBulk(ctx context.Context, n int, yes bool) error {
	if yes {
		return nil
	}
	if !a.env.interactive {
		return usageErr("refusing to rotate %d key(s) without --yes when not run at a terminal (stdin and stderr must both be one); nothing was changed", n)
	}
	want := strconv.Itoa(n)
	return a.askTyped(ctx, "Type the number of keys to rotate to confirm: ", "the number of keys to rotate", func(typed string) bool {
		return typed == want
	})
}

// Statuses of a key in a bulk rotation's result.
const (
	bulkRotated     = "rotated"     // every destination holds the new token, the old key is revoked
	bulkOldKept     = "old_kept"    // every destination holds the new token, the old key kept (--keep-old)
	bulkFailed      = "failed"      // left undone: the next steps say what to do
	bulkSkipped     = "skipped"     // no destination holds it (skip_reason)
	bulkInterrupted = "interrupted" // Ctrl-C or SIGTERM before its key was created: nothing changed
)

func bulkStatus(r handoff.BatchResult) string {
	switch {
	case r.Skip != "":
		return bulkSkipped
	case r.Outcome == nil && (errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded)):
		return bulkInterrupted
	case r.Failed():
		return bulkFailed
	case r.Outcome.KeptOld:
		return bulkOldKept
	}
	return bulkRotated
}

// bulkOut is the answer of a bulk rotation (-o json|yaml).
type bulkOut struct {
	OlderThan string       `json:"older_than"`
	Keys      []bulkKeyOut `json:"keys"`
	Rotated   int          `json:"rotated"`
	Failed    int          `json:"failed"`
	// Interrupted counts the keys not tried: the run was stopped first.
	Interrupted int `json:"interrupted"`
	Skipped     int `json:"skipped"`
	// NotListed are the places whose keys could not be listed, and
	// OrgsLeftOut the organizations beyond keys.MaxOrgsWalked: their keys
	// were not considered.
	NotListed   []audit.Gap `json:"not_listed"`
	OrgsLeftOut int         `json:"organizations_left_out,omitempty"`
	Complete    bool        `json:"complete"`
}

// bulkKeyOut is one key: its status, and the run's answer (as a single
// rotation's -o json) when one was started.
type bulkKeyOut struct {
	Key          keys.View   `json:"key"`
	NewName      string      `json:"new_name,omitempty"`
	Status       string      `json:"status"`
	Destinations []string    `json:"destinations"`
	SkipReason   string      `json:"skip_reason,omitempty"`
	Error        string      `json:"error,omitempty"`
	Rotation     *handoffOut `json:"rotation,omitempty"`
}

func (a *app) bulkAnswer(p *bulkPlan, results []handoff.BatchResult, bf bulkFlags) *bulkOut {
	out := &bulkOut{OlderThan: audit.FormatAge(bf.olderThan), Keys: []bulkKeyOut{}, NotListed: p.gaps, OrgsLeftOut: p.orgsLeftOut}
	if results == nil {
		// Nothing ran: the plan's skipped keys are the whole answer.
		for _, it := range p.items {
			results = append(results, handoff.BatchResult{BatchItem: it})
		}
	}
	for _, r := range results {
		k := bulkKeyOut{Key: r.Key.View(), Status: bulkStatus(r), Destinations: []string{}, SkipReason: r.Skip}
		for _, s := range r.Destinations {
			k.Destinations = append(k.Destinations, s.Name)
		}
		if r.Skip == "" {
			k.NewName = r.NewName
		}
		if r.Err != nil {
			k.Error = a.bulkErr(r.Err)
		}
		if r.Outcome != nil {
			h := newHandoffOut(r.Outcome)
			k.Rotation = &h
		}
		switch k.Status {
		case bulkRotated, bulkOldKept:
			out.Rotated++
		case bulkSkipped:
			out.Skipped++
		case bulkInterrupted:
			out.Interrupted++
		default:
			out.Failed++
		}
		out.Keys = append(out.Keys, k)
	}
	out.Complete = out.Failed == 0 && out.Interrupted == 0
	return out
}

// bulkErr is why a key's rotation minted nothing, in the words of a
// single rotation.
func (a *app) bulkErr(err error) string {
	var pe *destination.PreflightError
	if errors.As(err, &pe) || errors.Is(err, context.Canceled) {
		return a.red.Redact(err.Error())
	}
	return a.red.Redact(explain(keys.OpRotate, err))
}

// finishBulk prints the result (a table on stdout, or bulkOut), then on
// stderr what went wrong with each failed key and the commands that finish
// it; exit 1 when any key is left undone.
func (a *app) finishBulk(p *bulkPlan, results []handoff.BatchResult, bf bulkFlags) error {
	out := a.bulkAnswer(p, results, bf)
	if err := a.show(out, func() error { return a.writeBulkTable(out) }); err != nil {
		return writeErr(err)
	}
	for _, r := range results {
		a.sayBulkProblems(r)
	}
	if p.self != nil {
		for _, r := range results {
			if r.Key.ID == p.self.ID && r.Outcome != nil && r.Outcome.Revoked != nil && !r.Outcome.SwitchedCredential {
				a.say("Note: %s.", p.self.SelfAfter(keys.OpRotate))
			}
		}
	}
	if len(p.items) > 0 {
		stopped := ""
		if out.Interrupted > 0 {
			stopped = fmt.Sprintf(", %d interrupted before their turn (run the command again)", out.Interrupted)
		}
		a.say("Rotated %d of %d key(s); %d failed%s, %d skipped.", out.Rotated, out.Rotated+out.Failed+out.Interrupted, out.Failed, stopped, out.Skipped)
	}
	if !out.Complete {
		return &exitError{code: ExitFailed}
	}
	return nil
}

// sayBulkProblems explains a failed key and gives its next steps, as a
// single rotation does.
func (a *app) sayBulkProblems(r handoff.BatchResult) {
	if !r.Failed() || bulkStatus(r) == bulkInterrupted {
		return
	}
	a.say("")
	if r.Outcome == nil {
		a.say("Key %d %s: nothing was created and nothing was revoked: %s", r.Key.ID, previewName(r.Key.Name), a.bulkErr(r.Err))
		return
	}
	a.say("Key %d %s: %s.", r.Key.ID, previewName(r.Key.Name), r.Outcome.Summary())
	a.sayProblems(r.Outcome, keys.OpRotate)
	a.sayNextSteps(r.Outcome.NextSteps())
}

// writeBulkTable prints one row per key: the new key by id and
// fingerprint, the status, and each destination's result (or why the key
// was skipped).
func (a *app) writeBulkTable(out *bulkOut) error {
	if len(out.Keys) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tNEW ID\tFINGERPRINT\tSTATUS\tDESTINATIONS")
	for _, k := range out.Keys {
		newID, fp, dests := "-", "-", strings.Join(k.Destinations, ", ")
		if r := k.Rotation; r != nil {
			newID, fp = strconv.FormatInt(r.NewKey.ID, 10), r.NewKey.Fingerprint
			var parts []string
			for _, d := range r.Destinations {
				parts = append(parts, d.Name+" "+d.Status)
			}
			dests = strings.Join(parts, ", ")
		}
		if k.SkipReason != "" {
			dests = k.SkipReason
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", k.Key.ID, cleanTableCell(k.Key.Name), newID, fp, k.Status, cleanTableCell(dests))
	}
	return tw.Flush()
}
