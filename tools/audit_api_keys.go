package tools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/audit"
	"github.com/neonkeys/neonkeys/ids"
	"github.com/neonkeys/neonkeys/keys"
)

// NameAudit is the audit tool's name.
const NameAudit = "audit_api_keys"

// Findings returned by default and at most: a large account may have
// thousands, and counts still tell the whole.
const (
	defaultAuditLimit = 50
	maxAuditLimit     = 500
)

type auditArgs struct {
	OrgID         ids.OrgID `json:"org_id,omitempty" jsonschema_description:"Organization id (org-…). Without it the personal keys and every organization's keys are audited; with it only that organization's."`
	NeverUsedDays *int      `json:"never_used_days,omitempty" jsonschema:"minimum=1,maximum=36500" jsonschema_description:"Report keys never used and older than this many days (default: the config file's audit.never_used, else 30)."`
	UnusedDays    *int      `json:"unused_days,omitempty" jsonschema:"minimum=1,maximum=36500" jsonschema_description:"Report keys not used for this many days (default: the config file's audit.unused, else 90)."`
	MaxAgeDays    *int      `json:"max_age_days,omitempty" jsonschema:"minimum=1,maximum=36500" jsonschema_description:"Report keys older than this many days as due for rotation (default: the config file's audit.max_age, else 90)."`
	MinSeverity   string    `json:"min_severity,omitempty" jsonschema:"enum=high,enum=medium,enum=low,default=low" jsonschema_description:"Return only findings of this severity or worse (default low: all)."`
	Limit         *int      `json:"limit,omitempty" jsonschema:"minimum=1,maximum=500,default=50" jsonschema_description:"At most this many findings are returned, worst first (default 50); counts still count every finding."`
}

type auditResult struct {
	audit.Report
	Returned  int    `json:"returned" jsonschema_description:"How many findings are in findings."`
	Truncated bool   `json:"truncated" jsonschema_description:"True when more findings matched than were returned: raise limit or min_severity, or audit one org_id."`
	Note      string `json:"note,omitempty" jsonschema_description:"Set when the answer was cut short to stay small, or the config file could not be used."`
}

// AuditAPIKeys is the audit_api_keys tool.
func AuditAPIKeys(d Deps) server.ServerTool {
	t := newTool[auditArgs, auditResult](NameAudit, "Audit Neon API keys",
		"Audit Neon API keys for hygiene: keys never used, unused for long, older than the maximum age, created by someone who left "+
			"the organization, left behind by an unfinished rotation, or sharing a name. Use it when the user asks which keys should go "+
			"or be rotated. Each finding has a severity, the evidence, and the revoke_api_key or rotate_api_key call that fixes it "+
			"(without confirm: call it to preview, then ask the user). It changes nothing, and tokens are never shown.", readOnlyHints)
	return serverTool(t, func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult {
		d := d.forRequest(ctx)
		args, _, err := bind[auditArgs](req)
		if err != nil {
			return errorResult(err.Error())
		}
		limit, err := limitOrDefault(args.Limit, defaultAuditLimit, maxAuditLimit)
		if err = firstErr(err, checkID("org_id", args.OrgID)); err != nil {
			return errorResult(err.Error())
		}
		minSev := audit.Low
		if args.MinSeverity != "" {
			if minSev, err = audit.ParseSeverity(args.MinSeverity); err != nil {
				return errorResult(err.Error() + ".")
			}
		}
		if d.Keys == nil {
			return d.noCredential()
		}
		opts, note := d.auditOptions(args)
		report, err := audit.Run(ctx, d.Keys, string(args.OrgID), opts)
		if err != nil {
			logFailure(d, NameAudit, err)
			return errorResult("Could not audit the keys: " + explain(keys.OpList, err) + ".")
		}
		out, lines := cutFindings(report, minSev, limit)
		if note != "" && out.Note != "" {
			out.Note = note + "; " + out.Note
		} else if note != "" {
			out.Note = note
		}
		return structured(out, auditSummary(out, minSev)+lines)
	})
}

// auditOptions are the thresholds (the config file's, then the arguments)
// and the destinations. A config that cannot be used leaves the defaults,
// and note says so.
func (d Deps) auditOptions(args auditArgs) (audit.Options, string) {
	opts := audit.Options{Thresholds: audit.Defaults(), Destinations: d.Destinations, Words: toolWords()}
	note := ""
	if d.configBroken() {
		note = "default thresholds used, and no destination named: " + d.configProblem()
	} else if th, err := audit.ReadConfig(d.Destinations); err != nil {
		note = fmt.Sprintf("default thresholds used: the config file's audit: section cannot be used (%v)", err)
	} else {
		opts.Thresholds = th
	}
	set := func(dst *time.Duration, days *int) {
		if days != nil {
			*dst = time.Duration(*days) * audit.Day
		}
	}
	set(&opts.Thresholds.NeverUsed, args.NeverUsedDays)
	set(&opts.Thresholds.Unused, args.UnusedDays)
	set(&opts.Thresholds.MaxAge, args.MaxAgeDays)
	return opts, note
}

