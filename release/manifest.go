package release

import "fmt"

// Project facts every release file repeats.
const (
	ServerName    = "io.github.neonkeys/neonkeys" // the MCP Registry's name
	RepositoryURL = "https://github.com/neonkeys/neonkeys"
	BinaryName    = "neonkeys"
	// Description is the one-line summary, within the registry's limit of
	// MaxDescription characters.
	Description = "List, create, revoke and rotate Neon API keys, with a confirmation before every change."
	// MaxDescription is the MCP Registry's limit on a description.
	MaxDescription = 100
)

// ManifestVersion is the bundle format the manifest follows: the newest
// that @anthropic-ai/mcpb 2.1.2 calls latest (release/mcpb/package.json).
const ManifestVersion = "0.3"

// Platform is one release target, as Go names it.
type Platform struct {
	OS   string `json:"os"`   // GOOS: linux, darwin, windows
	Arch string `json:"arch"` // GOARCH: amd64, arm64
}

// Platforms are the release targets of .goreleaser.yaml.
func Platforms() []Platform {
	var ps []Platform
	for _, os := range []string{"linux", "darwin", "windows"} {
		for _, arch := range []string{"amd64", "arm64"} {
			ps = append(ps, Platform{OS: os, Arch: arch})
		}
	}
	return ps
}

func (p Platform) String() string { return p.OS + "_" + p.Arch }

// Executable is the binary's file name on p.
func (p Platform) Executable() string {
	if p.OS == "windows" {
		return BinaryName + ".exe"
	}
	return BinaryName
}

// mcpbPlatform is p's OS as a bundle names it (Node's process.platform).
func (p Platform) mcpbPlatform() string {
	if p.OS == "windows" {
		return "win32"
	}
	return p.OS
}

// User configuration keys of the bundle: Claude Desktop asks for them at
// install time and substitutes ${user_config.KEY} in mcp_config.
const (
	ConfigAPIKey     = "neon_api_key"
	ConfigReadOnly   = "read_only"
	ConfigSecretsDir = "secrets_dir"
)

// Manifest is a bundle's manifest.json (MANIFEST.md of the mcpb package).
type Manifest struct {
	ManifestVersion string                `json:"manifest_version"`
	Name            string                `json:"name"`
	DisplayName     string                `json:"display_name"`
	Version         string                `json:"version"`
	Description     string                `json:"description"`
	LongDescription string                `json:"long_description"`
	Author          Author                `json:"author"`
	Repository      ManifestRepository    `json:"repository"`
	Homepage        string                `json:"homepage"`
	Documentation   string                `json:"documentation"`
	Support         string                `json:"support"`
	Server          ManifestServer        `json:"server"`
	Tools           []Tool                `json:"tools"`
	Prompts         []Prompt              `json:"prompts,omitempty"`
	Keywords        []string              `json:"keywords"`
	License         string                `json:"license"`
	PrivacyPolicies []string              `json:"privacy_policies"`
	Compatibility   Compatibility         `json:"compatibility"`
	UserConfig      map[string]UserOption `json:"user_config"`
}

// Author is the manifest's author.
type Author struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

// ManifestRepository is the manifest's source repository.
type ManifestRepository struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// ManifestServer says how a client starts the server.
type ManifestServer struct {
	Type       string    `json:"type"`
	EntryPoint string    `json:"entry_point"`
	MCPConfig  MCPConfig `json:"mcp_config"`
}

// MCPConfig is the command line and environment, before substitution.
type MCPConfig struct {
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env"`
}

// Compatibility limits a bundle to the platform its binary runs on.
type Compatibility struct {
	Platforms []string `json:"platforms"`
}

// UserOption is one question the client asks at install time.
type UserOption struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Required    bool   `json:"required"`
	Sensitive   bool   `json:"sensitive,omitempty"`
	Default     any    `json:"default,omitempty"`
}

// NewManifest is the manifest of p's bundle of version, listing s.
func NewManifest(version string, p Platform, s Surface) Manifest {
	entry := "server/" + p.Executable()
	return Manifest{
		ManifestVersion: ManifestVersion,
		Name:            BinaryName,
		DisplayName:     "neonkeys: Neon API keys",
		Version:         version,
		Description:     Description,
		LongDescription: longDescription,
		Author:          Author{Name: "The neonkeys authors", URL: RepositoryURL},
		Repository:      ManifestRepository{Type: "git", URL: RepositoryURL},
		Homepage:        RepositoryURL,
		Documentation:   RepositoryURL + "#use-it-from-your-assistant",
		Support:         RepositoryURL + "/issues",
		Server: ManifestServer{
			Type:       "binary",
			EntryPoint: entry,
			MCPConfig: MCPConfig{
				Command: "${__dirname}/" + entry,
				// One argument per flag with its value after "=": a client
				// substitutes inside an argument, and pflag reads
				// --read-only=false as off.
				Args: []string{
					"mcp",
					"--read-only=${user_config." + ConfigReadOnly + "}",
					"--secrets-dir=${user_config." + ConfigSecretsDir + "}",
				},
				// The key travels in the environment, never in argv, where
				// any local user's ps would show it.
				Env: map[string]string{"NEON_API_KEY": "${user_config." + ConfigAPIKey + "}"},
			},
		},
		Tools:           s.Tools,
		Prompts:         s.Prompts,
		Keywords:        []string{"neon", "postgres", "api-keys", "secrets", "rotation"},
		License:         "MIT",
		PrivacyPolicies: []string{"https://neon.com/privacy-policy"},
		Compatibility:   Compatibility{Platforms: []string{p.mcpbPlatform()}},
		UserConfig:      userConfig(),
	}
}

// userConfig is what Claude Desktop asks at install time. The key is
// sensitive, so the client keeps it in the OS keychain, not in a file.
//
// The secrets folder is required: a client keeps an option that was left
// empty as the literal text ${user_config.secrets_dir} (the mcpb package's
// getMcpConfigForManifest), which `neonkeys mcp` would refuse as a folder,
// and so would not start. Required, it also keeps every new token out of
// the chat transcript, which a desktop client stores.
func userConfig() map[string]UserOption {
	return map[string]UserOption{
		ConfigAPIKey: {
			Type:        "string",
			Title:       "Neon API key",
			Description: "A personal API key (Neon Console > Account settings > API keys). Kept in your system's keychain.",
			Required:    true,
			Sensitive:   true,
		},
		ConfigReadOnly: {
			Type:        "boolean",
			Title:       "Read-only",
			Description: "Serve only the listing tools: nothing can be created, revoked or rotated.",
			Default:     false,
		},
		ConfigSecretsDir: {
			Type:        "directory",
			Title:       "Folder for new keys",
			Description: "New tokens are written here as files only you can read (one per key), never into the chat. Choose a private folder.",
			Required:    true,
		},
	}
}

const longDescription = `neonkeys lists, creates, revokes and rotates Neon API keys.

- **Rotate in one step**: a replacement at the same scope is created, its token delivered, then the old key revoked.
- **Nothing changes without you**: create, revoke and rotate need an explicit confirmation, and Claude asks you in a dialog first.
- **Tokens stay out of the chat**: a new token is written to a file in the folder you choose (mode 0600), and the answer carries only its path and a fingerprint.
- **Read-only mode** serves only the listing tools.`

// BundleFile is the file name of p's bundle of version, beside the
// archives in dist/.
func BundleFile(version string, p Platform) string {
	return fmt.Sprintf("%s_%s_%s.mcpb", BinaryName, version, p)
}
