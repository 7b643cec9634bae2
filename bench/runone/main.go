// Command runone runs one program and reports its wall time and peak RSS as
// one JSON line on file descriptor 3. The benchmark driver starts every cold
// CLI run through it because Linux charges a vfork'ed child with its
// parent's peak RSS: measured straight from the (larger) driver, every child
// would look as big as the driver. runone is tiny, so what it reports is the
// child's own peak.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: runone PROGRAM [ARG...]  (result on fd 3)")
		os.Exit(2)
	}
	report := os.NewFile(3, "report")
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		fmt.Fprintf(os.Stderr, "runone: %v\n", err)
		os.Exit(127)
	}
	var maxRSS int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxRSS = ru.Maxrss // KiB on Linux
	}
	fmt.Fprintf(report, `{"wall_ns":%d,"maxrss_kib":%d,"exit":%d}`+"\n", wall.Nanoseconds(), maxRSS, code)
}
