package cli

import (
	"fmt"
	"testing"
)

// BenchmarkRotateDestinations is a whole `neonkeys rotate ID --yes` run
// in-process against the local fakes: without destinations (the token to
// stdout), and to five destinations (three GitHub secrets, a .env file, a
// program reading stdin), preflighted twice (before the confirmation and
// again before minting), delivered, then the old key revoked. The
// difference is what destinations cost a rotation.
//
//	go test ./cli/ -run '^$' -bench BenchmarkRotateDestinations -count 10
func BenchmarkRotateDestinations(b *testing.B) {
	const config = `destinations:
  ci:
    github: {repo: acme/shop, secret: NEON_API_KEY}
  ci-prod:
    github: {repo: acme/shop, environment: production, secret: NEON_API_KEY}
  ci-org:
    github: {org: acme, visibility: private, secret: NEON_API_KEY}
  env:
    dotenv: {path: shop/.env, var: NEON_API_KEY}
  cmd:
    command: {argv: [sh, -c, 'cat >/dev/null']}
`
	for _, bc := range []struct {
		name string
		to   []string
	}{
		{"none", nil},
		{"five", []string{"--to", "ci", "--to", "ci-prod", "--to", "ci-org", "--to", "env", "--to", "cmd"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := newDestWorld(b)
			w.writeConfig(config)
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				_, old := w.srv.AddOrgKey(w.fx.Org.ID, fmt.Sprintf("bench-%d", i), w.fx.OrgProject.ID)
				b.StartTimer()
				args := append([]string{"rotate", id(old), "--org-id", w.fx.Org.ID, "--name", fmt.Sprintf("bench-%d-new", i), "--yes"}, bc.to...)
				if r := w.run(args...); r.code != 0 {
					b.Fatalf("exit %d:\n%s", r.code, r.stderr)
				}
				b.StopTimer()
				// Keep the number of live keys constant: each list costs the same.
				keys := w.srv.Keys()
				w.srv.RevokeKey(keys[len(keys)-1].ID)
				b.StartTimer()
			}
		})
	}
}
