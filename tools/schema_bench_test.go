package tools_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
	"github.com/neonkeys/neonkeys/server"
	"github.com/neonkeys/neonkeys/tools"
)

// benchOptions returns server options for an account of n personal keys
// (0: the seeded fixture only) on a fake without a request log.
func benchOptions(b *testing.B, n int) server.Options {
	b.Helper()
	srv := neontest.New(b, neontest.WithoutRequestLog())
	fx := srv.Seed()
	if n > 0 {
		srv.AddPersonalKeys(fx.Admin.ID, n)
	}
	red := secret.NewRedactor()
	api, err := neonapi.New(neonapi.Options{Token: fx.AdminToken, BaseURL: srv.URL(), Redactor: red})
	if err != nil {
		b.Fatal(err)
	}
	return server.Options{Version: "bench", Keys: keys.New(api, nil), Redactor: red, Log: io.Discard}
}

// BenchmarkBuildServer is the start-up work of `neonkeys mcp` before it
// reads stdin: every tool's input and output schema reflected from its Go
// struct, the server assembled.
func BenchmarkBuildServer(b *testing.B) {
	opts := benchOptions(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := server.New(opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkToolSchemas is the schema reflection alone.
func BenchmarkToolSchemas(b *testing.B) {
	deps := tools.Deps{Redactor: secret.NewRedactor()}
	b.ReportAllocs()
	for b.Loop() {
		if len(tools.All(deps)) == 0 {
			b.Fatal("no tools")
		}
	}
}

// stdioSession is an in-process `neonkeys mcp`: ServeStdio on pipes.
type stdioSession struct {
	in     *io.PipeWriter
	out    *bufio.Reader
	done   chan error
	nextID int
}

func startStdio(b *testing.B, opts server.Options) *stdioSession {
	b.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &stdioSession{in: inW, out: bufio.NewReaderSize(outR, 1<<20), done: make(chan error, 1)}
	go func() {
		err := server.ServeStdio(context.Background(), opts, inR, outW)
		outW.Close()
		s.done <- err
	}()
	b.Cleanup(func() {
		inW.Close()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			b.Error("the server did not stop after stdin closed")
		}
	})
	s.roundTrip(b, "initialize", `{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}`)
	if _, err := io.WriteString(inW, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"); err != nil {
		b.Fatal(err)
	}
	return s
}

// roundTrip sends one request and reads lines until its answer.
func (s *stdioSession) roundTrip(b *testing.B, method, params string) []byte {
	s.nextID++
	if _, err := fmt.Fprintf(s.in, `{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`+"\n", s.nextID, method, params); err != nil {
		b.Fatal(err)
	}
	want := fmt.Sprintf(`"id":%d,`, s.nextID)
	for {
		line, err := s.out.ReadBytes('\n')
		if err != nil {
			b.Fatalf("%s: %v", method, err)
		}
		if strings.Contains(string(line), want) {
			return line
		}
	}
}

// BenchmarkStdioListAPIKeys is one list_api_keys call through the whole
// server (framing, validation, handler, one GET, redaction, encoding) minus
// the OS pipes: the server side of the per-call cost.
func BenchmarkStdioListAPIKeys(b *testing.B) {
	cases := []struct {
		name string
		keys int
		args string
	}{
		{"small_account", 0, `{}`},
		{"10k_keys_filtered_limit50", 10000, `{"name_contains":"key-1","limit":50}`},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			s := startStdio(b, benchOptions(b, tc.keys))
			params := `{"name":"list_api_keys","arguments":` + tc.args + `}`
			check := func(line []byte) {
				var resp struct {
					Result struct {
						IsError bool `json:"isError"`
					} `json:"result"`
					Error json.RawMessage `json:"error"`
				}
				if err := json.Unmarshal(line, &resp); err != nil || resp.Error != nil || resp.Result.IsError {
					b.Fatalf("list_api_keys failed: %s", line)
				}
			}
			check(s.roundTrip(b, "tools/call", params))
			b.ReportAllocs()
			for b.Loop() {
				s.roundTrip(b, "tools/call", params)
			}
		})
	}
}

// BenchmarkStdioPing is a JSON-RPC round trip that does no work: the share
// of every call that belongs to the stdio transport.
func BenchmarkStdioPing(b *testing.B) {
	s := startStdio(b, benchOptions(b, 0))
	b.ReportAllocs()
	for b.Loop() {
		s.roundTrip(b, "ping", `{}`)
	}
}
