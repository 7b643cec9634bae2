package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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

Exit codes: 0 done; 1 the API or the network failed, or an API call was
interrupted (Ctrl-C, SIGTERM; a key a create made meanwhile is revoked);
2 usage error, missing credential, or refused confirmation (Ctrl-C at a
prompt included).`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
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
		a.whoamiCommand(),
		a.versionCommand(),
		a.completionCommand(root),
		a.mcpCommand(),
	)
	return root
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the neonkeys version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.stdout, "neonkeys %s\n", version())
			return nil
		},
	}
}

func (a *app) completionCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print a shell completion script. For example:

  source <(neonkeys completion bash)
  neonkeys completion zsh > "${fpath[1]}/_neonkeys"
  neonkeys completion fish > ~/.config/fish/completions/neonkeys.fish`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			switch args[0] {
			case "bash":
				err = root.GenBashCompletionV2(a.stdout, true)
			case "zsh":
				err = root.GenZshCompletion(a.stdout)
			case "fish":
				err = root.GenFishCompletion(a.stdout, true)
			}
			if err != nil {
				return failErr("writing the completion script: %v", err)
			}
			return nil
		},
	}
}

// flagSet reports whether the user gave a flag on the command line.
func flagSet(fs *pflag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	return f != nil && f.Changed
}
