package neonapi_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

func TestRateLimitThenSuccess(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter func() string
	}{
		{"no Retry-After", func() string { return "" }},
		{"Retry-After 0", func() string { return "0" }},
		{"Retry-After 1 second", func() string { return "1" }},
		{"Retry-After HTTP date", func() string { return time.Now().Add(time.Second).UTC().Format(http.TimeFormat) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx := fakeAPI(t)
			c := newClient(t, srv, fx.AdminToken)
			srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/api_keys", Status: http.StatusTooManyRequests, RetryAfter: tt.retryAfter()})
			keys, err := c.ListAPIKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 {
				t.Fatalf("%d keys after the retry", len(keys))
			}
			reqs := srv.Requests()
			if len(reqs) != 2 || reqs[0].Status != http.StatusTooManyRequests || reqs[1].Status != http.StatusOK {
				t.Fatalf("requests: %d, want a 429 then a 200", len(reqs))
			}
		})
	}
}

func TestRetryAfterBeyondMaxWaitReturnsAtOnce(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/api_keys", Status: http.StatusTooManyRequests, RetryAfter: "120", Count: 5})
	_, err := c.ListAPIKeys(context.Background())
	apiErr := asAPIError(t, err)
	if !neonapi.IsRateLimited(err) || apiErr.RetryAfter != 120*time.Second {
		t.Fatalf("err = %v, RetryAfter %v", err, apiErr.RetryAfter)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d requests: a Retry-After past MaxWait must not be waited out", n)
	}
}

func TestRetryableStatusesForGetAndDelete(t *testing.T) {
	statuses := []int{http.StatusTooManyRequests, http.StatusLocked, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}
	for _, status := range statuses {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv, fx := fakeAPI(t)
			c := newClient(t, srv, fx.AdminToken)
			ctx := context.Background()

			srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/auth", Status: status, Count: 2})
			if _, err := c.GetAuthDetails(ctx); err != nil {
				t.Fatalf("GET: %v", err)
			}
			_, id := srv.AddPersonalKey(fx.Admin.ID, "to-revoke")
			srv.Inject(neontest.Fault{Method: http.MethodDelete, Status: status, Count: 2})
			revoked, err := c.RevokeAPIKey(ctx, id)
			if err != nil || !revoked.Revoked {
				t.Fatalf("DELETE: %v", err)
			}
			if got := countBy(srv.Requests(), http.MethodGet); got != 3 {
				t.Errorf("%d GETs, want 3", got)
			}
			if got := countBy(srv.Requests(), http.MethodDelete); got != 3 {
				t.Errorf("%d DELETEs, want 3", got)
			}
		})
	}
}

func TestRetriesStopAtMaxRetries(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	srv.Inject(neontest.Fault{Method: http.MethodGet, Status: http.StatusBadGateway, Count: 100})
	_, err := c.GetCurrentUserOrganizations(context.Background())
	if neonapi.StatusOf(err) != http.StatusBadGateway {
		t.Fatalf("err = %v, want the last 502", err)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Fatalf("%d requests, want 1 + 3 retries", n)
	}

	srv.ResetRequests()
	none := &neonapi.RetryPolicy{MaxRetries: 0, BaseDelay: time.Millisecond, MaxWait: time.Second}
	c = newClient(t, srv, fx.AdminToken, func(o *neonapi.Options) { o.Retry = none })
	if _, err := c.GetAuthDetails(context.Background()); err == nil {
		t.Fatal("want the 502")
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("MaxRetries 0: %d requests, want 1", n)
	}
}

func TestNonRetryableStatusesNotRetried(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusInternalServerError, http.StatusNotImplemented} {
		srv, fx := fakeAPI(t)
		c := newClient(t, srv, fx.AdminToken)
		srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/auth", Status: status, Count: 5})
		if _, err := c.GetAuthDetails(context.Background()); neonapi.StatusOf(err) != status {
			t.Fatalf("err = %v", err)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("status %d: %d requests, want 1", status, n)
		}
	}
}

