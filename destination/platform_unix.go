//go:build unix

package destination

import (
	"io/fs"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// fileOwner returns the uid owning a file.
func fileOwner(info fs.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// writableDir reports whether this process may create files in dir, without
// creating one (preflight writes nothing).
func writableDir(dir string) error {
	return unix.Access(dir, unix.W_OK|unix.X_OK)
}

// ownProcessGroup makes the command the leader of a new process group, and
// its cancellation kill that whole group: a shell script's children would
// otherwise keep running (and holding its output pipes) after a timeout.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
