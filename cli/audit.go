package cli

import (
	"bufio"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/neonkeys/neonkeys/audit"
	"github.com/neonkeys/neonkeys/keys"
)

// ageValue is a threshold flag: days such as 90d (audit.ParseAge).
type ageValue struct{ d *time.Duration }

// String is "" before a value is set, so help shows no default of its own:
// the default is the config file's, else audit.Defaults.
func (v ageValue) String() string {
	if v.d == nil || *v.d == 0 {
		return ""
	}
	return audit.FormatAge(*v.d)
}

func (v ageValue) Set(s string) error {
	d, err := audit.ParseAge(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

func (ageValue) Type() string { return "age" }

func (a *app) auditCommand() *cobra.Command {
	var (
		orgID  string
		failOn string
		flags  audit.Thresholds // the values of the threshold flags given
	)
	cmd := &cobra.Command{
		Use:   "audit [--org-id ORG] [--fail-on high|medium|low]",
		Short: "Find the keys to revoke or rotate, and the command that fixes each",
		Long: `Audit your personal keys and every organization's (or one with --org-id), and
report, worst first, with the evidence and the command that fixes each:

  high    rotation_unfinished: X-rotated-<time> lives beside the X it replaced
          (and whether X was used since); creator_left: an organization key
          whose creator left the organization or was deactivated
  medium  too_old: older than --max-age; unused: not used for --unused
  low     never_used: never used and older than --never-used;
          duplicate_name: two live keys of one scope with one name

Thresholds: the flags, else the audit: section of the config file
($NEONKEYS_CONFIG, else ~/.config/neonkeys/config.yaml):

  audit:
    never_used: 30d
    unused: 90d
    max_age: 90d

A finding names the destinations of that file that hold the key. It only
reads: nothing is revoked or rotated.

Exit codes: 0 the audit ran (with findings or not, unless --fail-on);
1 --fail-on: a finding of that severity or worse exists, or some keys could
not be listed (a CI gate must not pass on keys it did not see), or the API
or the network failed; 2 usage error, a missing credential or a config
file neonkeys refuses.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkID("--org-id", orgID); err != nil {
				return err
			}
			var gate audit.Severity
			if failOn != "" {
				var err error
				if gate, err = audit.ParseSeverity(failOn); err != nil {
					return usageErr("--fail-on: %v", err)
				}
			}
			opts, err := a.auditOptions(cmd, flags)
			if err != nil {
				return err
			}
			svc, err := a.service(cmd.Context())
			if err != nil {
				return err
			}
			if orgID != "" {
				a.step("Auditing the keys of organization %s…", orgID)
			} else {
				a.step("Auditing your keys and every organization's…")
			}
			report, err := audit.Run(cmd.Context(), svc, orgID, opts)
			if err != nil {
				return a.apiErr(keys.OpList, err)
			}
			if err := a.writeAudit(report); err != nil {
				return failErr("writing the audit: %v", err)
			}
			a.sayAuditSummary(report)
			if gate != "" {
				if n := report.AtLeast(gate); n > 0 {
					return failErr("%d finding(s) of severity %s or worse (--fail-on %s)", n, gate, gate)
				}
				if !report.Complete() {
					// A gate that passes on what it could not see would
					// vouch for keys nobody looked at.
					return failErr("the audit is incomplete (see \"Not audited\" above), so --fail-on %s cannot pass", gate)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&orgID, "org-id", "", "audit only this organization's keys")
	f.StringVar(&failOn, "fail-on", "", "exit 1 when a finding of this severity or worse exists: high, medium or low")
	f.Var(ageValue{&flags.NeverUsed}, "never-used", "report keys never used and older than this, such as 30d (default: the config file's, else 30d)")
	f.Var(ageValue{&flags.Unused}, "unused", "report keys not used for this long, such as 90d (default: the config file's, else 90d)")
	f.Var(ageValue{&flags.MaxAge}, "max-age", "report keys older than this as due for rotation, such as 90d (default: the config file's, else 90d)")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{string(audit.High), string(audit.Medium), string(audit.Low)}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// auditOptions reads the config file (destinations, and the audit:
// section's thresholds) and lets the threshold flags given override it. A
// missing file is no destinations and the defaults; a file neonkeys
// refuses is a usage error.
func (a *app) auditOptions(cmd *cobra.Command, flags audit.Thresholds) (audit.Options, error) {
	// The same config rules as every other command: no HOME nor config path
	// is no config, and a refused file is a usage error, each problem on
	// its line.
	cfg, err := a.loadConfig(false)
	if err != nil {
		return audit.Options{}, err
	}
	th, err := audit.ReadConfig(cfg)
	if err != nil {
		return audit.Options{}, usageErr("%v", err)
	}
	fs := cmd.Flags()
	if flagSet(fs, "never-used") {
		th.NeverUsed = flags.NeverUsed
	}
	if flagSet(fs, "unused") {
		th.Unused = flags.Unused
	}
	if flagSet(fs, "max-age") {
		th.MaxAge = flags.MaxAge
	}
	return audit.Options{Thresholds: th, Destinations: cfg, Words: cliWords()}, nil
}

// writeAudit prints the report: its strings cleaned like every answer, as
// JSON or YAML (the tool's structuredContent), or as a table of findings
// and one line of detail each.
func (a *app) writeAudit(r *audit.Report) error {
	if a.output != outTable {
		return a.writeValue(r)
	}
	cleanStrings(r, cleanTableCell)
	if len(r.Findings) == 0 {
		return nil
	}
	a.colour.table()
	bw := bufio.NewWriterSize(a.stdout, 64<<10)
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tFINDING\tID\tNAME\tSCOPE\tFIX")
	for _, f := range r.Findings {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", f.Severity, f.Kind, f.Key.ID, f.Key.Name, viewScope(f.Key), f.Fix.Command)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(bw)
	for _, f := range r.Findings {
		line := fmt.Sprintf("%d %s: %s", f.Key.ID, f.Key.Name, f.Problem)
		if f.Fix.Note != "" {
			line += " " + f.Fix.Note
		}
		if len(f.HeldBy) > 0 {
			line += " Held by: " + strings.Join(f.HeldBy, ", ") + "."
		}
		fmt.Fprintln(bw, line)
	}
	return bw.Flush()
}

// cleanTableCell is secret.StripControl for a table: no control character,
// tabs included (a tab would break the columns).
func cleanTableCell(s string) string { return strings.ReplaceAll(cleanKeepTabs(s), "\t", " ") }

// viewScope is the SCOPE column of a key view, as the key table spells it.
func viewScope(v keys.View) string {
	switch v.Scope {
	case keys.ScopeProject:
		return keys.ScopeProject + " " + v.ProjectID
	case keys.ScopeOrganization:
		return keys.ScopeOrganization + " " + v.OrgID
	}
	return keys.ScopePersonal
}

// sayAuditSummary tells stderr what was audited, what was found, and
// what could not be read.
func (a *app) sayAuditSummary(r *audit.Report) {
	where := fmt.Sprintf("%d key(s)", r.Audited)
	if r.Orgs > 0 {
		where += fmt.Sprintf(" (%d organization(s))", r.Orgs)
	}
	if len(r.Findings) == 0 {
		a.say("Audited %s: no findings.", where)
	} else {
		a.say("Audited %s: %d high, %d medium, %d low.", where, r.Counts.High, r.Counts.Medium, r.Counts.Low)
	}
	for _, g := range r.Gaps {
		a.say("Not audited: %s: %s.", g.What, g.Reason)
	}
	if r.OrgsLeftOut > 0 {
		a.say("Not audited: %d organization(s) beyond the first %d: audit them with --org-id.", r.OrgsLeftOut, keys.MaxOrgsWalked)
	}
}
