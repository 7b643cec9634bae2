package cli

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/neonkeys/neonkeys/destination/githubtest"
)

// readingPerson is stdin of a person who reads the question for a while:
// meanwhile runs once, on the first read, before the answer is typed.
type readingPerson struct {
	once      sync.Once
	meanwhile func()
	answer    io.Reader
}

func (p *readingPerson) Read(b []byte) (int, error) {
	p.once.Do(p.meanwhile)
	return p.answer.Read(b)
}

// TestRotateChecksTheDestinationsAgainAfterTheQuestion: the destinations are
// checked before the question and again once the person answered (the CLI
// never marks its plan handoff.Plan.Preflighted): a GitHub secret whose
// access is lost while the person reads the question is found before any
// key is created, and nothing changes.
func TestRotateChecksTheDestinationsAgainAfterTheQuestion(t *testing.T) {
	w := newDestWorld(t)
	w.writeConfig(w.threeDestinations())
	old, ok := w.srv.Key(w.fx.ProjectKeyID)
	if !ok {
		t.Fatal("the seed's project key is missing")
	}
	person := &readingPerson{
		meanwhile: func() {
			w.gh.AddFault(githubtest.Fault{Method: http.MethodGet, PathSuffix: "/public-key", Status: 403,
				Body: `{"message":"Resource not accessible by integration"}`})
		},
		answer: strings.NewReader(old.Name + "\n"),
	}
	r := runCLI(t, runOpts{env: w.env, interactive: true, stdin: person}, "rotate", id(w.fx.ProjectKeyID))
	wantCode(t, r, 1)
	for _, want := range []string{"shop-ci", "GitHub answered 403", "nothing was created"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if n := mutations(w.srv, http.MethodPost); n != 0 {
		t.Errorf("%d keys created, want none: the destination broke before the answer", n)
	}
	if !w.live(w.fx.ProjectKeyID) {
		t.Error("the old key was revoked")
	}
	if v := w.dotenvValue(); v != "napi_oldvalueoldvalueoldvalueoldvalue1234" {
		t.Errorf(".env changed: %q…", prefix(v))
	}
}