func TestPostNeverRetriedAfterAnAnswer(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusGatewayTimeout} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv, fx := fakeAPI(t)
			c := newClient(t, srv, fx.AdminToken)
			srv.Inject(neontest.Fault{Method: http.MethodPost, Status: status, RetryAfter: "0", Processed: true, Count: 5})
			_, err := c.CreateAPIKey(context.Background(), "once")
			if neonapi.StatusOf(err) != status {
				t.Fatalf("err = %v, want %d", err, status)
			}
			if n := countBy(srv.Requests(), http.MethodPost); n != 1 {
				t.Fatalf("%d POSTs, want exactly 1: a retried create mints a second key", n)
			}
		})
	}
}

func TestPostNotRetriedAfterDroppedConnection(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken, noKeepAlive)
	srv.Inject(neontest.Fault{Method: http.MethodPost, Path: "/api_keys", DropConnection: true, Processed: true, Count: 5})
	_, err := c.CreateAPIKey(context.Background(), "dropped")
	var netErr *neonapi.NetworkError
	if !errors.As(err, &netErr) {
		t.Fatalf("err = %v (%T), want a NetworkError", err, err)
	}
	if n := countBy(srv.Requests(), http.MethodPost); n != 1 {
		t.Fatalf("%d POSTs, want exactly 1", n)
	}
	if strings.Contains(err.Error(), fx.AdminToken) {
		t.Fatal("token in the error")
	}
}

func TestDroppedConnectionOnGetRetried(t *testing.T) {
	tests := []struct {
		name  string
		fault neontest.Fault
	}{
		{"dropped before the answer", neontest.Fault{DropConnection: true}},
		{"reset mid body", neontest.Fault{ResetMidBody: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx := fakeAPI(t)
			c := newClient(t, srv, fx.AdminToken, noKeepAlive)
			f := tt.fault
			f.Method, f.Path = http.MethodGet, "/api_keys"
			srv.Inject(f)
			keys, err := c.ListAPIKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 {
				t.Fatalf("%d keys", len(keys))
			}
			if n := len(srv.Requests()); n != 2 {
				t.Fatalf("%d requests, want the failed one and a retry", n)
			}
		})
	}
}

// dialFailer fails the first failures round trips as a refused dial would,
// without touching the network, then passes requests on.
type dialFailer struct {
	failures int32
	calls    atomic.Int32
	next     http.RoundTripper
}

func (d *dialFailer) RoundTrip(r *http.Request) (*http.Response, error) {
	if d.calls.Add(1) <= d.failures {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	return d.next.RoundTrip(r)
}

func TestPostRetriedWhenTheDialFailed(t *testing.T) {
	srv, fx := fakeAPI(t)
	rt := &dialFailer{failures: 2, next: http.DefaultTransport}
	c := newClient(t, srv, fx.AdminToken, func(o *neonapi.Options) { o.HTTPClient = &http.Client{Transport: rt} })
	created, err := c.CreateAPIKey(context.Background(), "after-dial-failures")
	if err != nil {
		t.Fatal(err)
	}
	if !srv.TokenValid(created.Key) {
		t.Fatal("the created key does not work")
	}
	if rt.calls.Load() != 3 {
		t.Fatalf("%d attempts, want 2 failed dials and 1 success", rt.calls.Load())
	}
	if n := countBy(srv.Requests(), http.MethodPost); n != 1 {
		t.Fatalf("%d POSTs reached the API, want 1", n)
	}
}

func TestRefusedPortGivesNetworkError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: every dial is refused
	rt := &dialFailer{next: &http.Transport{}}
	c, err := neonapi.New(neonapi.Options{
		Token: "napi_0123456789abcdefghij", BaseURL: "http://" + addr + "/api/v2",
		Retry: fastRetry(), HTTPClient: &http.Client{Transport: rt},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAPIKey(context.Background(), "refused")
	var netErr *neonapi.NetworkError
	if !errors.As(err, &netErr) {
		t.Fatalf("err = %v (%T), want a NetworkError", err, err)
	}
	if rt.calls.Load() != 4 {
		t.Fatalf("%d POST attempts: a refused dial may be retried (never sent), want 1 + 3", rt.calls.Load())
	}
	if strings.Contains(err.Error(), "napi_0123456789abcdefghij") {
		t.Fatal("token in the error")
	}
}

func TestPerAttemptTimeout(t *testing.T) {
	srv, fx := fakeAPI(t)
	policy := &neonapi.RetryPolicy{MaxRetries: 1, BaseDelay: time.Millisecond, MaxWait: time.Second}
	c := newClient(t, srv, fx.AdminToken, func(o *neonapi.Options) {
		o.Timeout = 100 * time.Millisecond
		o.Retry = policy
	})
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/auth", Hang: true, Count: 5})
	_, err := c.GetAuthDetails(context.Background())
	if !neonapi.IsTimeout(err) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	var netErr *neonapi.NetworkError
	if !errors.As(err, &netErr) {
		t.Fatalf("err %T, want a NetworkError", err)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Fatalf("%d requests: a timed-out GET is retried once here", n)
	}
}

func TestTimeoutThenSuccess(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken, func(o *neonapi.Options) { o.Timeout = 100 * time.Millisecond })
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/auth", Hang: true})
	if _, err := c.GetAuthDetails(context.Background()); err != nil {
		t.Fatalf("the retry after a hung attempt failed: %v", err)
	}
}

func TestCancelStopsRetries(t *testing.T) {
	srv, fx := fakeAPI(t)
	policy := &neonapi.RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond, MaxWait: 30 * time.Second}
	c := newClient(t, srv, fx.AdminToken, func(o *neonapi.Options) { o.Retry = policy })
	// The first answer asks for a 20 s wait; cancelling must end it.
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/auth", Status: http.StatusServiceUnavailable, RetryAfter: "20", Count: 5})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.GetAuthDetails(ctx)
		done <- err
	}()
	waitFor(t, func() bool {
		reqs := srv.Requests()
		return len(reqs) == 1 && reqs[0].Status != 0
	})
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("cancel did not stop the retry wait")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d requests after cancel, want 1", n)
	}
}