// cutFindings keeps the findings of severity minSev or worse, at most limit
// of them and within maxAnswerBytes, and returns their text lines.
func cutFindings(r *audit.Report, minSev audit.Severity, limit int) (auditResult, string) {
	out := auditResult{Report: *r}
	out.Findings = make([]audit.Finding, 0, min(limit, len(r.Findings)))
	matched := 0
	var lines strings.Builder
	budget := maxAnswerBytes
	for _, f := range r.Findings {
		if !f.Severity.AtLeast(minSev) {
			continue
		}
		matched++
		if len(out.Findings) >= limit || out.Note != "" {
			continue
		}
		cleanFinding(&f)
		line := "\n- " + findingLine(f)
		if budget -= jsonSize(f) + len(line); budget < 0 {
			out.Note = fmt.Sprintf("answer cut at %d findings to stay under %d KiB: raise min_severity or audit one org_id", len(out.Findings), maxAnswerBytes>>10)
			continue
		}
		out.Findings = append(out.Findings, f)
		lines.WriteString(line)
	}
	out.Returned = len(out.Findings)
	out.Truncated = matched > out.Returned
	return out, lines.String()
}

// cleanFinding cleans the API's strings in a finding (see clean): the
// keys' views, and the sentences quoting their names.
func cleanFinding(f *audit.Finding) {
	f.Key = cleanView(f.Key)
	if f.Evidence.ReplacedBy != nil {
		v := cleanView(*f.Evidence.ReplacedBy)
		f.Evidence.ReplacedBy = &v
	}
	f.Problem, f.Fix.Note = cleanText(f.Problem), cleanText(f.Fix.Note)
	f.Evidence.LastUsedFromOldKey = clean(f.Evidence.LastUsedFromOldKey)
	f.Fix.Command, f.Fix.Args.OrgID = clean(f.Fix.Command), clean(f.Fix.Args.OrgID)
}

// findingLine is one finding for a person: severity, key, problem, fix.
func findingLine(f audit.Finding) string {
	args := fmt.Sprintf("key_id: %d", f.Fix.Args.KeyID)
	if f.Fix.Args.OrgID != "" {
		args += ", org_id: " + f.Fix.Args.OrgID
	}
	line := fmt.Sprintf("[%s] %s: key %d %q (%s): %s Fix: %s {%s}", f.Severity, f.Kind, f.Key.ID, f.Key.Name,
		auditScope(f.Key), f.Problem, f.Fix.Tool, args)
	if f.Fix.Note != "" {
		line += " " + f.Fix.Note
	}
	if len(f.HeldBy) > 0 {
		line += " Held by destination " + strings.Join(f.HeldBy, ", ") + "."
	}
	return line
}

// auditScope is a view's scope in words.
func auditScope(v keys.View) string {
	switch v.Scope {
	case keys.ScopeProject:
		return "project " + v.ProjectID + " in organization " + v.OrgID
	case keys.ScopeOrganization:
		return "organization " + v.OrgID
	}
	return keys.ScopePersonal
}

// auditSummary is the first line of the answer: what was audited and
// found, and what could not be read.
func auditSummary(r auditResult, minSev audit.Severity) string {
	s := fmt.Sprintf("Audited %s in %s: %d high, %d medium, %d low finding(s).",
		count(r.Audited, "key"), count(r.Orgs, "organization"), r.Counts.High, r.Counts.Medium, r.Counts.Low)
	if minSev != audit.Low {
		s += fmt.Sprintf(" Showing %s of severity %s or worse.", count(r.Returned, "finding"), minSev)
	}
	if r.Truncated {
		s += fmt.Sprintf(" Showing the first %d, worst first.", r.Returned)
	}
	for _, g := range r.Gaps {
		s += fmt.Sprintf(" Not audited: %s (%s).", g.What, g.Reason)
	}
	if r.OrgsLeftOut > 0 {
		s += fmt.Sprintf(" Not audited: %s beyond the first %d: audit them with org_id.", count(r.OrgsLeftOut, "organization"), keys.MaxOrgsWalked)
	}
	if r.Note != "" {
		s += " Note: " + r.Note + "."
	}
	if len(r.Findings) > 0 {
		s += " Explain each finding to the user and ask before calling any fix."
	}
	return s
}
