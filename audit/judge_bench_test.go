package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/audit"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// BenchmarkJudge10kKeys is the judgement alone, on an inventory of 10,000
// keys already collected.
func BenchmarkJudge10kKeys(b *testing.B) {
	srv := neontest.New(b, neontest.WithClock(func() time.Time { return now }), neontest.WithoutRequestLog())
	fx := srv.Seed()
	account(b, srv, fx, 5, 10000, 2000)
	inv, err := audit.Collect(context.Background(), service(b, srv, fx.AdminToken), "", keys.Words{})
	if err != nil {
		b.Fatal(err)
	}
	opts := audit.Options{Thresholds: audit.Defaults()}
	b.ReportAllocs()
	for b.Loop() {
		audit.Judge(inv, now, opts)
	}
}
