package neonapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

// testUserAgent is what every test client sends.
const testUserAgent = "neonkeys/9.9.9-test"

// fastRetry keeps the retry tests quick: millisecond backoff, the default
// number of retries, and a MaxWait that still honours "Retry-After: 1".
func fastRetry() *neonapi.RetryPolicy {
	return &neonapi.RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond, MaxWait: 2 * time.Second}
}

// fakeAPI starts a seeded fake.
func fakeAPI(t *testing.T, opts ...neontest.Option) (*neontest.Server, *neontest.Fixture) {
	t.Helper()
	srv := neontest.New(t, opts...)
	return srv, srv.Seed()
}

// newClient returns a client of srv with token; edit changes the options.
func newClient(t *testing.T, srv *neontest.Server, token string, edit ...func(*neonapi.Options)) *neonapi.Client {
	t.Helper()
	opts := neonapi.Options{
		Token:     token,
		BaseURL:   srv.URL(),
		UserAgent: testUserAgent,
		Timeout:   10 * time.Second,
		Retry:     fastRetry(),
		Redactor:  secret.NewRedactor(),
	}
	for _, e := range edit {
		e(&opts)
	}
	c, err := neonapi.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noKeepAlive makes every attempt open a fresh connection, so net/http's own
// replay of requests on a reused, dead connection cannot hide the client's
// retry logic.
func noKeepAlive(o *neonapi.Options) {
	o.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

// countBy returns how many logged requests have method (any when "").
func countBy(reqs []neontest.Request, method string) int {
	n := 0
	for _, r := range reqs {
		if method == "" || r.Method == method {
			n++
		}
	}
	return n
}

// asAPIError fails the test unless err holds an *APIError.
func asAPIError(t *testing.T, err error) *neonapi.APIError {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got none")
	}
	apiErr, ok := err.(*neonapi.APIError)
	if !ok {
		t.Fatalf("want *neonapi.APIError, got %T: %v", err, err)
	}
	return apiErr
}
