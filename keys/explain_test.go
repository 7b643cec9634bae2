package keys_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
)

func apiErr(method string, status int, msg string) error {
	return &neonapi.APIError{Status: status, Method: method, Path: "/api_keys", Message: msg, RequestID: "req-42"}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		name    string
		op      keys.Operation
		err     error
		want    []string
		notWant []string
	}{
		{"nil", keys.OpList, nil, nil, nil},
		{"401", keys.OpList, apiErr(http.MethodGet, 401, "authentication failed"),
			[]string{"Neon rejected the API key (401): missing, invalid or revoked"}, nil},
		{"401 wrapped", keys.OpRevoke, fmt.Errorf("revoke: %w", apiErr(http.MethodDelete, 401, "")),
			[]string{"(401)"}, nil},
		{"403 on create", keys.OpCreate, apiErr(http.MethodPost, 403, "admins only"),
			[]string{"cannot mint keys", "personal key of an organization admin", "403: admins only"}, nil},
		{"404 on create", keys.OpCreate, apiErr(http.MethodPost, 404, "not allowed for organization API keys"),
			[]string{"cannot mint keys", "404"}, nil},
		{"403 on rotate's create", keys.OpRotate, apiErr(http.MethodPost, 403, ""),
			[]string{"cannot mint keys"}, nil},
		{"404 on revoke", keys.OpRevoke, apiErr(http.MethodDelete, 404, "API key not found"),
			[]string{"no such key", "404: API key not found", "pass --org-id"}, nil},
		{"404 on rotate's revoke", keys.OpRotate, apiErr(http.MethodDelete, 404, ""),
			[]string{"no such key", "--org-id"}, []string{"mint"}},
		{"403 on list", keys.OpList, apiErr(http.MethodGet, 403, "not an organization member"),
			[]string{"may not do that", "403: not an organization member"}, []string{"mint"}},
		{"403 on revoke", keys.OpRevoke, apiErr(http.MethodDelete, 403, ""),
			[]string{"may not do that (403)"}, nil},
		{"429", keys.OpList, apiErr(http.MethodGet, 429, ""),
			[]string{"rate-limiting", "429"}, nil},
		{"409", keys.OpCreate, apiErr(http.MethodPost, 409, "choose another unique name"),
			[]string{"conflict", "another key name"}, nil},
		{"500", keys.OpList, apiErr(http.MethodGet, 500, "boom"),
			[]string{"Neon failed to answer (500 Internal Server Error: boom)", "try again", "[request id req-42]"}, nil},
		{"503", keys.OpRevoke, apiErr(http.MethodDelete, 503, ""),
			[]string{"503 Service Unavailable"}, nil},
		{"423", keys.OpRevoke, apiErr(http.MethodDelete, 423, ""),
			[]string{"423 Locked", "try again"}, nil},
		{"400 default", keys.OpCreate, apiErr(http.MethodPost, 400, "key_name is required"),
			[]string{"Neon refused the request (400 Bad Request: key_name is required)", "req-42"}, nil},
		{"network", keys.OpList, &neonapi.NetworkError{Method: "GET", Path: "/api_keys", Err: &net.OpError{Op: "dial", Err: errors.New("refused")}},
			[]string{"could not reach the Neon API"}, nil},
		{"timeout", keys.OpList, fmt.Errorf("get: %w", context.DeadlineExceeded),
			[]string{"did not answer in time"}, nil},
		{"cancelled", keys.OpCreate, fmt.Errorf("post: %w", context.Canceled),
			[]string{"cancelled before Neon answered"}, nil},
		{"not found personal", keys.OpRevoke, &keys.NotFoundError{ID: 7},
			[]string{"no key 7 among your personal keys", "pass --org-id"}, nil},
		{"not found everywhere", keys.OpRotate, &keys.NotFoundError{ID: 7, SearchedOrgs: true},
			[]string{"organizations' keys", "--org-id"}, nil},
		{"not found in org", keys.OpRevoke, &keys.NotFoundError{ID: 7, OrgID: "org-a"},
			[]string{"no key 7 in organization org-a"}, []string{"--org-id"}},
		{"maybe created", keys.OpCreate, &keys.MaybeCreatedError{Name: "ci", Err: apiErr(http.MethodPost, 503, "")},
			[]string{`"ci"`, "may have been created", "list your keys", "503"}, nil},
		{"maybe created by cancel", keys.OpCreate, &keys.MaybeCreatedError{Name: "ci", Err: context.Canceled},
			[]string{"may have been created", "cancelled"}, nil},
		{"unverified, revoked", keys.OpCreate, &keys.WithdrawnKeyError{Reason: "Neon's answer carried no token", KeyID: 5},
			[]string{"carried no token", "key 5 was revoked"}, nil},
		{"unverified, revoke failed", keys.OpCreate, &keys.WithdrawnKeyError{Reason: "Neon's answer carried no token", KeyID: 5, RevokeErr: apiErr(http.MethodDelete, 500, "")},
			[]string{"carried no token", "failed too", "revoke key 5 yourself"}, nil},
		{"other error", keys.OpCreate, &keys.ProjectNotInOrgError{ProjectID: "p-1"},
			[]string{"project p-1 belongs to no organization"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := keys.Explain(tt.op, tt.err, cliWords())
			if tt.err == nil {
				if got != "" {
					t.Fatalf("Explain(nil) = %q", got)
				}
				return
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Explain = %q, lacks %q", got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("Explain = %q, should not say %q", got, w)
				}
			}
		})
	}
}

