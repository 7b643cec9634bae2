package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// protocolVersion is what the driver asks for in initialize; both servers
// accept it (Neon's speaks 2025-03-26, mcp-go negotiates).
const protocolVersion = "2025-03-26"

// mcpClient speaks newline-delimited JSON-RPC to an MCP server on stdio.
// Answers may come out of order (concurrent tool calls); a reader goroutine
// hands each one to the caller waiting for its id.
//
// Sequential calls read the answer on the caller's goroutine (no hand-off
// to measure); startReader switches to the dispatching reader for
// concurrent calls. The server's stderr goes to a file, so no driver
// goroutine wakes up for its log lines while a call is timed.
type mcpClient struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr *os.File
	start  time.Time // just before the process was started

	writeMu sync.Mutex
	mu      sync.Mutex
	pending map[int64]chan rpcAnswer
	nextID  int64
	reading bool          // the dispatching reader runs
	done    chan struct{} // closed when the dispatching reader sees stdout end
}

type rpcAnswer struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// spawnMCP starts p as an MCP server on pipes; its stderr goes to a file
// in dir.
func spawnMCP(p program, dir string) (*mcpClient, error) {
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env = p.env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := os.CreateTemp(dir, "mcp-stderr-")
	if err != nil {
		return nil, err
	}
	cmd.Stderr = stderr
	c := &mcpClient{cmd: cmd, stdin: stdin, stdout: bufio.NewReaderSize(stdout, 1<<20), stderr: stderr,
		pending: map[int64]chan rpcAnswer{}, done: make(chan struct{})}
	c.start = time.Now()
	if err := cmd.Start(); err != nil {
		stderr.Close()
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	return c, nil
}

// startReader hands every later answer to its waiting caller, so calls may
// overlap.
func (c *mcpClient) startReader() {
	c.mu.Lock()
	c.reading = true
	c.mu.Unlock()
	go func() {
		defer close(c.done)
		for {
			line, err := c.stdout.ReadBytes('\n')
			if len(bytes.TrimSpace(line)) > 0 {
				c.dispatch(line)
			}
			if err != nil {
				return
			}
		}
	}()
}

// parseAnswer returns the id and answer of a response line; ok is false
// for notifications and requests from the server.
func parseAnswer(line []byte) (id int64, a rpcAnswer, ok bool) {
	var msg struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		rpcAnswer
	}
	if json.Unmarshal(line, &msg) != nil || msg.Method != "" || len(msg.ID) == 0 {
		return 0, a, false
	}
	id, err := strconv.ParseInt(string(msg.ID), 10, 64)
	if err != nil {
		return 0, a, false
	}
	return id, msg.rpcAnswer, true
}

func (c *mcpClient) dispatch(line []byte) {
	id, a, ok := parseAnswer(line)
	if !ok {
		return
	}
	c.mu.Lock()
	ch := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if ch != nil {
		ch <- a
	}
}

func (c *mcpClient) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, err = c.stdin.Write(append(b, '\n'))
	return err
}

// call sends a request and waits for its answer.
func (c *mcpClient) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	reading := c.reading
	var ch chan rpcAnswer
	if reading {
		ch = make(chan rpcAnswer, 1)
		c.pending[id] = ch
	}
	c.mu.Unlock()
	if err := c.write(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params}); err != nil {
		return nil, fmt.Errorf("%s: write: %w (%s)", method, err, tail(c.stderrText()))
	}
	var a rpcAnswer
	if reading {
		select {
		case a = <-ch:
		case <-c.done:
			return nil, fmt.Errorf("%s: server closed its output (%s)", method, tail(c.stderrText()))
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: %w", method, ctx.Err())
		}
	} else {
		var err error
		if a, err = c.readAnswer(ctx, id); err != nil {
			return nil, fmt.Errorf("%s: %w (%s)", method, err, tail(c.stderrText()))
		}
	}
	if a.Error != nil {
		return nil, fmt.Errorf("%s: error %d: %s", method, a.Error.Code, a.Error.Message)
	}
	return a.Result, nil
}

// readAnswer reads lines on the caller's goroutine until the answer to id.
// A server that hangs is killed when ctx ends, which ends the read.
func (c *mcpClient) readAnswer(ctx context.Context, id int64) (rpcAnswer, error) {
	stop := context.AfterFunc(ctx, func() { _ = c.cmd.Process.Kill() })
	defer stop()
	for {
		line, err := c.stdout.ReadBytes('\n')
		if got, a, ok := parseAnswer(line); ok && got == id {
			return a, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return rpcAnswer{}, ctx.Err()
			}
			return rpcAnswer{}, fmt.Errorf("server closed its output: %w", err)
		}
	}
}

// handshake runs initialize, notifications/initialized and tools/list, and
// returns the tools/list result.
func (c *mcpClient) handshake(ctx context.Context) (json.RawMessage, error) {
	_, err := c.call(ctx, "initialize", map[string]any{
		"protocolVersion": protocolVersion,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "neonkeys-bench", "version": "1"},
	})
	if err != nil {
		return nil, err
	}
	if err := c.write(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"}); err != nil {
		return nil, err
	}
	return c.call(ctx, "tools/list", map[string]any{})
}

// callTool calls a tool and fails on a JSON-RPC error or an isError result.
func (c *mcpClient) callTool(ctx context.Context, name string, args map[string]any) error {
	res, err := c.call(ctx, "tools/call", map[string]any{"name": name, "arguments": args})
	if err != nil {
		return err
	}
	// Only the flag matters; skip decoding the (possibly large) content.
	if i := bytes.Index(res, []byte(`"isError":true`)); i >= 0 {
		var r struct {
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		}
		_ = json.Unmarshal(res, &r)
		msg := ""
		if len(r.Content) > 0 {
			msg = r.Content[0].Text
		}
		return fmt.Errorf("tool %s answered isError: %s", name, tail(msg))
	}
	return nil
}

// peakRSSKiB reads the process's peak resident set (VmHWM) while it runs.
func (c *mcpClient) peakRSSKiB() (int64, error) { return procStatusKiB(c.cmd.Process.Pid, "VmHWM") }

// procStatusKiB reads one field in kB (VmRSS, VmHWM) of a process's
// /proc/<pid>/status.
func procStatusKiB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc status", field)
}

// close ends the server: stdin closed first (a clean end for MCP stdio), a
// kill if it lingers.
func (c *mcpClient) close() {
	_ = c.stdin.Close()
	exited := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(2 * time.Second):
		_ = c.cmd.Process.Kill()
		<-exited
	}
	c.stderr.Close()
	_ = os.Remove(c.stderr.Name())
}

func (c *mcpClient) stderrText() string {
	b, _ := os.ReadFile(c.stderr.Name())
	return string(b)
}

// toolProps returns the input-schema property names of a tool from a
// tools/list result.
func toolProps(toolsList json.RawMessage, name string) (map[string]bool, error) {
	var r struct {
		Tools []struct {
			Name        string `json:"name"`
			InputSchema struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"inputSchema"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(toolsList, &r); err != nil {
		return nil, err
	}
	for _, t := range r.Tools {
		if t.Name == name {
			props := map[string]bool{}
			for k := range t.InputSchema.Properties {
				props[k] = true
			}
			return props, nil
		}
	}
	return nil, fmt.Errorf("no tool %q in tools/list", name)
}
