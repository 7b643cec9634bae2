package cli

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/neonkeys/neonkeys/internal/buildinfo"
	"github.com/neonkeys/neonkeys/neonapi"
)

// Output formats of -o.
const (
	outTable = "table"
	outJSON  = "json"
	outYAML  = "yaml"
)

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "neonkeys",
		Short: "Manage Neon API keys: list, create, revoke, rotate; or serve them to AI assistants over MCP",
		Long: `neonkeys manages Neon API keys.

The credential comes from NEON_API_KEY, else from the file NEON_API_KEY_FILE
names, or from stdin with --api-key -. NEON_API_HOST overrides the API URL.
NO_COLOR turns colour off.

Exit codes: 0 done; 1 the API or the network failed, or an API call was
interrupted (Ctrl-C, SIGTERM; a key a create made meanwhile is revoked);
2 usage error, missing credential, a request Neon cannot serve as given
(e.g. --project-id of a personal project), or refused confirmation (Ctrl-C
at a prompt included).`,
		Version:           buildinfo.Read().String(),
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := refuseInapplicable(cmd); err != nil {
				return err
			}
			// -o JSON as well as -o json, as gh and kubectl accept.
			a.output = strings.ToLower(a.output)
			switch a.output {
			case outTable, outJSON, outYAML:
			default:
				return usageErr("-o %q: choose table, json or yaml", a.output)
			}
			if a.timeout <= 0 {
				return usageErr("--timeout must be positive, e.g. 30s")
			}
			return nil
		},
	}
	root.SetVersionTemplate("neonkeys {{.Version}}\n")
	root.SetOut(a.rawStdout) // help: our own text only
	root.SetErr(a.stderr)
	root.SetIn(a.env.io.Stdin)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })

	f := root.PersistentFlags()
	f.StringVarP(&a.output, "output", "o", outTable, "output format: table, json or yaml")
	f.StringVar(&a.apiKey, "api-key", "", "'-' reads the API key from stdin (a key written here would show in ps)")
	f.DurationVar(&a.timeout, "timeout", neonapi.DefaultTimeout, "time limit of each API request")
	f.StringVar(&a.apiHost, "api-host", "", "Neon API base URL (default $NEON_API_HOST or Neon's)")
	_ = f.MarkHidden("api-host")

	root.AddCommand(
		a.listCommand(),
		a.createCommand(),
		a.revokeCommand(),
		a.rotateCommand(),
		a.auditCommand(),
		a.whoamiCommand(),
		a.versionCommand(),
		a.completionCommand(root),
		a.mcpCommand(),
		a.destinationsCommand(),
		a.deliverCommand(),
	)
	addExamples(root)
	for _, c := range root.Commands() {
		hideInapplicable(c)
	}
	a.registerCompletions(root)
	return root
}

// versionInfo is version's answer with -o json or yaml.
type versionInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Date    string `json:"date,omitempty"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the neonkeys version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := buildinfo.Read()
			v := versionInfo{Version: b.Version, Commit: b.Commit, Date: b.Date, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
			return a.show(&v, func() error {
				_, err := fmt.Fprintf(a.stdout, "neonkeys %s\n", b)
				return writeErr(err)
			})
		},
	}
}

func (a *app) completionCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a shell completion script. It completes commands and flags, the
values of -o, and key, organization and project ids, which it asks the API
for with your credential (giving up silently after 2 seconds).`,
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Our own text, written raw like help: the redactor would mask
			// parts of it ("--api-key string").
			w := a.rawStdout
			var err error
			switch args[0] {
			case "bash":
				err = root.GenBashCompletionV2(w, true)
			case "zsh":
				err = root.GenZshCompletion(w)
			case "fish":
				err = root.GenFishCompletion(w, true)
			case "powershell":
				err = root.GenPowerShellCompletionWithDesc(w)
			}
			if err != nil {
				return failErr("writing the completion script: %v", err)
			}
			return nil
		},
	}
}

// inapplicable is a global flag a command has no use for. It is hidden
// from that command's help and refused there (exit 2), never silently
// ignored: a flag that seems to work but does nothing misleads.
type inapplicable struct {
	name, shorthand string
	why             string
}

// inapplicableFlags lists, per command, the global flags it refuses.
// --timeout stays on mcp: it bounds each API request the server makes.
func inapplicableFlags(command string) []inapplicable {
	apiKey := inapplicable{name: "api-key", why: "it calls no API"}
	timeout := inapplicable{name: "timeout", why: "it calls no API"}
	switch command {
	case "mcp":
		return []inapplicable{
			{name: "api-key", why: "set NEON_API_KEY or NEON_API_KEY_FILE in the MCP client's configuration"},
			{name: "output", shorthand: "o", why: "it speaks MCP (JSON-RPC) on stdout"},
		}
	case "completion":
		return []inapplicable{apiKey, timeout,
			{name: "output", shorthand: "o", why: "it prints a shell script"}}
	case "version":
		return []inapplicable{apiKey, timeout}
	case "destinations", "deliver":
		// They write to destinations and never call Neon.
		return []inapplicable{apiKey, timeout}
	}
	return nil
}

// hideInapplicable shadows each global flag cmd refuses with a hidden local
// flag of the same name: cobra then leaves the global one out of cmd's
// help, and refuseInapplicable sees when it is given.
func hideInapplicable(cmd *cobra.Command) {
	for _, f := range inapplicableFlags(cmd.Name()) {
		if f.name == "timeout" {
			cmd.Flags().Duration(f.name, 0, "")
		} else {
			cmd.Flags().StringP(f.name, f.shorthand, "", "")
		}
		_ = cmd.Flags().MarkHidden(f.name)
	}
}

// refuseInapplicable is the usage error of a global flag given to a
// command that has no use for it.
func refuseInapplicable(cmd *cobra.Command) error {
	for _, f := range inapplicableFlags(cmd.Name()) {
		if flagSet(cmd.Flags(), f.name) {
			name := "--" + f.name
			if f.shorthand != "" {
				name = "-" + f.shorthand
			}
			return usageErr("%s does not take %s: %s", cmd.Name(), name, f.why)
		}
	}
	return nil
}

// flagSet reports whether the user gave a flag on the command line.
func flagSet(fs *pflag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	return f != nil && f.Changed
}
