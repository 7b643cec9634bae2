package neonapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/neonapi"
)

// overCap is one byte more than the 8 MiB the client reads of an answer
// (maxBodyBytes in client.go).
const overCap = 8<<20 + 1

// TestAnnouncedOversizeRefusedBeforeBody: an answer whose Content-Length
// is over the cap is refused on the header alone. The server announces it,
// flushes the header and sends no byte of the body: a client that refuses
// on the header returns a *LimitError for the 200 and hangs up, while one
// that reads first either waits for a body that never comes or fails on
// the short body with an error that is not a *LimitError.
func TestAnnouncedOversizeRefusedBeforeBody(t *testing.T) {
	tests := []struct {
		name string
		// afterHeader is what the server does once the header is out.
		afterHeader func(r *http.Request)
	}{
		// It returns only when the client hangs up: the request's context
		// ends when the server reads the closed connection.
		{"server then waits", func(r *http.Request) { <-r.Context().Done() }},
		// Returning short of the announced length closes the connection.
		{"server then hangs up", func(*http.Request) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handled := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(handled)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", fmt.Sprint(overCap))
				w.WriteHeader(http.StatusOK)
				if err := http.NewResponseController(w).Flush(); err != nil {
					t.Errorf("flushing the header: %v", err)
				}
				tt.afterHeader(r)
			}))
			t.Cleanup(srv.Close)
			c, err := neonapi.New(neonapi.Options{
				Token:   "napi_0123456789abcdefghij",
				BaseURL: srv.URL + "/api/v2",
				Retry:   &neonapi.RetryPolicy{},
				// Not a bound on the refusal, which needs no wait at all:
				// it only turns a client that waits for the body into a
				// failure instead of a hang. Generous for -race on a
				// loaded machine.
				Timeout: 20 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ListAPIKeys(context.Background())
			var limit *neonapi.LimitError
			if !errors.As(err, &limit) {
				t.Fatalf("err = %v (%T), want a *LimitError refusing the announced %d bytes", err, err, overCap)
			}
			if limit.Status != http.StatusOK {
				t.Errorf("the error gives status %d, want 200: the request was carried out", limit.Status)
			}
			// The server sent no byte of the body, and in the first case
			// finished only once it saw the client hang up.
			<-handled
		})
	}
}
