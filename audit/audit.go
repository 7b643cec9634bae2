// Package audit turns the keys a credential sees, the members of its
// organizations and the destinations config into findings: keys to revoke
// or rotate, each with its severity, the evidence, and the command and the
// MCP tool call that fix it. It only reads.
//
// What it does not judge, and why:
//   - an organization-wide key where a project-scoped one would do: neither
//     a key nor a destination records the project it serves (holds names a
//     key, not a project), and guessing from words in names would flag keys
//     on a coincidence and cost a project list per organization;
//   - personal keys used from several addresses: Neon keeps one address per
//     key (last_used_from_addr), so the API cannot show it.
package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/keys"
)

// Severity ranks a finding. A CI gate (--fail-on) fails on a severity and
// everything worse.
type Severity string

// Severities, worst first.
const (
	High   Severity = "high"
	Medium Severity = "medium"
	Low    Severity = "low"
)

// rank orders severities: higher is worse.
func (s Severity) rank() int {
	switch s {
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// AtLeast reports whether s is floor or worse.
func (s Severity) AtLeast(floor Severity) bool { return s.rank() >= floor.rank() }

// ParseSeverity reads high, medium or low.
func ParseSeverity(s string) (Severity, error) {
	switch sev := Severity(strings.ToLower(s)); sev {
	case High, Medium, Low:
		return sev, nil
	}
	return "", fmt.Errorf("%q is not a severity: choose high, medium or low", s)
}

// Kind is what a finding is about.
type Kind string

// The kinds of finding, with their severity:
//   - rotation_unfinished (high): the key was replaced by a rotation
//     (X-rotated-<time> lives beside X) but is still live;
//   - creator_left (high): an organization key whose creator is no longer
//     a member of the organization, or whose account was deactivated;
//     they may still hold its token;
//   - too_old (medium): older than Thresholds.MaxAge: due for rotation;
//   - unused (medium): last used longer ago than Thresholds.Unused;
//   - never_used (low): never used, and older than Thresholds.NeverUsed;
//   - duplicate_name (low): another live key of the same scope has the
//     same name, so a name (and a destination's holds) does not say which;
//     every key of the name but the one to keep (used last, else newest).
//
// A key that is stale (unused, never_used) is not also reported too_old:
// revoking it beats rotating it. The old key of an unfinished rotation is
// reported for that alone.
const (
	KindRotationUnfinished Kind = "rotation_unfinished"
	KindCreatorLeft        Kind = "creator_left"
	KindTooOld             Kind = "too_old"
	KindUnused             Kind = "unused"
	KindNeverUsed          Kind = "never_used"
	KindDuplicateName      Kind = "duplicate_name"
)

// Finding is one problem with one key, and how to fix it.
type Finding struct {
	Kind     Kind      `json:"kind" jsonschema:"enum=rotation_unfinished,enum=creator_left,enum=too_old,enum=unused,enum=never_used,enum=duplicate_name" jsonschema_description:"What is wrong."`
	Severity Severity  `json:"severity" jsonschema:"enum=high,enum=medium,enum=low" jsonschema_description:"high, medium or low."`
	Key      keys.View `json:"key" jsonschema_description:"The key concerned (never its token)."`
	Problem  string    `json:"problem" jsonschema_description:"The finding in one sentence, with its evidence."`
	Evidence Evidence  `json:"evidence" jsonschema_description:"The facts behind the finding."`
	Fix      Fix       `json:"fix" jsonschema_description:"What fixes it: a CLI command and the equivalent MCP tool call."`
	// HeldBy names the configured destinations that hold the key (their
	// holds: matches its name).
	HeldBy []string `json:"held_by,omitempty" jsonschema_description:"The configured destinations that hold this key (holds: matches its name); absent when none does."`
}

// Evidence are a finding's facts. Ages are whole days before the audit.
type Evidence struct {
	AgeDays   int `json:"age_days" jsonschema_description:"Days since the key was created."`
	IdleDays  int `json:"idle_days,omitempty" jsonschema_description:"Days since the key was last used; absent when it never was (or was used today)."`
	LimitDays int `json:"limit_days,omitempty" jsonschema_description:"The threshold crossed, in days (never_used, unused, too_old)."`
	// creator_left
	CreatorStatus string     `json:"creator_status,omitempty" jsonschema:"enum=not_a_member,enum=deactivated" jsonschema_description:"creator_left: not_a_member, or deactivated (still listed, account deactivated)."`
	DeactivatedAt *time.Time `json:"deactivated_at,omitempty" jsonschema_description:"creator_left: when the creator's account was deactivated."`
	// rotation_unfinished
	ReplacedBy         *keys.View `json:"replaced_by,omitempty" jsonschema_description:"rotation_unfinished: the key that replaced this one."`
	UsedSinceReplaced  *bool      `json:"used_since_replaced,omitempty" jsonschema_description:"rotation_unfinished: whether this old key was used after its replacement was created (something still holds it)."`
	SameNameKeyIDs     []int64    `json:"same_name_key_ids,omitempty" jsonschema_description:"duplicate_name: the other live keys of the same scope with this name."`
	ReplacementUsed    *bool      `json:"replacement_used,omitempty" jsonschema_description:"rotation_unfinished: whether the replacement has been used at all."`
	LastUsedFromOldKey string     `json:"old_key_last_used_from,omitempty" jsonschema_description:"rotation_unfinished: the address the old key was last used from, when it was used since its replacement was created."`
}

// Fix is how to fix a finding, in both faces. The tool arguments leave out
// confirm: the tool then previews the change, and the user confirms.
type Fix struct {
	Action  string   `json:"action" jsonschema:"enum=revoke,enum=rotate" jsonschema_description:"revoke or rotate."`
	Command string   `json:"command" jsonschema_description:"The neonkeys command that fixes it."`
	Tool    string   `json:"tool" jsonschema:"enum=revoke_api_key,enum=rotate_api_key" jsonschema_description:"The MCP tool that fixes it."`
	Args    ToolArgs `json:"arguments" jsonschema_description:"The tool's arguments, without confirm: the tool previews, then the user confirms."`
	Note    string   `json:"note,omitempty" jsonschema_description:"What to do first or to know, when anything."`
}

// ToolArgs are the arguments of revoke_api_key and rotate_api_key.
type ToolArgs struct {
	KeyID int64  `json:"key_id" jsonschema_description:"The key id."`
	OrgID string `json:"org_id,omitempty" jsonschema_description:"The key's organization; absent for a personal key."`
}

// Options set an audit: the thresholds, and the destinations config (nil
// when there is none).
type Options struct {
	Thresholds   Thresholds
	Destinations *destination.Config
	// Words names the options in what the report says (a gap's reason):
	// the CLI's flags or the tools' argument names.
	Words keys.Words
}

// Report is an audit's answer.
type Report struct {
	Findings []Finding `json:"findings" jsonschema_description:"The findings, worst first."`
	Counts   Counts    `json:"counts" jsonschema_description:"How many findings of each severity."`
	Audited  int       `json:"keys_audited" jsonschema_description:"How many keys were audited."`
	Orgs     int       `json:"organizations_audited" jsonschema_description:"How many organizations' keys were audited."`
	// OrgsLeftOut and Gaps say what was not audited.
	OrgsLeftOut int          `json:"organizations_left_out,omitempty" jsonschema_description:"Organizations beyond the 50 an audit reads; audit them one at a time with org_id."`
	Gaps        []Gap        `json:"not_audited" jsonschema_description:"Places that could not be read, and why; the rest of the report holds."`
	Thresholds  LimitsInDays `json:"thresholds" jsonschema_description:"The thresholds applied, in days."`
	AuditedAt   time.Time    `json:"audited_at" jsonschema_description:"When the audit ran (RFC 3339, UTC)."`
}

// Counts counts findings by severity.
type Counts struct {
	High   int `json:"high" jsonschema_description:"Findings of severity high."`
	Medium int `json:"medium" jsonschema_description:"Findings of severity medium."`
	Low    int `json:"low" jsonschema_description:"Findings of severity low."`
}

// LimitsInDays are the thresholds of a report.
type LimitsInDays struct {
	NeverUsed int `json:"never_used_days" jsonschema_description:"A key never used and older than this is reported."`
	Unused    int `json:"unused_days" jsonschema_description:"A key last used longer ago than this is reported."`
	MaxAge    int `json:"max_age_days" jsonschema_description:"A key older than this is due for rotation."`
}

// Complete reports whether every key the credential may reach was audited:
// no scope whose keys could not be listed, no organization left out. (An
// organization whose members could not be listed still had its keys
// audited, for everything but creator_left.)
func (r *Report) Complete() bool {
	for _, g := range r.Gaps {
		if g.MissesKeys() {
			return false
		}
	}
	return r.OrgsLeftOut == 0
}

// AtLeast counts the findings of severity floor or worse.
func (r *Report) AtLeast(floor Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity.AtLeast(floor) {
			n++
		}
	}
	return n
}

// Run collects the inventory (Collect) and judges it (Judge).
func Run(ctx context.Context, svc *keys.Service, orgID string, opts Options) (*Report, error) {
	inv, err := Collect(ctx, svc, orgID, opts.Words)
	if err != nil {
		return nil, err
	}
	return Judge(inv, svc.Now(), opts), nil
}

// Judge turns an inventory into a report, as of now.
func Judge(inv *Inventory, now time.Time, opts Options) *Report {
	now = now.UTC()
	j := judge{now: now, th: opts.Thresholds, dests: opts.Destinations, inv: inv}
	r := &Report{
		Audited: len(inv.Keys), Orgs: inv.Orgs, OrgsLeftOut: inv.OrgsLeftOut,
		Gaps: append([]Gap{}, inv.Gaps...), AuditedAt: now,
		Thresholds: LimitsInDays{NeverUsed: days(opts.Thresholds.NeverUsed), Unused: days(opts.Thresholds.Unused), MaxAge: days(opts.Thresholds.MaxAge)},
	}
	r.Findings = j.findings()
	for _, f := range r.Findings {
		switch f.Severity {
		case High:
			r.Counts.High++
		case Medium:
			r.Counts.Medium++
		case Low:
			r.Counts.Low++
		}
	}
	return r
}

func days(d time.Duration) int { return int(d / Day) }

// judge holds one audit's inputs.
type judge struct {
	now   time.Time
	th    Thresholds
	dests *destination.Config
	inv   *Inventory
}

func (j *judge) findings() []Finding {
	groups := groupByName(j.inv.Keys)
	replaced := replacements(j.inv.Keys)
	out := []Finding{}
	for i := range j.inv.Keys {
		k := &j.inv.Keys[i]
		if by, ok := replaced[k.ID]; ok {
			out = append(out, j.unfinished(k, by))
		} else if f, ok := j.staleness(k); ok {
			out = append(out, f)
		}
		if f, ok := j.creatorLeft(k); ok {
			out = append(out, f)
		}
		if f, ok := j.duplicate(k, groups); ok {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if a.Severity != b.Severity {
			return b.Severity.rank() - a.Severity.rank()
		}
		if c := strings.Compare(a.Key.OrgID, b.Key.OrgID); c != 0 {
			return c
		}
		switch {
		case a.Key.ID < b.Key.ID:
			return -1
		case a.Key.ID > b.Key.ID:
			return 1
		}
		return 0
	})
	return out
}

// finding starts a finding about k with its common evidence and fix.
func (j *judge) finding(k *keys.Key, kind Kind, sev Severity, action string) Finding {
	f := Finding{Kind: kind, Severity: sev, Key: k.View(), Evidence: Evidence{AgeDays: j.daysSince(k.CreatedAt)}}
	if k.LastUsedAt != nil && !k.LastUsedAt.IsZero() {
		f.Evidence.IdleDays = j.daysSince(*k.LastUsedAt)
	}
	f.Fix = fixFor(k, action)
	if j.dests != nil {
		for _, s := range j.dests.HeldBy(k.Name) {
			f.HeldBy = append(f.HeldBy, s.Name)
		}
	}
	return f
}

func (j *judge) daysSince(t time.Time) int { return max(0, int(j.now.Sub(t)/Day)) }

// staleness is the never_used, unused or too_old finding of k, if any.
func (j *judge) staleness(k *keys.Key) (Finding, bool) {
	age := j.now.Sub(k.CreatedAt)
	used := k.LastUsedAt != nil && !k.LastUsedAt.IsZero()
	switch {
	case !used && age > j.th.NeverUsed:
		f := j.finding(k, KindNeverUsed, Low, "revoke")
		f.Evidence.LimitDays = days(j.th.NeverUsed)
		f.Problem = fmt.Sprintf("Created %d days ago and never used (limit %d days): nothing needs it.", f.Evidence.AgeDays, f.Evidence.LimitDays)
		j.heldNote(&f)
		return f, true
	case used && j.now.Sub(*k.LastUsedAt) > j.th.Unused:
		f := j.finding(k, KindUnused, Medium, "revoke")
		f.Evidence.LimitDays = days(j.th.Unused)
		f.Problem = fmt.Sprintf("Last used %d days ago (limit %d days): whatever held it has stopped using it.", f.Evidence.IdleDays, f.Evidence.LimitDays)
		j.heldNote(&f)
		return f, true
	case age > j.th.MaxAge:
		f := j.finding(k, KindTooOld, Medium, "rotate")
		f.Evidence.LimitDays = days(j.th.MaxAge)
		f.Problem = fmt.Sprintf("Created %d days ago, past the maximum age of %d days: due for rotation.", f.Evidence.AgeDays, f.Evidence.LimitDays)
		if len(f.HeldBy) == 0 {
			f.Fix.Note = "No configured destination holds this key: after the rotation, put the new token where the old one is used."
		}
		return f, true
	}
	return Finding{}, false
}

// heldNote warns, on a revoke fix, that a destination still holds the key.
func (j *judge) heldNote(f *Finding) {
	if len(f.HeldBy) > 0 {
		f.Fix.Note = fmt.Sprintf("Destination %s holds this key: remove it there too, or rotate instead if it is still needed.", strings.Join(f.HeldBy, ", "))
	}
}

// creatorLeft is the creator_left finding of an organization key whose
// creator is not a member of its organization, or was deactivated. The
// check needs the organization's members; without them it is a gap.
func (j *judge) creatorLeft(k *keys.Key) (Finding, bool) {
	members, listed := j.inv.Members[k.OrgID]
	if k.OrgID == "" || !listed || k.CreatedBy.ID == "" {
		return Finding{}, false
	}
	m, isMember := members[k.CreatedBy.ID]
	if isMember && m.DeactivatedAt == nil {
		return Finding{}, false
	}
	f := j.finding(k, KindCreatorLeft, High, "rotate")
	who := k.CreatedBy.ID
	if k.CreatedBy.Name != "" {
		who = fmt.Sprintf("%s (%s)", k.CreatedBy.Name, k.CreatedBy.ID)
	}
	if isMember {
		f.Evidence.CreatorStatus = "deactivated"
		t := m.DeactivatedAt.UTC()
		f.Evidence.DeactivatedAt = &t
		f.Problem = fmt.Sprintf("Its creator %s has a deactivated account (since %s), and may still hold its token.", who, t.Format("2006-01-02"))
	} else {
		f.Evidence.CreatorStatus = "not_a_member"
		f.Problem = fmt.Sprintf("Its creator %s is no longer a member of organization %s, and may still hold its token.", who, k.OrgID)
	}
	f.Fix.Note = "Rotate it so that only current members hold a working token; revoke it instead if nothing uses it."
	return f, true
}

// unfinished is the rotation_unfinished finding of k, replaced by by.
func (j *judge) unfinished(k *keys.Key, by keys.Key) Finding {
	f := j.finding(k, KindRotationUnfinished, High, "revoke")
	rv := by.View()
	f.Evidence.ReplacedBy = &rv
	usedSince := k.LastUsedAt != nil && k.LastUsedAt.After(by.CreatedAt)
	replacementUsed := by.LastUsedAt != nil && !by.LastUsedAt.IsZero()
	f.Evidence.UsedSinceReplaced, f.Evidence.ReplacementUsed = &usedSince, &replacementUsed
	f.Problem = fmt.Sprintf("Replaced by key %d %q on %s but still live.", by.ID, by.Name, by.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"))
	if usedSince {
		f.Evidence.LastUsedFromOldKey = k.LastUsedFromAddr
		from := ""
		if k.LastUsedFromAddr != "" {
			from = " (last from " + k.LastUsedFromAddr + ")"
		}
		f.Problem += fmt.Sprintf(" It was used since%s: something still holds the old token.", from)
		f.Fix.Note = fmt.Sprintf("Switch what still uses it%s to the new key %d first, then revoke.", from, by.ID)
	} else {
		f.Problem += " It has not been used since: revoking it breaks nothing that used it then."
	}
	return f
}

// duplicate is the duplicate_name finding of k, when another live key of
// its scope has its name (groups holds only shared names).
func (j *judge) duplicate(k *keys.Key, groups map[nameScope][]keys.Key) (Finding, bool) {
	if len(groups) == 0 {
		return Finding{}, false
	}
	same := groups[scopeOf(k, k.Name)]
	if len(same) < 2 {
		return Finding{}, false
	}
	keep := keeper(same)
	if keep.ID == k.ID {
		return Finding{}, false // the one to keep is not a finding
	}
	f := j.finding(k, KindDuplicateName, Low, "revoke")
	for _, o := range same {
		if o.ID != k.ID {
			f.Evidence.SameNameKeyIDs = append(f.Evidence.SameNameKeyIDs, o.ID)
		}
	}
	f.Problem = fmt.Sprintf("%d live keys of this scope are named %q: a name (and a destination's holds) cannot say which one is meant.", len(same), k.Name)
	f.Fix.Note = fmt.Sprintf("Keep key %d (the one used last, else the newest) and revoke this one; if both are needed, rotate this one to a distinct name instead (neonkeys rotate %d --name NEW).", keep.ID, k.ID)
	return f, true
}

// keeper is the key of a group sharing one name to keep: the one used
// last, else (none used) the newest.
func keeper(same []keys.Key) keys.Key {
	best := same[0]
	for _, k := range same[1:] {
		bu, ku := lastUsed(best), lastUsed(k)
		switch {
		case ku.After(bu):
			best = k
		case ku.Equal(bu) && k.CreatedAt.After(best.CreatedAt):
			best = k
		}
	}
	return best
}

func lastUsed(k keys.Key) time.Time {
	if k.LastUsedAt == nil {
		return time.Time{}
	}
	return *k.LastUsedAt
}

// nameScope groups keys by scope (organization, project) and name.
type nameScope struct{ orgID, projectID, name string }

func scopeOf(k *keys.Key, name string) nameScope { return nameScope{k.OrgID, k.ProjectID, name} }

// groupByName returns the names shared by two live keys or more of one
// scope, with those keys. The first key of each name is remembered by
// index, so 10,000 distinct names cost one map entry each and no slice.
func groupByName(ks []keys.Key) map[nameScope][]keys.Key {
	first := make(map[nameScope]int, len(ks))
	dups := map[nameScope][]keys.Key{}
	for i := range ks {
		s := scopeOf(&ks[i], ks[i].Name)
		j, seen := first[s]
		switch {
		case !seen:
			first[s] = i
		case len(dups[s]) == 0:
			dups[s] = []keys.Key{ks[j], ks[i]}
		default:
			dups[s] = append(dups[s], ks[i])
		}
	}
	return dups
}

// replacements maps the id of each key a rotation replaced, still live, to
// the key that replaced it: the earliest live key of the same scope named
// <base>-rotated-<later time> (keys.RotatedName; destination.Holds reads
// the name, cut to 64 characters included), where the old key is <base>
// or an earlier <base>-rotated-<time>.
func replacements(ks []keys.Key) map[int64]keys.Key {
	out := map[int64]keys.Key{}
	// successors: per scope and base name, the rotated keys, by their time.
	type rotated struct {
		key keys.Key
		at  time.Time
	}
	succ := map[nameScope][]rotated{}
	for i := range ks {
		if base, at, ok := keys.SplitRotated(ks[i].Name); ok {
			s := scopeOf(&ks[i], base)
			succ[s] = append(succ[s], rotated{ks[i], at})
		}
	}
	if len(succ) == 0 {
		return out
	}
	for i := range ks {
		old := &ks[i]
		base, oldAt, isRotated := keys.SplitRotated(old.Name)
		if !isRotated {
			base = old.Name
		}
		cands := succ[scopeOf(old, base)]
		if len(cands) == 0 {
			cands = cutSuccessors(old, base, succ)
		}
		var best *rotated
		for i := range cands {
			c := &cands[i]
			if c.key.ID == old.ID || (isRotated && !c.at.After(oldAt)) || c.key.CreatedAt.Before(old.CreatedAt) {
				continue
			}
			if !destination.Holds(base, c.key.Name) {
				continue
			}
			if best == nil || c.key.CreatedAt.Before(best.key.CreatedAt) {
				best = c
			}
		}
		if best != nil {
			out[old.ID] = best.key
		}
	}
	return out
}

// cutSuccessors finds rotated keys whose base is old's base cut to fit
// Neon's 64 characters (keys.RotatedName cuts a long name).
func cutSuccessors[T any](old *keys.Key, base string, succ map[nameScope][]T) []T {
	if utf8.RuneCountInString(base) <= keys.MaxRotatedBaseLen {
		return nil
	}
	return succ[scopeOf(old, string([]rune(base)[:keys.MaxRotatedBaseLen]))]
}

// fixFor is the command and tool call that revoke or rotate k.
func fixFor(k *keys.Key, action string) Fix {
	f := Fix{Action: action, Args: ToolArgs{KeyID: k.ID, OrgID: k.OrgID}}
	f.Command = fmt.Sprintf("neonkeys %s %d", action, k.ID)
	if k.OrgID != "" {
		f.Command += " --org-id " + k.OrgID
	}
	f.Tool = "revoke_api_key"
	if action == "rotate" {
		f.Tool = "rotate_api_key"
	}
	return f
}
