package remote_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/remote"
)

// benchClients is the number of concurrent MCP clients.
const benchClients = 32

// BenchmarkListAPIKeys measures list_api_keys over HTTP at 32 concurrent
// clients (each its own MCP client and connection, modern era) against the
// fake Neon API: calls/s, p99 latency, and the heap in use after the run.
// "instances=3" puts three instances behind a round-robin reverse proxy.
// Everything (fake, proxy, servers, clients) shares this process's CPUs, so
// the figures are a floor, and three instances on the same cores cannot
// scale: run them on separate machines to see that.
//
// With NEONKEYS_BENCH_URL (an /mcp URL) and NEONKEYS_BENCH_KEY set it
// measures that server instead (the built binary, say; give it
// --rate-limit high enough for the load).
//
//	go test ./remote/ -run '^$' -bench ListAPIKeys -benchtime 20000x
func BenchmarkListAPIKeys(b *testing.B) {
	if u := os.Getenv("NEONKEYS_BENCH_URL"); u != "" {
		b.Run("external", func(b *testing.B) { runBench(b, u, os.Getenv("NEONKEYS_BENCH_KEY")) })
		return
	}
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			runInProcess(b, n)
		})
	}
}

// runInProcess serves n instances (behind a proxy when n > 1) and runs the
// load against them.
func runInProcess(b *testing.B, n int) {
	e := newEnv(b, neontest.WithoutRequestLog())
	var backends []*url.URL
	for range n {
		h, err := remote.New(e.config(func(c *remote.Config) {
			c.Rate, c.Burst, c.AccessLog, c.Server.Log = 1e9, 1<<30, io.Discard, io.Discard
			c.API.HTTPClient = &http.Client{Transport: pooled()}
		}))
		if err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewServer(h)
		b.Cleanup(ts.Close)
		u, _ := url.Parse(ts.URL)
		backends = append(backends, u)
	}
	target := backends[0].String() + remote.Path
	if n > 1 {
		var next atomic.Uint64
		proxy := &httputil.ReverseProxy{
			Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(backends[(next.Add(1)-1)%uint64(n)]) },
			Transport: pooled(),
		}
		ts := httptest.NewServer(proxy)
		b.Cleanup(ts.Close)
		target = ts.URL + remote.Path
	}
	runBench(b, target, e.fx.AdminToken)
}

// pooled is a transport that keeps a connection per concurrent client.
func pooled() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2 * benchClients
	return tr
}

// runBench spreads b.N calls over benchClients clients of url.
func runBench(b *testing.B, url, key string) {
	clients := make([]*client.Client, benchClients)
	for i := range clients {
		tr, err := transport.NewStreamableHTTP(url,
			transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + key}),
			transport.WithHTTPBasicClient(&http.Client{Transport: pooled()}))
		if err != nil {
			b.Fatal(err)
		}
		c := client.NewClient(tr)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := c.Start(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
			b.Fatal(err)
		}
		cancel()
		b.Cleanup(func() { c.Close() })
		clients[i] = c
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	latencies := make([][]time.Duration, benchClients)
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i, c := range clients {
		wg.Go(func() {
			req := mcp.CallToolRequest{}
			req.Params.Name = "list_api_keys"
			req.Params.Arguments = map[string]any{}
			for left.Add(-1) >= 0 {
				t0 := time.Now()
				res, err := c.CallTool(context.Background(), req)
				latencies[i] = append(latencies[i], time.Since(t0))
				if err != nil || res.IsError {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d calls failed", f, b.N)
	}
	all := slices.Concat(latencies...)
	slices.Sort(all)
	p99 := all[min(len(all)-1, len(all)*99/100)]
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	b.ReportMetric(0, "ns/op")
}
