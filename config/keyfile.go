package config

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// readKeyFile reads the credential from the file NEON_API_KEY_FILE names.
// Only a regular file is accepted: a named pipe blocks the read until some
// writer comes (for ever, if none does), and /dev/stdin of `neonkeys mcp` is
// the client's pipe, whose first line (initialize) would be taken for the
// key and sent as the Bearer value. A file readable by group or others is
// used but warned about on warn.
func readKeyFile(ctx context.Context, path string, stdin io.Reader, warn io.Writer) (string, error) {
	// Stat first: a clean refusal without even opening a device or a pipe.
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvAPIKeyFile, err)
	}
	if err := checkRegular(path, info); err != nil {
		return "", err
	}
	f, info, err := openRegular(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if isStdin(info, stdin) {
		return "", fmt.Errorf("%s %s is this program's standard input (for neonkeys mcp, the protocol stream): name the key file itself", EnvAPIKeyFile, path)
	}
	if info.Mode().Perm()&0o077 != 0 && warn != nil {
		fmt.Fprintf(warn, "warning: %s (%s) is readable by other users (mode %04o): run chmod 600 %s\n",
			path, EnvAPIKeyFile, info.Mode().Perm(), path)
	}
	token, err := readLine(ctx, f)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", EnvAPIKeyFile, path, err)
	}
	if token == "" {
		return "", fmt.Errorf("%s %s is empty", EnvAPIKeyFile, path)
	}
	return token, nil
}

// openRegular opens path for reading and checks, on the opened file, that
// it is a regular file. O_NONBLOCK makes the open itself return at once
// when the path was swapped for a named pipe after the caller's Stat (an
// open for reading of a pipe otherwise waits for a writer); the Fstat then
// refuses it. On a regular file O_NONBLOCK changes nothing.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", EnvAPIKeyFile, err)
	}
	info, err := f.Stat()
	if err == nil {
		err = checkRegular(path, info)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}

// checkRegular refuses anything but a regular file, naming what it is.
func checkRegular(path string, info fs.FileInfo) error {
	if info.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("%s %s is %s, not a regular file: put the key in a plain file (mode 0600)",
		EnvAPIKeyFile, path, fileKind(info.Mode()))
}

// fileKind names a file type for a person.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	default:
		return "a special file"
	}
}

// isStdin reports whether info is the file behind stdin: a regular file
// redirected into `neonkeys mcp` is the protocol stream, not a key file.
func isStdin(info fs.FileInfo, stdin io.Reader) bool {
	f, ok := stdin.(*os.File)
	if !ok || f == nil {
		return false
	}
	in, err := f.Stat()
	return err == nil && os.SameFile(info, in)
}

// readLine reads the first line of r (readFirstLine) but gives up when ctx
// ends (Ctrl-C, SIGTERM): a read from a pipe or a stuck file system must
// not hold the program. The read left behind ends with the process, or
// when the caller closes r.
func readLine(ctx context.Context, r io.Reader) (string, error) {
	type answer struct {
		line string
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		line, err := readFirstLine(r)
		answers <- answer{line, err}
	}()
	select {
	case a := <-answers:
		return a.line, a.err
	case <-ctx.Done():
		return "", ErrInterrupted
	}
}
