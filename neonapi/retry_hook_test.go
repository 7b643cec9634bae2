package neonapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestOnRetryHearsEachRetry: a caller that shows progress hears of every
// retry, with the status that caused it and its place in the policy, and of
// nothing when the first attempt succeeds or the method is never retried.
func TestOnRetryHearsEachRetry(t *testing.T) {
	tests := []struct {
		name   string
		fault  neontest.Fault
		call   func(ctx context.Context, c *neonapi.Client) error
		want   []neonapi.Retry // Method, Path, Status, Number, Of only
		wantOK bool
	}{
		{
			name:  "two 503 then success",
			fault: neontest.Fault{Method: http.MethodGet, Path: "/api_keys", Status: http.StatusServiceUnavailable, Count: 2},
			call:  func(ctx context.Context, c *neonapi.Client) error { _, err := c.ListAPIKeys(ctx); return err },
			want: []neonapi.Retry{
				{Method: http.MethodGet, Path: "/api_keys", Status: 503, Number: 1, Of: 3},
				{Method: http.MethodGet, Path: "/api_keys", Status: 503, Number: 2, Of: 3},
			},
			wantOK: true,
		},
		{
			name:  "every attempt fails",
			fault: neontest.Fault{Method: http.MethodGet, Path: "/api_keys", Status: http.StatusBadGateway, Count: 10},
			call:  func(ctx context.Context, c *neonapi.Client) error { _, err := c.ListAPIKeys(ctx); return err },
			want: []neonapi.Retry{
				{Method: http.MethodGet, Path: "/api_keys", Status: 502, Number: 1, Of: 3},
				{Method: http.MethodGet, Path: "/api_keys", Status: 502, Number: 2, Of: 3},
				{Method: http.MethodGet, Path: "/api_keys", Status: 502, Number: 3, Of: 3},
			},
		},
		{
			name:  "a create is never retried",
			fault: neontest.Fault{Method: http.MethodPost, Path: "/api_keys", Status: http.StatusServiceUnavailable},
			call: func(ctx context.Context, c *neonapi.Client) error {
				_, err := c.CreateAPIKey(ctx, "hook-check")
				return err
			},
		},
		{
			name:   "no fault",
			call:   func(ctx context.Context, c *neonapi.Client) error { _, err := c.ListAPIKeys(ctx); return err },
			wantOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx := fakeAPI(t)
			var got []neonapi.Retry
			c := newClient(t, srv, fx.AdminToken, func(o *neonapi.Options) {
				o.OnRetry = func(r neonapi.Retry) { got = append(got, r) }
			})
			if tt.fault.Status != 0 {
				srv.Inject(tt.fault)
			}
			err := tt.call(t.Context(), c)
			if (err == nil) != tt.wantOK {
				t.Fatalf("err = %v, want success %v", err, tt.wantOK)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("heard %d retries, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, r := range got {
				w := tt.want[i]
				if r.Method != w.Method || r.Path != w.Path || r.Status != w.Status || r.Number != w.Number || r.Of != w.Of {
					t.Errorf("retry %d = %+v, want %+v", i, r, w)
				}
				if r.Err == nil || r.Wait < 0 {
					t.Errorf("retry %d has no cause or a negative wait: %+v", i, r)
				}
			}
		})
	}
}
