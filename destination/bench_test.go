package destination

import "testing"

// BenchmarkPreflightFive is what destinations add to a rotation before
// anything is minted: the preflight of five destinations (three GitHub
// secrets against the local fake, a .env file, a program) from a fresh Open,
// so the GitHub client and the credential lookup count every time.
func BenchmarkPreflightFive(b *testing.B) {
	w := newWorld(b, "")
	cfg, err := Parse([]byte(w.config), "/config.yaml", "/home/ann")
	if err != nil {
		b.Fatal(err)
	}
	specs, err := cfg.Lookup("ci", "ci-prod", "ci-org", "env", "cmd")
	if err != nil {
		b.Fatal(err)
	}
	d := Deliverer{Redactor: w.env.Redactor}
	for b.Loop() {
		dests, err := Open(specs, w.env)
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Preflight(b.Context(), dests); err != nil {
			b.Fatal(err)
		}
	}
}
