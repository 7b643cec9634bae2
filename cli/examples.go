package cli

import "github.com/spf13/cobra"

// examples is the Examples section of each command's help, by command name,
// kept in one place so every command has one (cli/help_test.go checks that
// each line parses as a command with its flags).
func examples() map[string]string {
	return map[string]string{
		"neonkeys": `  neonkeys list
  neonkeys create --name ci-deploy --project-id cool-breeze-12345678 --out ci.key
  neonkeys rotate 1234567`,
		"list": `  neonkeys list
  neonkeys list --org-id org-cool-breeze-12345678 -o json
  neonkeys list --project-id cool-breeze-12345678
  neonkeys list --name-contains deploy --limit 20`,
		"create": `  neonkeys create --name laptop
  neonkeys create --name ci --org-id org-cool-breeze-12345678 --out ci.key
  neonkeys create --name deploy --project-id cool-breeze-12345678 -o json
  neonkeys create --name shop-ci --project-id cool-breeze-12345678 --to shop-ci --yes`,
		"revoke": `  neonkeys revoke 1234567
  neonkeys revoke 1234567 --org-id org-cool-breeze-12345678 --yes`,
		"rotate": `  neonkeys rotate 1234567
  neonkeys rotate 1234567 --yes --out new.key
  neonkeys rotate 1234567 --org-id org-cool-breeze-12345678 --name ci-2026 -o json --yes
  neonkeys rotate 1234567 --to shop-ci --to shop-env --yes
  neonkeys rotate 1234567 --keep-old
  neonkeys rotate --older-than 90d --only-held --yes -o json`,
		"audit": `  neonkeys audit
  neonkeys audit --org-id org-cool-breeze-12345678 --fail-on high
  neonkeys audit --max-age 60d --unused 30d -o json`,
		"whoami": `  neonkeys whoami
  neonkeys whoami -o json`,
		"version": `  neonkeys version
  neonkeys version -o json
  neonkeys --version`,
		"completion": `  source <(neonkeys completion bash)
  neonkeys completion zsh > "${fpath[1]}/_neonkeys"
  neonkeys completion fish > ~/.config/fish/completions/neonkeys.fish
  neonkeys completion powershell | Out-String | Invoke-Expression`,
		"destinations": `  neonkeys destinations
  neonkeys destinations --check -o json`,
		"deliver": `  neonkeys deliver --token-file ~/.local/state/neonkeys/rescue/1234567-shop-ci.token --to shop-env
  op read op://ci/neon/token | neonkeys deliver --token-file - --to shop-ci`,
		"mcp": `  neonkeys mcp
  neonkeys mcp --read-only
  neonkeys mcp --secrets-dir ~/.config/neonkeys/secrets --confirm-ttl 10m`,
	}
}

// addExamples fills the Examples section of root and its commands.
func addExamples(root *cobra.Command) {
	ex := examples()
	root.Example = ex[root.Name()]
	for _, c := range root.Commands() {
		if c.Example == "" {
			c.Example = ex[c.Name()]
		}
	}
}
