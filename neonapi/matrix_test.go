package neonapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// matrixOp is one client operation as the matrix drives it. Every run makes
// exactly one HTTP request when nothing fails (ListProjects stops after one
// page through MaxItems; paging has its own tests), so request counts read
// the same in every row.
type matrixOp struct {
	name   string
	method string
	path   func(fx *neontest.Fixture) string // fault path prefix, without the base path
	// run calls the operation; it may plant what it needs with the fake's
	// helpers, which send no request.
	run func(ctx context.Context, c *neonapi.Client, srv *neontest.Server, fx *neontest.Fixture) (any, error)
	// check judges a successful result.
	check func(srv *neontest.Server, fx *neontest.Fixture, got any) error
	// notFound provokes a 404 with a client of the given token (the fake's
	// credentials); nil where no 404 applies.
	notFound func(ctx context.Context, clientFor func(token string) *neonapi.Client, fx *neontest.Fixture) error
}

func matrixOps() []matrixOp {
	static := func(p string) func(*neontest.Fixture) string { return func(*neontest.Fixture) string { return p } }
	orgKeys := func(fx *neontest.Fixture) string { return "/organizations/" + fx.Org.ID + "/api_keys" }
	revoked := func(srv *neontest.Server, got any) error {
		r := got.(*neonapi.RevokedAPIKey)
		if info, _ := srv.Key(r.ID); !r.Revoked || !info.Revoked {
			return fmt.Errorf("answer %+v, stored key revoked %v", r, info.Revoked)
		}
		return nil
	}
	return []matrixOp{
		{
			name: "ListAPIKeys", method: http.MethodGet, path: static("/api_keys"),
			run: func(ctx context.Context, c *neonapi.Client, _ *neontest.Server, _ *neontest.Fixture) (any, error) {
				return c.ListAPIKeys(ctx)
			},
			check: func(_ *neontest.Server, fx *neontest.Fixture, got any) error {
				keys := got.([]neonapi.APIKey)
				if !slices.ContainsFunc(keys, func(k neonapi.APIKey) bool { return k.ID == fx.AdminKeyID }) {
					return fmt.Errorf("keys %+v lack the admin's key %d", keys, fx.AdminKeyID)
				}
				return nil
			},
			// Personal key routes are 404 for organization keys.
			notFound: func(ctx context.Context, clientFor func(string) *neonapi.Client, fx *neontest.Fixture) error {
				_, err := clientFor(fx.OrgKeyToken).ListAPIKeys(ctx)
				return err
			},
		},
		{
			name: "CreateAPIKey", method: http.MethodPost, path: static("/api_keys"),
			run: func(ctx context.Context, c *neonapi.Client, _ *neontest.Server, _ *neontest.Fixture) (any, error) {
				return c.CreateAPIKey(ctx, "matrix-new")
			},
			check: func(srv *neontest.Server, _ *neontest.Fixture, got any) error {
				if k := got.(*neonapi.CreatedAPIKey); k.Name != "matrix-new" || !srv.TokenValid(k.Key) {
					return fmt.Errorf("created %+v is not a live key", k)
				}
				return nil
			},
			notFound: func(ctx context.Context, clientFor func(string) *neonapi.Client, fx *neontest.Fixture) error {
				_, err := clientFor(fx.OrgKeyToken).CreateAPIKey(ctx, "x")
				return err
			},
		},
		{
			name: "RevokeAPIKey", method: http.MethodDelete, path: static("/api_keys/"),
			run: func(ctx context.Context, c *neonapi.Client, srv *neontest.Server, fx *neontest.Fixture) (any, error) {
				_, id := srv.AddPersonalKey(fx.Admin.ID, "matrix-victim")
				return c.RevokeAPIKey(ctx, id)
			},
			check: func(srv *neontest.Server, _ *neontest.Fixture, got any) error { return revoked(srv, got) },
			notFound: func(ctx context.Context, clientFor func(string) *neonapi.Client, fx *neontest.Fixture) error {
				_, err := clientFor(fx.AdminToken).RevokeAPIKey(ctx, 999)
				return err
			},
		},
		{
			name: "ListOrgAPIKeys", method: http.MethodGet, path: orgKeys,
			run: func(ctx context.Context, c *neonapi.Client, _ *neontest.Server, fx *neontest.Fixture) (any, error) {
				return c.ListOrgAPIKeys(ctx, fx.Org.ID)
			},
			check: func(_ *neontest.Server, _ *neontest.Fixture, got any) error {
				if keys := got.([]neonapi.APIKey); len(keys) != 2 {
					return fmt.Errorf("%d org keys, want the fixture's 2", len(keys))
				}
				return nil
			},
		},
		{
			name: "CreateOrgAPIKey", method: http.MethodPost, path: orgKeys,
			run: func(ctx context.Context, c *neonapi.Client, _ *neontest.Server, fx *neontest.Fixture) (any, error) {
				return c.CreateOrgAPIKey(ctx, fx.Org.ID, neonapi.CreateOrgAPIKeyRequest{KeyName: "matrix-scoped", ProjectID: fx.OrgProject.ID})
			},
			check: func(srv *neontest.Server, fx *neontest.Fixture, got any) error {
				if k := got.(*neonapi.CreatedAPIKey); k.ProjectID != fx.OrgProject.ID || !srv.TokenValid(k.Key) {
					return fmt.Errorf("created %+v is not a live key of project %s", k, fx.OrgProject.ID)
				}
				return nil
			},
			notFound: func(ctx context.Context, clientFor func(string) *neonapi.Client, fx *neontest.Fixture) error {
				_, err := clientFor(fx.AdminToken).CreateOrgAPIKey(ctx, fx.Org.ID, neonapi.CreateOrgAPIKeyRequest{KeyName: "x", ProjectID: "no-such-project"})
				return err
			},
		},
		{
			name: "RevokeOrgAPIKey", method: http.MethodDelete, path: func(fx *neontest.Fixture) string { return orgKeys(fx) + "/" },
			run: func(ctx context.Context, c *neonapi.Client, srv *neontest.Server, fx *neontest.Fixture) (any, error) {
				_, id := srv.AddOrgKey(fx.Org.ID, "matrix-victim", "")
				return c.RevokeOrgAPIKey(ctx, fx.Org.ID, id)
			},
			check: func(srv *neontest.Server, _ *neontest.Fixture, got any) error { return revoked(srv, got) },
			notFound: func(ctx context.Context, clientFor func(string) *neonapi.Client, fx *neontest.Fixture) error {
				_, err := clientFor(fx.AdminToken).RevokeOrgAPIKey(ctx, fx.Org.ID, 999)
				return err
			},
		},
		{
			name: "GetProject", method: http.MethodGet, path: static("/projects/"),
			run: func(ctx context.Context, c *neonapi.Client, _ *neontest.Server, fx *neontest.Fixture) (any, error) {
				return c.GetProject(ctx, fx.OrgProject.ID)
			},
			check: func(_ *neontest.Server, fx *neontest.Fixture, got any) error {
				if p := got.(*neonapi.Project); p.ID != fx.OrgProject.ID || p.OrgID != fx.Org.ID {
					return fmt.Errorf("project %+v", p)
				}
				return nil
			},
			notFound: func(ctx context.Context, clientFor func(string) *neonapi.Client, fx *neontest.Fixture) error {
				_, err := clientFor(fx.AdminToken).GetProject(ctx, "no-such-project")
				return err
			},
		},
		{
			name: "ListProjects", method: http.MethodGet, path: static("/projects"),
			run: func(ctx context.Context, c *neonapi.Client, _ *neontest.Server, fx *neontest.Fixture) (any, error) {
				return c.ListProjects(ctx, neonapi.ListProjectsOptions{OrgID: fx.Org.ID, MaxItems: 1})
			},
			check: func(_ *neontest.Server, fx *neontest.Fixture, got any) error {
				if ps := got.([]neonapi.Project); len(ps) != 1 || ps[0].ID != fx.OrgProject.ID {
					return fmt.Errorf("projects %+v, want the org's project", ps)
				}
				return nil
			},
		},
		{
			name: "GetAuthDetails", method: http.MethodGet, path: static("/auth"),
			run: func(ctx context.Context, c *neonapi.Client, _ *neontest.Server, _ *neontest.Fixture) (any, error) {
				return c.GetAuthDetails(ctx)
			},
			check: func(_ *neontest.Server, fx *neontest.Fixture, got any) error {
				if d := got.(*neonapi.AuthDetails); d.AccountID != fx.Admin.ID || d.AuthMethod != neonapi.AuthMethodPersonalKey {
					return fmt.Errorf("auth %+v", d)
				}
				return nil
			},
		},
		{
			name: "GetCurrentUserOrganizations", method: http.MethodGet, path: static("/users/me/organizations"),
			run: func(ctx context.Context, c *neonapi.Client, _ *neontest.Server, _ *neontest.Fixture) (any, error) {
				return c.GetCurrentUserOrganizations(ctx)
			},
			check: func(_ *neontest.Server, fx *neontest.Fixture, got any) error {
				if orgs := got.([]neonapi.Organization); len(orgs) != 1 || orgs[0].ID != fx.Org.ID {
					return fmt.Errorf("orgs %+v", orgs)
				}
				return nil
			},
		},
	}
}

