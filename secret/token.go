package secret

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// Fingerprint names a token without revealing it: its prefix (napi_ for
// current Neon tokens) and its last four characters, enough for a person to
// tell two keys apart and nothing an attacker can use.
func Fingerprint(token string) string {
	const tail = 4
	if len(token) <= 12 {
		return "…"
	}
	prefix := ""
	if strings.HasPrefix(token, "napi_") {
		prefix = "napi_"
	}
	return prefix + "…" + token[len(token)-tail:]
}

// StripControl removes control characters (ANSI escapes, carriage returns,
// bidi overrides), characters drawn as nothing or as a blank (zero-width
// and other default-ignorable characters, fillers, spaces other than U+0020)
// and code points with no agreed glyph (unassigned, noncharacters, private
// use) from untrusted text such as key names from the API, so it cannot rewrite a
// terminal line, hide text from a person reading it, or look like other
// text. isUnsafeRune in invisible.go lists the set by Unicode property.
func StripControl(s string) string {
	if !hasUnsafe(s) { // plain ASCII is checked 16 bytes at a time
		return s
	}
	return strings.Map(func(r rune) rune {
		if isUnsafeRune(r) {
			return -1
		}
		return r
	}, s)
}

// TokenFileName returns the path DIR/<sanitised key name>.token. The name is
// reduced to letters, digits, '-', '_' and '.', so no key name can escape dir
// or hide a file.
func TokenFileName(dir, keyName string) (string, error) {
	if dir == "" {
		return "", errors.New("no secrets directory given")
	}
	var b strings.Builder
	for _, r := range keyName {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)), r == '-', r == '_':
			b.WriteRune(r)
		case r == '.' && b.Len() > 0:
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	name := strings.Trim(b.String(), ".")
	if name == "" {
		name = "neon-api-key"
	}
	if len(name) > 100 {
		name = name[:100]
	}
	return filepath.Join(dir, name+".token"), nil
}

// CheckTokenPath reports, before anything is minted, why WriteTokenFile
// would refuse path: it exists, or its directory does not. WriteTokenFile
// still refuses an existing file later, in case one appears in between.
func CheckTokenPath(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s already exists: refusing to overwrite it", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fmt.Errorf("the directory %s does not exist", dir)
	}
	return nil
}

// WriteTokenFile writes token to a new file at path with mode 0600. It never
// overwrites: an existing file (or symlink) makes it fail, so a token cannot
// be redirected into a file someone else prepared.
func WriteTokenFile(path, token string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists: refusing to overwrite it", path)
		}
		return fmt.Errorf("create token file: %w", err)
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write token file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("close token file %s: %w", path, err)
	}
	return nil
}
