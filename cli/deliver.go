package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

// storeWarning goes to stderr whenever a token is printed.
const storeWarning = "Store this key now: it is not shown again."

// checkOutFile refuses an --out target that is empty, exists or cannot be
// created, before anything is minted, so a refusal creates no key.
// WriteTokenFile still refuses an existing file later, in case one appears
// in between. An empty --out given on purpose is refused rather than taken
// for "no --out": `--out "$OUT"` with OUT unset would otherwise print the
// token to stdout, into a CI log.
func checkOutFile(fs *pflag.FlagSet, path string) error {
	if err := checkNotEmpty(fs, "out"); err != nil {
		return err
	}
	if path == "" {
		return nil
	}
	if path == "-" {
		// Commonly read as stdout; here it would be a file named "-".
		return usageErr("--out -: omit --out to print the token on stdout; nothing was created")
	}
	if err := secret.CheckTokenPath(path); err != nil {
		return usageErr("--out: %v; nothing was created", err)
	}
	return nil
}

// checkTokenDestination refuses, before anything is minted, a new token's
// destination that would lose it: a bad --out (checkOutFile), or, without
// --out, a stdout that is the null device. Go reopens a closed fd 1 on
// /dev/null at start, so `neonkeys create >&-` and `> /dev/null` look alike:
// either way every write succeeds, the key would count as delivered and
// stay live, and nobody would hold its token.
func (a *app) checkTokenDestination(fs *pflag.FlagSet, outPath string) error {
	if err := checkOutFile(fs, outPath); err != nil {
		return err
	}
	if outPath == "" && isNullDevice(a.rawStdout) {
		return usageErr("stdout is %s (or was closed), so the new token would be lost: let stdout reach a terminal, file or pipe, or pass --out FILE; nothing was created", os.DevNull)
	}
	return nil
}

// isNullDevice reports whether w is the null device (also what a closed
// stdout became at start).
func isNullDevice(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	if err != nil {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err == nil && os.SameFile(info, null)
}

// rotatedOut is rotate's answer: the replacement, and the key it replaces,
// named as rotate_api_key names them.
type rotatedOut struct {
	NewKey keys.NewKeyView `json:"new_key"`
	OldKey keys.View       `json:"old_key"`
}

// delivery hands a new token over exactly once: to stdout, or into a new
// 0600 file at outPath (then stdout shows only the path and a fingerprint).
// Its deliver method is the keys.Deliver of create and rotate.
type delivery struct {
	a       *app
	outPath string
	rotated *keys.Key // the key a rotation replaces (cleaned); nil for create
	// summaryErr is a failed write of the summary line after the token
	// reached its file: the key is delivered and stays, but the exit code
	// must say that stdout failed.
	summaryErr error
}

// answer is what -o json|yaml prints for the new key out.
func (d *delivery) answer(out keys.NewKeyView) any {
	if d.rotated == nil {
		return &out
	}
	return &rotatedOut{NewKey: out, OldKey: d.rotated.View()}
}

// deliver returns an error only when the token did not reach its
// destination; the caller (keys.Service) then revokes the new key.
func (d *delivery) deliver(c *keys.Created) error {
	a := d.a
	out := c.View()
	// Cleaned and redacted here, not by the writer: with the token, this
	// answer goes to the raw stdout.
	cleanStrings(&out, func(s string) string { return secret.StripControl(a.red.Redact(s)) })
	a.say("Created key %d %q: %s.", out.ID, out.Name, c.ScopeText())
	if d.outPath != "" {
		if err := secret.WriteTokenFile(d.outPath, c.Token); err != nil {
			return err
		}
		out.TokenFile = absPath(d.outPath)
		if a.output == outTable {
			_, err := fmt.Fprintf(a.stdout, "%s %s\n", d.outPath, out.Fingerprint)
			d.summaryErr = writeErr(err)
		} else {
			d.summaryErr = writeErr(a.writeValue(d.answer(out)))
		}
		return nil
	}
	var err error
	if a.output == outTable {
		_, err = fmt.Fprintln(a.rawStdout, c.Token)
	} else {
		out.Token = c.Token
		err = a.encodeValue(a.rawStdout, d.answer(out))
	}
	if err != nil {
		return fmt.Errorf("writing it to stdout failed: %w", err)
	}
	a.say("%s", storeWarning)
	return nil
}

// absPath is path made absolute, as every answer names a file; path
// itself if that fails (the file was just written there).
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// checkNotEmpty refuses a path flag given with an empty or blank value
// (pflag's Changed tells "given empty" from "not given"): a path of white
// space alone is an empty one in another spelling, not a file to create.
func checkNotEmpty(fs *pflag.FlagSet, name string) error {
	f := fs.Lookup(name)
	if f == nil || !f.Changed {
		return nil
	}
	switch v := f.Value.String(); {
	case v == "":
		return usageErr("--%s is empty: give a path (is the variable you passed set?); nothing was done", name)
	case strings.TrimSpace(v) == "":
		return usageErr("--%s is blank (white space only): give a path; nothing was done", name)
	}
	return nil
}

func writeErr(err error) error {
	if err != nil {
		return failErr("writing the output: %v", err)
	}
	return nil
}
