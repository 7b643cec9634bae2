package audit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/audit"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

// account fills srv with personal keys of the admin and orgs organizations,
// together keys keys, and members members spread over the organizations;
// a tenth of the keys are old enough to be found, and one organization
// key in 100 is the replacement of the one before it.
func account(tb testing.TB, srv *neontest.Server, fx *neontest.Fixture, orgs, keyCount, members int) {
	tb.Helper()
	personal := keyCount / 10
	for _, id := range srv.AddPersonalKeys(fx.Admin.ID, personal-1) { // the admin's own key is one
		if id%10 == 0 {
			srv.SetKeyCreatedAt(id, now.Add(-100*day))
		}
	}
	perOrg := (keyCount - personal) / orgs
	for o := range orgs {
		org := fx.Org
		if o > 0 {
			org = srv.AddOrg(fmt.Sprintf("Org %d", o), fx.Admin.ID)
		}
		n := perOrg
		if o == 0 {
			n -= 2 // the fixture's ci and shop-deploy
		}
		for i := range n {
			name := fmt.Sprintf("org%d-key-%d", o, i)
			if i%100 == 1 { // one key in 100 replaces the one before it: a rotation left half done
				name = keys.RotatedName(fmt.Sprintf("org%d-key-%d", o, i-1), now.Add(-time.Hour))
			}
			_, id := srv.AddOrgKey(org.ID, name, "")
			if i%10 == 0 {
				srv.SetKeyCreatedAt(id, now.Add(-100*day))
			}
		}
		srv.AddOrgMembers(org.ID, members/orgs)
	}
}

// BenchmarkAudit10kKeys is the Speed target of the audit: 10,000 keys
// (1,000 personal, 1,800 in each of 5 organizations) and 2,000 members,
// the fake answering every request after 20 ms. One op is one audit,
// collection and judgement. The sub-benchmarks at 2,500 and 5,000 keys
// show memory growing with the keys (B/op).
func BenchmarkAudit10kKeys(b *testing.B) {
	for _, n := range []int{2500, 5000, 10000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			srv := neontest.New(b, neontest.WithClock(func() time.Time { return now }), neontest.WithoutRequestLog())
			fx := srv.Seed()
			account(b, srv, fx, 5, n, 2000)
			svc := service(b, srv, fx.AdminToken)
			srv.SetLatency(20 * time.Millisecond)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r, err := audit.Run(ctx, svc, "", audit.Options{Thresholds: audit.Defaults()})
				if err != nil {
					b.Fatal(err)
				}
				if r.Audited != n {
					b.Fatalf("audited %d keys, want %d", r.Audited, n)
				}
			}
		})
	}
}

// TestCollectIsConcurrentAndBounded: the organizations are read at once,
// but never more than keys.OrgWalkers of them (a key list and a members
// list each) plus the personal keys and the list of organizations.
func TestCollectIsConcurrentAndBounded(t *testing.T) {
	fake := neontest.New(t, neontest.WithClock(func() time.Time { return now }))
	fx := fake.Seed()
	for i := range 9 {
		fake.AddOrg(fmt.Sprintf("Org %d", i), fx.Admin.ID)
	}
	fake.SetLatency(20 * time.Millisecond)
	var inFlight, peak atomic.Int64
	var mu sync.Mutex
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		mu.Lock()
		peak.Store(max(peak.Load(), n))
		mu.Unlock()
		defer inFlight.Add(-1)
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	api, err := neonapi.New(neonapi.Options{Token: fx.AdminToken, BaseURL: ts.URL + neontest.BasePath, HTTPClient: ts.Client(),
		Retry: &neonapi.RetryPolicy{}, Redactor: secret.NewRedactor()})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := audit.Collect(context.Background(), keys.New(api, func() time.Time { return now }), "", keys.Words{})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Orgs != 10 || len(inv.Members) != 10 {
		t.Fatalf("%d organizations read, %d members lists; want 10 each", inv.Orgs, len(inv.Members))
	}
	// Each request waits 20 ms in the fake, so the walks overlap; the bound
	// is counted, not timed.
	if p := peak.Load(); p < 3 || p > 2*keys.OrgWalkers {
		t.Fatalf("%d requests in flight at most, want 3 to %d", p, 2*keys.OrgWalkers)
	}
}