// TestOperationMatrix runs every operation through the same cases against
// the fake: success, a revoked credential, 404, retries and their limits, an
// echoed token and a dropped connection.
func TestOperationMatrix(t *testing.T) {
	ctx := context.Background()
	for _, op := range matrixOps() {
		t.Run(op.name, func(t *testing.T) {
			// fault injects f on op's route and returns an admin client.
			fault := func(t *testing.T, f neontest.Fault) (*neontest.Server, *neontest.Fixture, *neonapi.Client) {
				srv, fx := fakeAPI(t)
				f.Method, f.Path = op.method, op.path(fx)
				srv.Inject(f)
				return srv, fx, newClient(t, srv, fx.AdminToken, noKeepAlive)
			}
			// onlyOp fails unless the log holds n requests, all to op's route.
			onlyOp := func(t *testing.T, srv *neontest.Server, fx *neontest.Fixture, n int) []neontest.Request {
				t.Helper()
				reqs := srv.Requests()
				if len(reqs) != n {
					t.Fatalf("%d requests in the fake's log, want %d", len(reqs), n)
				}
				for _, r := range reqs {
					if r.Method != op.method || !strings.HasPrefix(r.Path, op.path(fx)) {
						t.Fatalf("request %s %s, want %s %s…", r.Method, r.Path, op.method, op.path(fx))
					}
				}
				return reqs
			}

			t.Run("happy path", func(t *testing.T) {
				srv, fx := fakeAPI(t)
				got, err := op.run(ctx, newClient(t, srv, fx.AdminToken), srv, fx)
				if err != nil {
					t.Fatal(err)
				}
				if err := op.check(srv, fx, got); err != nil {
					t.Fatal(err)
				}
				onlyOp(t, srv, fx, 1)
			})

			t.Run("401 after the credential is revoked", func(t *testing.T) {
				srv, fx := fakeAPI(t)
				token, id := srv.AddPersonalKey(fx.Admin.ID, "matrix-doomed")
				srv.RevokeKey(id)
				_, err := op.run(ctx, newClient(t, srv, token), srv, fx)
				if !neonapi.IsUnauthorized(err) {
					t.Fatalf("err = %v, want 401", err)
				}
				onlyOp(t, srv, fx, 1)
			})

			if op.notFound != nil {
				t.Run("404", func(t *testing.T) {
					srv, fx := fakeAPI(t)
					clientFor := func(token string) *neonapi.Client { return newClient(t, srv, token) }
					err := op.notFound(ctx, clientFor, fx)
					if !neonapi.IsNotFound(err) || neonapi.MayHaveSucceeded(err) {
						t.Fatalf("err = %v, want a plain 404", err)
					}
					onlyOp(t, srv, fx, 1)
				})
			}

			if op.method == http.MethodPost {
				t.Run("503 after processing is not retried", func(t *testing.T) {
					srv, fx, c := fault(t, neontest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: "0", Processed: true, Count: 5})
					_, err := op.run(ctx, c, srv, fx)
					if neonapi.StatusOf(err) != http.StatusServiceUnavailable {
						t.Fatalf("err = %v, want the 503", err)
					}
					onlyOp(t, srv, fx, 1) // a retried create would mint a second live key
				})
				t.Run("dropped connection is not retried", func(t *testing.T) {
					srv, fx, c := fault(t, neontest.Fault{DropConnection: true, Processed: true, Count: 5})
					_, err := op.run(ctx, c, srv, fx)
					var netErr *neonapi.NetworkError
					if !errors.As(err, &netErr) {
						t.Fatalf("err = %v (%T), want a NetworkError", err, err)
					}
					onlyOp(t, srv, fx, 1)
				})
			} else {
				t.Run("429 with Retry-After 0 then success", func(t *testing.T) {
					srv, fx, c := fault(t, neontest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"})
					got, err := op.run(ctx, c, srv, fx)
					if err != nil {
						t.Fatal(err)
					}
					if err := op.check(srv, fx, got); err != nil {
						t.Fatal(err)
					}
					reqs := onlyOp(t, srv, fx, 2)
					if reqs[0].Status != http.StatusTooManyRequests || reqs[1].Status/100 != 2 {
						t.Fatalf("statuses %d, %d; want 429 then 2xx", reqs[0].Status, reqs[1].Status)
					}
				})
			}

			t.Run("500 echoing Authorization", func(t *testing.T) {
				srv, fx, c := fault(t, neontest.Fault{EchoAuthorization: true})
				_, err := op.run(ctx, c, srv, fx)
				if neonapi.StatusOf(err) != http.StatusInternalServerError {
					t.Fatalf("err = %v, want the 500", err)
				}
				reqs := onlyOp(t, srv, fx, 1) // a 500 is not retried
				if !strings.Contains(string(reqs[0].ResponseBody), fx.AdminToken) {
					t.Fatal("the fake did not echo the token: the case proves nothing")
				}
				if strings.Contains(err.Error(), fx.AdminToken) {
					t.Fatalf("token in the error: %q", err)
				}
			})

			switch op.method {
			case http.MethodGet:
				t.Run("dropped connection is retried", func(t *testing.T) {
					srv, fx, c := fault(t, neontest.Fault{DropConnection: true})
					got, err := op.run(ctx, c, srv, fx)
					if err != nil {
						t.Fatal(err)
					}
					if err := op.check(srv, fx, got); err != nil {
						t.Fatal(err)
					}
					onlyOp(t, srv, fx, 2)
				})
			case http.MethodDelete:
				t.Run("dropped connection after the revoke", func(t *testing.T) {
					srv, fx, c := fault(t, neontest.Fault{DropConnection: true, Processed: true})
					_, err := op.run(ctx, c, srv, fx)
					if !neonapi.IsNotFound(err) || !neonapi.MayHaveSucceeded(err) {
						t.Fatalf("err = %v, want a 404 marked as possibly done by the first attempt", err)
					}
					onlyOp(t, srv, fx, 2)
				})
			}
		})
	}
}