func TestCancelledContextSendsNothing(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.CreateAPIKey(ctx, "never")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests with a cancelled context", n)
	}
}

func TestCancelDuringHangedRequest(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/api_keys", Hang: true, Count: 5})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.ListAPIKeys(ctx)
		done <- err
	}()
	waitFor(t, func() bool { return len(srv.Requests()) == 1 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancel did not end the hung request")
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d requests: a cancelled call is not retried", n)
	}
}

// waitFor polls cond; the generous limit only guards against a hang.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never became true")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestRetriedRevokeAfterAnEarlierRevokeSaysSo(t *testing.T) {
	// Each fault lets the first DELETE revoke the key and hides the answer,
	// so the retry meets a 404.
	faults := []struct {
		name  string
		fault neontest.Fault
	}{
		{"dropped connection", neontest.Fault{DropConnection: true, Processed: true}},
		{"reset mid body", neontest.Fault{ResetMidBody: true}},
		{"503", neontest.Fault{Status: http.StatusServiceUnavailable, Processed: true}},
		{"502", neontest.Fault{Status: http.StatusBadGateway, Processed: true}},
		{"504", neontest.Fault{Status: http.StatusGatewayTimeout, Processed: true}},
	}
	revokes := []struct {
		name   string
		revoke func(ctx context.Context, c *neonapi.Client, srv *neontest.Server, fx *neontest.Fixture) (int64, error)
	}{
		{"personal", func(ctx context.Context, c *neonapi.Client, srv *neontest.Server, fx *neontest.Fixture) (int64, error) {
			_, id := srv.AddPersonalKey(fx.Admin.ID, "victim")
			_, err := c.RevokeAPIKey(ctx, id)
			return id, err
		}},
		{"org", func(ctx context.Context, c *neonapi.Client, srv *neontest.Server, fx *neontest.Fixture) (int64, error) {
			_, id := srv.AddOrgKey(fx.Org.ID, "victim", "")
			_, err := c.RevokeOrgAPIKey(ctx, fx.Org.ID, id)
			return id, err
		}},
	}
	for _, rv := range revokes {
		for _, ft := range faults {
			t.Run(rv.name+"/"+ft.name, func(t *testing.T) {
				srv, fx := fakeAPI(t)
				c := newClient(t, srv, fx.AdminToken, noKeepAlive)
				f := ft.fault
				f.Method = http.MethodDelete
				srv.Inject(f)
				id, err := rv.revoke(context.Background(), c, srv, fx)
				apiErr := asAPIError(t, err)
				if !neonapi.IsNotFound(err) || !apiErr.EarlierAttemptMayHaveSucceeded || !neonapi.MayHaveSucceeded(err) {
					t.Fatalf("err = %v (flag %v), want a 404 marked as possibly done by the first attempt", err, apiErr.EarlierAttemptMayHaveSucceeded)
				}
				if !strings.Contains(err.Error(), "earlier attempt") {
					t.Errorf("error text %q does not say an earlier attempt may have succeeded", err)
				}
				if info, _ := srv.Key(id); !info.Revoked {
					t.Fatal("the first attempt did not revoke the key: the test proves nothing")
				}
				if n := countBy(srv.Requests(), http.MethodDelete); n != 2 {
					t.Fatalf("%d DELETEs, want 2", n)
				}
			})
		}
	}
}