// cliWords are the CLI's words, as cli spells them.
func cliWords() keys.Words {
	return keys.Words{OrgID: "--org-id", MoreTime: "raise the per-request limit with --timeout (default 30s)"}
}

// TestExplainUsesCallerSpelling: each face's hints are in its own words; a
// model is never told about a flag it cannot set.
func TestExplainUsesCallerSpelling(t *testing.T) {
	tools := keys.Words{OrgID: "org_id", MoreTime: "the user can allow more time where the server is configured"}
	tests := []struct {
		name    string
		err     error
		want    string
		wantNot string
	}{
		{"org id", apiErr(http.MethodDelete, 404, ""), "pass org_id", "--org-id"},
		{"not found", &keys.NotFoundError{ID: 7}, "pass org_id", "--org-id"},
		{"timeout", fmt.Errorf("listing: %w", context.DeadlineExceeded), "allow more time where the server is configured", "--timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := keys.Explain(keys.OpRevoke, tt.err, tools)
			if !strings.Contains(got, tt.want) || strings.Contains(got, tt.wantNot) {
				t.Fatalf("Explain = %q: want %q, and no %q", got, tt.want, tt.wantNot)
			}
		})
	}
}

// TestExplainRealErrors runs Explain on errors that really came back from
// the client, so a change in how neonapi wraps errors cannot slip by.
func TestExplainRealErrors(t *testing.T) {
	srv, fx, svc := setup(t)
	ctx := context.Background()

	_, err := svc("napi_notavalidtoken000000000000000").List(ctx, keys.ListOptions{})
	if got := keys.Explain(keys.OpList, err, cliWords()); !strings.Contains(got, "(401)") {
		t.Errorf("401: %q", got)
	}
	_, err = svc(fx.MemberToken).Create(ctx, keys.CreateRequest{Name: "x", OrgID: fx.Org.ID})
	if got := keys.Explain(keys.OpCreate, err, cliWords()); !strings.Contains(got, "cannot mint keys") {
		t.Errorf("403 create: %q", got)
	}
	_, err = svc("").Revoke(ctx, keys.Key{APIKey: neonapi.APIKey{ID: fx.OrgKeyID}})
	if got := keys.Explain(keys.OpRevoke, err, cliWords()); !strings.Contains(got, "no such key") || !strings.Contains(got, "--org-id") {
		t.Errorf("404 revoke: %q", got)
	}

	srv.SetLatency(time.Second)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = svc("").List(short, keys.ListOptions{})
	if got := keys.Explain(keys.OpList, err, cliWords()); !strings.Contains(got, "did not answer in time") {
		t.Errorf("timeout: %q (err %v)", got, err)
	}
	srv.SetLatency(0)

	// A closed port: the client retries the dial, then reports no answer.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	api, err := neonapi.New(neonapi.Options{Token: fx.AdminToken, BaseURL: "http://" + addr + "/api/v2",
		Retry: &neonapi.RetryPolicy{MaxRetries: 1, BaseDelay: time.Millisecond, MaxWait: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = keys.New(api, nil).List(ctx, keys.ListOptions{})
	got := keys.Explain(keys.OpList, err, cliWords())
	if !strings.Contains(got, "could not reach the Neon API") || strings.Contains(got, fx.AdminToken) {
		t.Errorf("network: %q", got)
	}
}
