package cli

import (
	"fmt"
	"path/filepath"

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
	if err := secret.CheckTokenPath(path); err != nil {
		return usageErr("--out: %v; nothing was created", err)
	}
	return nil
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

// checkNotEmpty refuses a path flag given with an empty value (pflag's
// Changed tells "given empty" from "not given").
func checkNotEmpty(fs *pflag.FlagSet, name string) error {
	f := fs.Lookup(name)
	if f != nil && f.Changed && f.Value.String() == "" {
		return usageErr("--%s is empty: give a path (is the variable you passed set?); nothing was done", name)
	}
	return nil
}

func writeErr(err error) error {
	if err != nil {
		return failErr("writing the output: %v", err)
	}
	return nil
}