func TestRetriedRevokeThatRunsOutOfRetriesSaysSo(t *testing.T) {
	// The first attempt revokes and is dropped; every retry then meets a
	// 503. The final 503 must still say the revoke may have happened.
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken, noKeepAlive)
	_, id := srv.AddPersonalKey(fx.Admin.ID, "victim")
	srv.Inject(
		neontest.Fault{Method: http.MethodDelete, DropConnection: true, Processed: true},
		neontest.Fault{Method: http.MethodDelete, Status: http.StatusServiceUnavailable, Count: 10},
	)
	_, err := c.RevokeAPIKey(context.Background(), id)
	if neonapi.StatusOf(err) != http.StatusServiceUnavailable || !neonapi.MayHaveSucceeded(err) {
		t.Fatalf("err = %v, want a 503 marked as possibly done", err)
	}
	if info, _ := srv.Key(id); !info.Revoked {
		t.Fatal("the first attempt did not revoke the key: the test proves nothing")
	}
}

func TestPlain404NotMarkedAsPossiblySucceeded(t *testing.T) {
	tests := []struct {
		name  string
		fault *neontest.Fault
		call  func(c *neonapi.Client) error
	}{
		{"404 at once", nil, func(c *neonapi.Client) error { _, err := c.RevokeAPIKey(context.Background(), 999); return err }},
		// 429 and 423 are refusals: the first attempt did nothing.
		{"429 then 404", &neontest.Fault{Method: http.MethodDelete, Status: http.StatusTooManyRequests, RetryAfter: "0"},
			func(c *neonapi.Client) error { _, err := c.RevokeAPIKey(context.Background(), 999); return err }},
		{"423 then 404", &neontest.Fault{Method: http.MethodDelete, Status: http.StatusLocked},
			func(c *neonapi.Client) error { _, err := c.RevokeAPIKey(context.Background(), 999); return err }},
		// A GET has no effect that could have succeeded.
		{"GET 503 then 404", &neontest.Fault{Method: http.MethodGet, Status: http.StatusServiceUnavailable},
			func(c *neonapi.Client) error {
				_, err := c.GetProject(context.Background(), "no-such-project")
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx := fakeAPI(t)
			c := newClient(t, srv, fx.AdminToken)
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			err := tt.call(c)
			if !neonapi.IsNotFound(err) || neonapi.MayHaveSucceeded(err) {
				t.Fatalf("err = %v, want a plain 404", err)
			}
		})
	}
}

func TestHugeRetryAfterGivesUp(t *testing.T) {
	// 9.3e9 s overflows time.Duration when multiplied by time.Second; the
	// others do not even fit an int64.
	for _, v := range []string{"9300000000", "9223372036854775807", "99999999999999999999999"} {
		t.Run(v, func(t *testing.T) {
			srv, fx := fakeAPI(t)
			c := newClient(t, srv, fx.AdminToken)
			srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/auth", Status: http.StatusTooManyRequests, RetryAfter: v, Count: 5})
			_, err := c.GetAuthDetails(context.Background())
			apiErr := asAPIError(t, err)
			if !neonapi.IsRateLimited(err) || apiErr.RetryAfter < 24*time.Hour {
				t.Fatalf("err = %v, RetryAfter %v", err, apiErr.RetryAfter)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Fatalf("%d requests: a huge Retry-After means give up, not retry at once", n)
			}
		})
	}
}
