package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Targets of remote mode, per instance on 2 cores (issue "Remote mode").
const (
	targetRemoteRate = 2000.0
	targetRemoteP99  = 20 * time.Millisecond
	// remoteSamples is how many times RSS is read over a run: memory must
	// stay flat, so the reading after the warm-up is compared with the last.
	remoteSamples = 10
)

// remoteConfig is the -remote mode's command line.
type remoteConfig struct {
	clients   int    // concurrent clients, one connection each
	calls     int    // measured calls per setup
	warm      int    // calls before measuring (connections, caches, GC pacing)
	instances []int  // setups: this many instances (more than one: behind a round-robin proxy)
	pin       bool   // also run each setup with its instances alone on one CPU, the load on the others
	body      []byte // the tools/call request every client sends
}

// remoteResult is one setup's figures.
type remoteResult struct {
	setup       string
	calls       int
	failed      int64
	elapsed     time.Duration
	p50, p99    time.Duration
	cpuPerCall  time.Duration // CPU time of the instances (user + system) per call
	loadPerCall time.Duration // CPU time of this process (clients, proxy) and the fake per call
	rssKiB      []int64       // the instances' summed RSS: at start, then after each tenth of the calls
}

// runRemote measures neonkeys mcp --http: list_api_keys at cfg.clients
// concurrent clients against the fake, each setup with fresh instances.
func runRemote(ctx context.Context, cfg config) error {
	if err := buildAll(ctx, &cfg); err != nil {
		return err
	}
	f, err := startFake(ctx, cfg.fakeneon, 0, 0)
	if err != nil {
		return err
	}
	defer f.close()
	rc := cfg.remote
	rc.body = []byte(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"arguments":{},"name":"list_api_keys"}}`)
	var results []remoteResult
	type setup struct {
		n   int
		pin bool
	}
	var setups []setup
	for _, n := range rc.instances {
		setups = append(setups, setup{n: n})
	}
	if rc.pin {
		// The same instances on one core of their own: their CPU per call
		// shows whether serving from several instances costs more.
		for _, n := range rc.instances {
			setups = append(setups, setup{n: n, pin: true})
		}
	}
	for _, s := range setups {
		progress("remote: %d instance(s)%s, %d clients, %d calls", s.n, map[bool]string{true: " pinned to CPU 1"}[s.pin], rc.clients, rc.calls)
		r, err := remoteSetup(ctx, cfg.neonkeys, f, rc, s.n, s.pin)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	var rep bytes.Buffer
	writeRemoteReport(&rep, rc, results)
	os.Stdout.Write(rep.Bytes())
	if cfg.out != "" {
		return os.WriteFile(cfg.out, rep.Bytes(), 0o644)
	}
	return nil
}

// remoteSetup starts n instances (behind a proxy in this process when n >
// 1), loads them and stops them.
func remoteSetup(ctx context.Context, bin string, f *fake, rc remoteConfig, n int, pin bool) (remoteResult, error) {
	res := remoteResult{setup: fmt.Sprintf("%d instance(s)", n)}
	if n > 1 {
		res.setup = fmt.Sprintf("%d instances behind a round-robin proxy", n)
	}
	var insts []*instance
	defer func() {
		for _, in := range insts {
			in.stop()
		}
	}()
	if pin {
		// The instances get CPU 1 alone; this process (clients, proxy)
		// and the fake share CPU 0. Restored afterwards.
		res.setup = fmt.Sprintf("%s, alone on 1 CPU (the load on the other)", res.setup)
		restore, err := pinLoad(f)
		if err != nil {
			return res, err
		}
		defer restore()
	}
	for range n {
		in, err := startInstance(ctx, bin, f, pin)
		if err != nil {
			return res, err
		}
		insts = append(insts, in)
	}
	target := insts[0].url
	if n > 1 {
		stop, u, err := roundRobin(insts, rc.clients)
		if err != nil {
			return res, err
		}
		defer stop()
		target = u
	}
	clients := make([]*http.Client, rc.clients)
	for i := range clients {
		clients[i] = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
	}
	call := func(c *http.Client) (time.Duration, error) {
		return postCall(ctx, c, target, f.key, rc.body)
	}
	// Warm up: connections open, the instances' heaps reach their size.
	if _, _, err := load(clients, rc.warm, call); err != nil {
		return res, err
	}
	res.rssKiB = append(res.rssKiB, sumRSS(insts))
	cpu0, load0 := sumCPU(insts), loadCPU(f)
	var lat []time.Duration
	start := time.Now()
	for i := range remoteSamples {
		part := rc.calls / remoteSamples
		if i == remoteSamples-1 {
			part = rc.calls - part*(remoteSamples-1)
		}
		l, failed, err := load(clients, part, call)
		if err != nil {
			return res, err
		}
		lat = append(lat, l...)
		res.failed += failed
		res.rssKiB = append(res.rssKiB, sumRSS(insts))
	}
	res.elapsed = time.Since(start)
	res.calls = rc.calls
	res.cpuPerCall = (sumCPU(insts) - cpu0) / time.Duration(rc.calls)
	res.loadPerCall = (loadCPU(f) - load0) / time.Duration(rc.calls)
	res.p50, res.p99 = percentile(lat, 50), percentile(lat, 99)
	return res, nil
}

// load spreads calls over the clients and returns every call's latency and
// how many failed. A failure is a call whose answer is not a tool result
// without error.
func load(clients []*http.Client, calls int, call func(*http.Client) (time.Duration, error)) ([]time.Duration, int64, error) {
	var left, failed atomic.Int64
	left.Store(int64(calls))
	lat := make([][]time.Duration, len(clients))
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				d, err := call(c)
				lat[i] = append(lat[i], d)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return nil, f, fmt.Errorf("%d of %d calls failed, the first: %v", f, calls, firstErr.Load())
	}
	return slices.Concat(lat...), 0, nil
}

// postCall sends one tools/call as a 2026-07-28 client does (the headers
// mcp-go's client sends) and checks the answer.
func postCall(ctx context.Context, c *http.Client, target, key string, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	h.Set("Authorization", "Bearer "+key)
	h.Set("Mcp-Protocol-Version", "2026-07-28")
	h.Set("Mcp-Method", "tools/call")
	h.Set("Mcp-Name", listToolName)
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return time.Since(t0), err
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	switch {
	case err != nil:
		return d, err
	case resp.StatusCode != http.StatusOK:
		return d, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, got)
	case !bytes.Contains(got, []byte(`"structuredContent"`)) || bytes.Contains(got, []byte(`"isError":true`)):
		return d, fmt.Errorf("not a list_api_keys result: %.200s", got)
	}
	return d, nil
}

// instance is a running neonkeys mcp --http.
type instance struct {
	cmd *exec.Cmd
	url string // …/mcp
}

// startInstance runs neonkeys mcp --http on a free loopback port against
// the fake, with a rate limit no load test reaches, and waits until it
// serves. Its access log (stderr) is read and dropped, as a log shipper
// would.
func startInstance(ctx context.Context, bin string, f *fake, pin bool) (*instance, error) {
	args := []string{"mcp", "--http", "127.0.0.1:0", "--rate-limit", "1e9"}
	if pin {
		args = append([]string{"-c", "1", bin}, args...)
		bin = "taskset"
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"HOME=" + os.TempDir(), "NEON_API_HOST=" + f.host, "PATH=" + os.Getenv("PATH")}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "NK_") || strings.HasPrefix(kv, "GOGC=") || strings.HasPrefix(kv, "GOMEMLIMIT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	in := &instance{cmd: cmd}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, u, ok := strings.Cut(sc.Text(), "serving MCP at "); ok {
				found <- strings.TrimSpace(u)
				break
			}
			fmt.Fprintln(os.Stderr, "neonkeys:", sc.Text())
		}
		close(found)
		// The access log (JSON lines) and the per-call log lines are
		// dropped; anything else (a warning, an error) is shown.
		for sc.Scan() {
			if line := sc.Text(); !strings.HasPrefix(line, "{") && !strings.Contains(line, "level=INFO") {
				fmt.Fprintln(os.Stderr, "neonkeys:", line)
			}
		}
	}()
	select {
	case u, ok := <-found:
		if !ok {
			in.stop()
			return nil, errors.New("neonkeys mcp --http ended without serving")
		}
		in.url = u
	case <-time.After(30 * time.Second):
		in.stop()
		return nil, errors.New("neonkeys mcp --http did not say where it serves within 30 s")
	case <-ctx.Done():
		in.stop()
		return nil, ctx.Err()
	}
	return in, nil
}

func (in *instance) stop() {
	_ = in.cmd.Process.Signal(unix.SIGTERM)
	done := make(chan struct{})
	go func() { _ = in.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = in.cmd.Process.Kill()
		<-done
	}
}

// pid is the server's: taskset execs it in place.
func (in *instance) pid() int { return in.cmd.Process.Pid }

// procStat reads a process's CPU time and RSS from /proc.
func procStat(pid int) (cpu time.Duration, rssKiB int64) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the command name (which may hold spaces): utime
		// and stime are the 12th and 13th, in clock ticks (100 per second
		// on Linux).
		if i := bytes.LastIndexByte(b, ')'); i > 0 {
			fields := strings.Fields(string(b[i+1:]))
			if len(fields) > 12 {
				u, _ := strconv.ParseInt(fields[11], 10, 64)
				s, _ := strconv.ParseInt(fields[12], 10, 64)
				cpu = time.Duration(u+s) * 10 * time.Millisecond
			}
		}
	}
	rssKiB, _ = procStatusKiB(pid, "VmRSS")
	return cpu, rssKiB
}

func sumCPU(insts []*instance) time.Duration {
	var t time.Duration
	for _, in := range insts {
		c, _ := procStat(in.pid())
		t += c
	}
	return t
}

// loadCPU is the CPU time of what makes the load: this process (clients
// and proxy) and the fake.
func loadCPU(f *fake) time.Duration {
	self, _ := procStat(os.Getpid())
	fake, _ := procStat(f.cmd.Process.Pid)
	return self + fake
}

func sumRSS(insts []*instance) int64 {
	var t int64
	for _, in := range insts {
		_, r := procStat(in.pid())
		t += r
	}
	return t
}

// pinLoad moves this process and the fake to CPU 0; the returned function
// gives them every CPU back.
func pinLoad(f *fake) (func(), error) {
	var all, zero unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		return nil, fmt.Errorf("read CPU affinity: %w", err)
	}
	if all.Count() < 2 {
		return nil, errors.New("-remote-pin needs at least 2 CPUs")
	}
	zero.Set(0)
	// Every thread of this process: affinity is per thread on Linux.
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	set := func(s *unix.CPUSet) {
		for _, t := range tids {
			if tid, err := strconv.Atoi(t.Name()); err == nil {
				_ = unix.SchedSetaffinity(tid, s)
			}
		}
		_ = exec.Command("taskset", "-a", "-p", "-c", cpuList(s), strconv.Itoa(f.cmd.Process.Pid)).Run()
	}
	set(&zero)
	return func() { set(&all) }, nil
}

func cpuList(s *unix.CPUSet) string {
	var ids []string
	for i := range 1024 {
		if s.IsSet(i) {
			ids = append(ids, strconv.Itoa(i))
		}
	}
	return strings.Join(ids, ",")
}

// roundRobin serves a reverse proxy in this process that sends each
// request to the next instance, as a load balancer does.
func roundRobin(insts []*instance, conns int) (stop func(), target string, err error) {
	var backends []*url.URL
	for _, in := range insts {
		u, err := url.Parse(in.url)
		if err != nil {
			return nil, "", err
		}
		backends = append(backends, u)
	}
	var next atomic.Uint64
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			b := backends[(next.Add(1)-1)%uint64(len(backends))]
			pr.Out.URL.Scheme, pr.Out.URL.Host = b.Scheme, b.Host
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 2 * conns, DisableCompression: true},
	}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	go func() { _ = srv.Serve(l) }()
	return func() { _ = srv.Close() }, "http://" + l.Addr().String() + "/mcp", nil
}

// writeRemoteReport prints the remote table.
func writeRemoteReport(w io.Writer, rc remoteConfig, results []remoteResult) {
	fmt.Fprintf(w, "\n### neonkeys mcp --http (%s)\n\n", time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(w, "`list_api_keys` over HTTP (2026-07-28 era), %d concurrent clients with one keep-alive connection each, "+
		"%s measured calls per setup after %s warm-up calls, against `fakeneon` on loopback; clients, proxy and fake run on the same machine.\n\n",
		rc.clients, count(rc.calls), count(rc.warm))
	rows := make([][]string, 0, len(results))
	for _, r := range results {
		rate := float64(r.calls) / r.elapsed.Seconds()
		capacity := "–"
		if r.cpuPerCall > 0 {
			capacity = fmt.Sprintf("%.0f", 2*float64(time.Second)/float64(r.cpuPerCall))
		}
		first, last := r.rssKiB[0], r.rssKiB[len(r.rssKiB)-1]
		rows = append(rows, []string{
			r.setup,
			fmt.Sprintf("%.0f", rate),
			dur(r.p50), dur(r.p99),
			fmt.Sprintf("%d µs", r.cpuPerCall.Microseconds()),
			fmt.Sprintf("%d µs", r.loadPerCall.Microseconds()),
			capacity,
			fmt.Sprintf("%s → %s (max %s)", mib(first), mib(last), mib(slices.Max(r.rssKiB))),
		})
	}
	writeTable(w, []string{"setup", "calls/s", "p50", "p99", "server CPU per call", "clients' and fake's CPU per call", "calls/s that CPU time allows on 2 cores", "server RSS after warm-up → after the run"}, rows)
	fmt.Fprintf(w, "\nTargets per instance on 2 cores: ≥ %.0f calls/s, p99 ≤ %s; memory flat.\n", targetRemoteRate, dur(targetRemoteP99))
}
