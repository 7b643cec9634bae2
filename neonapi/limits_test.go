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

// tinyItems is a JSON array of n empty objects: 20,001 of them are 60 KB,
// far under the byte cap, and decode into 20,001 zero structs.
func tinyItems(n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat("{},", n), ",") + "]"
}

// TestListAnswerItemCap: a list answer of more items than any real account
// holds (the cap is 20,000, twice the 10,000 keys Neon advises at most) is
// refused with a *LimitError naming the cap, before it is decoded; at the
// cap it is read whole.
func TestListAnswerItemCap(t *testing.T) {
	srv, fx := fakeAPI(t)
	c := newClient(t, srv, fx.AdminToken)
	ctx := context.Background()
	tests := []struct {
		name string
		path string
		wrap func(list string) string // the answer around the list
		list func() (int, error)      // the operation, and how many items it returned
	}{
		{"personal keys", "/api_keys", nil, func() (int, error) {
			ks, err := c.ListAPIKeys(ctx)
			return len(ks), err
		}},
		{"organization keys", "/organizations/" + fx.Org.ID + "/api_keys", nil, func() (int, error) {
			ks, err := c.ListOrgAPIKeys(ctx, fx.Org.ID)
			return len(ks), err
		}},
		{"organizations", "/users/me/organizations", func(l string) string { return `{"organizations":` + l + `}` }, func() (int, error) {
			orgs, err := c.GetCurrentUserOrganizations(ctx)
			return len(orgs), err
		}},
		{"projects", "/projects", func(l string) string { return `{"projects":` + l + `}` }, func() (int, error) {
			ps, err := c.ListProjects(ctx, neonapi.ListProjectsOptions{})
			return len(ps), err
		}},
	}
	for _, tt := range tests {
		for _, n := range []int{20000, 20001} {
			t.Run(fmt.Sprintf("%s/%d", tt.name, n), func(t *testing.T) {
				body := tinyItems(n)
				if tt.wrap != nil {
					body = tt.wrap(body)
				}
				srv.Inject(neontest.Fault{Method: http.MethodGet, Path: tt.path, Status: http.StatusOK, Body: body})
				got, err := tt.list()
				if n <= 20000 {
					if err != nil || got != n {
						t.Fatalf("%d items at the cap: got %d, err %v; want them all", n, got, err)
					}
					return
				}
				wantLimit(t, err, "more than 20000 items")
				if limit := (*neonapi.LimitError)(nil); !errors.As(err, &limit) || limit.Path != tt.path {
					t.Fatalf("the error does not name the request: %+v", limit)
				}
			})
		}
	}
}

// TestListProjectsStopsAtItemLimit: pages each under the cap of one answer
// still stop the walk once 20,000 projects are held.
func TestListProjectsStopsAtItemLimit(t *testing.T) {
	srv, fx := fakeAPI(t)
	for i := range 3 {
		srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/projects", Status: http.StatusOK,
			Body: fmt.Sprintf(`{"projects":%s,"pagination":{"cursor":"c-%d"}}`, tinyItems(10000), i)})
	}
	got, err := newClient(t, srv, fx.AdminToken).ListProjects(context.Background(), neonapi.ListProjectsOptions{})
	wantLimit(t, err, "past 20000 projects in 2 pages")
	if got != nil {
		t.Fatalf("%d projects returned with the error", len(got))
	}
	if n := len(srv.Requests()); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

// TestCreateAnswerNotCountedForItems: a create's answer is read whatever
// else it holds, so the token of the key it minted is never lost to the
// item cap.
func TestCreateAnswerNotCountedForItems(t *testing.T) {
	srv, fx := fakeAPI(t)
	token := "napi_" + strings.Repeat("t", 64)
	srv.Inject(neontest.Fault{Method: http.MethodPost, Path: "/api_keys", Status: http.StatusOK,
		Body: `{"id":42,"key":"` + token + `","name":"n","extra":` + tinyItems(20001) + `}`})
	created, err := newClient(t, srv, fx.AdminToken).CreateAPIKey(context.Background(), "n")
	if err != nil || created.Key != token {
		t.Fatalf("CreateAPIKey = %+v, %v; want the minted token", created, err)
	}
}

// TestDeepAnswerRefused: nesting past 64 levels is refused before the
// decoder walks it.
func TestDeepAnswerRefused(t *testing.T) {
	srv, fx := fakeAPI(t)
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/api_keys", Status: http.StatusOK,
		Body: `[{"id":1,"x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}]`})
	_, err := newClient(t, srv, fx.AdminToken).ListAPIKeys(context.Background())
	wantLimit(t, err, "deeper than 64 levels")
}

// TestListProjectsKeepsOnlyMaxItems: a page of 20,000 projects read for
// the first 11 leaves only those 11 held, not the page they came in: a
// search everywhere runs 51 such walks and keeps every result until the
// last ends.
func TestListProjectsKeepsOnlyMaxItems(t *testing.T) {
	srv, fx := fakeAPI(t)
	srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/projects", Status: http.StatusOK,
		Body: `{"projects":` + tinyItems(20000) + `,"pagination":{"cursor":"c-1"}}`})
	got, err := newClient(t, srv, fx.AdminToken).ListProjects(context.Background(), neonapi.ListProjectsOptions{MaxItems: 11})
	if err != nil || len(got) != 11 {
		t.Fatalf("ListProjects = %d projects, %v; want 11", len(got), err)
	}
	if cap(got) > 2*11 {
		t.Fatalf("11 projects returned in an array of %d: the whole page is still held", cap(got))
	}
}
