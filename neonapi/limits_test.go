package neonapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// wantLimit fails unless err is a *LimitError whose text holds want.
func wantLimit(t *testing.T, err error, want string) {
	t.Helper()
	var limit *neonapi.LimitError
	if !errors.As(err, &limit) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v (%T), want a *LimitError saying %q", err, err, want)
	}
}

func TestOversizedAnswerRefusedOnce(t *testing.T) {
	srv, fx := fakeAPI(t)
	name := strings.Repeat("n", 9<<20)
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/api_keys", Status: http.StatusOK, Count: 10,
		Body: `[{"id":1,"name":"` + name + `"}]`})
	_, err := newClient(t, srv, fx.AdminToken).ListAPIKeys(context.Background())
	wantLimit(t, err, "larger than 8 MiB")
	if limit := (*neonapi.LimitError)(nil); !errors.As(err, &limit) || limit.Status != http.StatusOK {
		t.Fatalf("the error does not say the refused answer was a 200: %+v", limit)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d requests, want 1: asking again reads as much again", n)
	}
}

// TestOversizedStreamCutShort: without a Content-Length the client stops
// reading at the bound instead of taking the whole stream.
func TestOversizedStreamCutShort(t *testing.T) {
	sent := make(chan int64, 1)
	stream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int64
		chunk := []byte(strings.Repeat("n", 1<<20))
		fmt.Fprint(w, `[{"id":1,"name":"`)
		for range 64 {
			m, err := w.Write(chunk)
			n += int64(m)
			if err != nil {
				break
			}
		}
		sent <- n
	}))
	t.Cleanup(stream.Close)
	c, err := neonapi.New(neonapi.Options{Token: "napi_0123456789abcdefghij", BaseURL: stream.URL + "/api/v2", Retry: &neonapi.RetryPolicy{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListAPIKeys(context.Background())
	wantLimit(t, err, "larger than 8 MiB")
	if n := <-sent; n >= 64<<20 {
		t.Fatalf("the client read the whole %d-byte stream", n)
	}
}

func TestListProjectsStopsAtPageLimit(t *testing.T) {
	srv, fx := fakeAPI(t)
	for i := range 120 {
		srv.AddPersonalProject(fmt.Sprintf("p%03d", i), fx.Admin.ID)
	}
	c := newClient(t, srv, fx.AdminToken)
	_, err := c.ListProjects(context.Background(), neonapi.ListProjectsOptions{PageSize: 1})
	wantLimit(t, err, "past 100 pages")
	if n := len(srv.Requests()); n != 100 {
		t.Fatalf("%d requests, want 100", n)
	}
}

func TestListProjectsStopsAtByteLimit(t *testing.T) {
	srv, fx := fakeAPI(t)
	name := strings.Repeat("n", 1<<20)
	for i := range 40 {
		srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/projects", Status: http.StatusOK,
			Body: fmt.Sprintf(`{"projects":[{"id":"p-%d","name":"%s"}],"pagination":{"cursor":"c-%d"}}`, i, name, i)})
	}
	got, err := newClient(t, srv, fx.AdminToken).ListProjects(context.Background(), neonapi.ListProjectsOptions{})
	wantLimit(t, err, "past 32 MiB in 32 pages")
	if got != nil {
		t.Fatalf("%d projects returned with the error", len(got))
	}
	if n := len(srv.Requests()); n != 32 {
		t.Fatalf("%d requests, want 32", n)
	}
}
