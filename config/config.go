// Package config reads what neonkeys needs from its environment: the
// credential (never from a plain command-line value) and the API base URL.
package config

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/neonkeys/neonkeys/neonapi"
)

// Environment variables, named as Neon's own CLI and MCP server name them.
const (
	EnvAPIKey     = "NEON_API_KEY"
	EnvAPIKeyFile = "NEON_API_KEY_FILE"
	EnvAPIHost    = "NEON_API_HOST"
)

// ErrNoCredential says how to get and set a key. Its text is shown as is.
var ErrNoCredential = errors.New("NEON_API_KEY is not set: create a key in the Neon Console " +
	"(Account settings > API keys), then export NEON_API_KEY=<key> or put it in a file " +
	"and set NEON_API_KEY_FILE=<path>")

// Getenv looks up an environment variable; os.Getenv in production, a map in tests.
type Getenv func(string) string

// CredentialSource says where a credential was read from.
type CredentialSource struct {
	Token string
	From  string // "NEON_API_KEY", "NEON_API_KEY_FILE <path>", "stdin"
	// File is the key file the token was read from ("" otherwise): the
	// self destination replaces it when that key is rotated.
	File string
}

// ErrInterrupted: Ctrl-C while the key was being typed at the terminal.
var ErrInterrupted = errors.New("interrupted: nothing was changed")

// KeyPrompt is what --api-key - shows when stdin is a terminal.
const KeyPrompt = "Neon API key: "

// LoadCredential finds the API key: from stdin when apiKeyFlag is "-", else
// NEON_API_KEY, else the file NEON_API_KEY_FILE names (a regular file only;
// stdin, when it is an *os.File, is refused as a key file). A file readable
// by group or others is used but warned about on warn. Any other apiKeyFlag value
// is refused: a key on the command line shows in ps and shell history.
// When stdin is a terminal the key is asked for on warn and read without
// echo. ctx ending (Ctrl-C, SIGTERM) stops any wait for the key with
// ErrInterrupted.
func LoadCredential(ctx context.Context, getenv Getenv, stdin io.Reader, apiKeyFlag string, warn io.Writer) (CredentialSource, error) {
	switch apiKeyFlag {
	case "":
	case "-":
		var token string
		var err error
		if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			token, err = promptKey(ctx, int(f.Fd()), warn)
			if errors.Is(err, ErrInterrupted) {
				return CredentialSource{}, err
			}
		} else {
			token, err = readLine(ctx, stdin)
		}
		if errors.Is(err, ErrInterrupted) {
			return CredentialSource{}, err
		}
		if err != nil {
			return CredentialSource{}, fmt.Errorf("read the API key from stdin: %w", err)
		}
		if token == "" {
			return CredentialSource{}, errors.New("--api-key -: stdin held no key")
		}
		return CredentialSource{Token: token, From: "stdin"}, nil
	default:
		return CredentialSource{}, errors.New("--api-key: only '-' is accepted (read the key from stdin); " +
			"a key written on the command line shows in ps and in shell history")
	}
	if token := strings.TrimSpace(getenv(EnvAPIKey)); token != "" {
		return CredentialSource{Token: token, From: EnvAPIKey}, nil
	}
	path := getenv(EnvAPIKeyFile)
	if path == "" {
		return CredentialSource{}, ErrNoCredential
	}
	token, err := readKeyFile(ctx, path, stdin, warn)
	if err != nil {
		return CredentialSource{}, err
	}
	return CredentialSource{Token: token, From: EnvAPIKeyFile + " " + path, File: path}, nil
}

// promptKey asks for the key on the terminal fd and reads it without echo,
// so it never shows on screen or in a terminal recording. The read cannot be
// interrupted, so Ctrl-C (ctx ends) restores the terminal's echo and leaves
// the read behind.
func promptKey(ctx context.Context, fd int, prompt io.Writer) (string, error) {
	if prompt == nil {
		prompt = io.Discard
	}
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	type answer struct {
		line []byte
		err  error
	}
	answers := make(chan answer, 1)
	fmt.Fprint(prompt, KeyPrompt)
	go func() {
		line, err := term.ReadPassword(fd)
		answers <- answer{line, err}
	}()
	select {
	case a := <-answers:
		fmt.Fprintln(prompt) // the Enter was not echoed either
		return strings.TrimSpace(string(a.line)), a.err
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		fmt.Fprintln(prompt)
		return "", ErrInterrupted
	}
}

// readFirstLine reads one line (at most 4 KiB: no key is longer) and trims it.
func readFirstLine(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("no input")
	}
	line, err := bufio.NewReaderSize(io.LimitReader(r, 4096), 4096).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// APIHost returns NEON_API_HOST or Neon's production URL.
func APIHost(getenv Getenv) string {
	if h := strings.TrimSpace(getenv(EnvAPIHost)); h != "" {
		return h
	}
	return neonapi.DefaultBaseURL
}
