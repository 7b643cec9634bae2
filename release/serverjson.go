package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// SchemaURL is the server.json format the registry validates against
// (the file the schema test reads names the same $id).
const SchemaURL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"

// ServerJSON is the MCP Registry's description of a release.
type ServerJSON struct {
	Schema      string     `json:"$schema"`
	Name        string     `json:"name"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Version     string     `json:"version"`
	WebsiteURL  string     `json:"websiteUrl"`
	Repository  Repository `json:"repository"`
	Packages    []Package  `json:"packages"`
}

// Repository is where the source lives.
type Repository struct {
	URL    string `json:"url"`
	Source string `json:"source"`
}

// Package is one downloadable bundle.
type Package struct {
	RegistryType         string     `json:"registryType"`
	Identifier           string     `json:"identifier"` // the bundle's download URL
	Version              string     `json:"version"`
	FileSha256           string     `json:"fileSha256"`
	Transport            Transport  `json:"transport"`
	EnvironmentVariables []KeyInput `json:"environmentVariables"`
}

// Transport is how a client talks to the server.
type Transport struct {
	Type string `json:"type"`
}

// KeyInput is an environment variable the client must set.
type KeyInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Format      string `json:"format"`
	IsRequired  bool   `json:"isRequired"`
	IsSecret    bool   `json:"isSecret"`
}

// Bundle is one built .mcpb file.
type Bundle struct {
	Platform Platform
	File     string // base name, as uploaded to the release
	SHA256   string // hex
}

// NewServerJSON describes version with one mcpb package per bundle.
func NewServerJSON(version string, bundles []Bundle) ServerJSON {
	s := ServerJSON{
		Schema:      SchemaURL,
		Name:        ServerName,
		Title:       "neonkeys",
		Description: Description,
		Version:     version,
		WebsiteURL:  RepositoryURL,
		Repository:  Repository{URL: RepositoryURL, Source: "github"},
	}
	for _, b := range bundles {
		s.Packages = append(s.Packages, Package{
			RegistryType: "mcpb",
			Identifier:   DownloadURL(version, b.File),
			Version:      version,
			FileSha256:   b.SHA256,
			Transport:    Transport{Type: "stdio"},
			EnvironmentVariables: []KeyInput{{
				Name:        "NEON_API_KEY",
				Description: "Your Neon API key (Neon Console > Account settings > API keys)",
				Format:      "string",
				IsRequired:  true,
				IsSecret:    true,
			}},
		})
	}
	return s
}

// DownloadURL is where the release of version publishes file.
func DownloadURL(version, file string) string {
	return RepositoryURL + "/releases/download/v" + version + "/" + file
}

// HashBundles finds every platform's bundle of version in dir and hashes it.
func HashBundles(dir, version string) ([]Bundle, error) {
	var out []Bundle
	for _, p := range Platforms() {
		name := BundleFile(version, p)
		sum, err := sha256File(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Bundle{Platform: p, File: name, SHA256: sum})
	}
	return out, nil
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hashing a bundle: %w", err)
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
