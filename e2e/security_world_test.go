package e2e

import (
	"bytes"
	"crypto/rand"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// secWorld is a fake Neon API seeded with the standard fixture plus secrets
// planted in every place the API can put text: key names, created_by.name,
// organization and project names, last_used_from_addr. Error messages get
// theirs from the faults of each scenario (secMessage).
type secWorld struct {
	srv    *neontest.Server
	fx     *neontest.Fixture
	cred   string // the credential the binary holds
	apiURL string // what the binary calls (a proxy in legacy mode)

	never []string // planted secrets and pre-existing tokens: never in any output

	evilOrgID   string // an org whose name, creator and key name carry secrets
	projectID   string // an org project whose name carries a decoy
	decoyKeyID  int64  // personal key with a token-shaped name: rotate target
	credKeyID   int64  // personal key named with the credential: revoke target
	scratchID   int64  // plain personal key: a second revoke/rotate target
	decoyInName string
	decoyInUser string
	decoyInErr  string
}

const secAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// secRandom returns n random characters of [a-z0-9].
func secRandom(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = secAlphabet[int(b[i])%len(secAlphabet)]
	}
	return string(b)
}

// secDecoy is a token-shaped string no one minted: napi_ + 40 characters.
func secDecoy() string { return "napi_" + secRandom(40) }

// secNewWorld plants the secrets. With legacy, the binary's credential is a
// 64-character prefix-less value (older Neon keys had no napi_ prefix): only
// the redactor's exact-value pass can catch it. A proxy in front of the fake
// swaps it for a real token on the way in and back on the way out, so an
// error quoting the Authorization header quotes the legacy value.
func secNewWorld(t *testing.T, legacy bool) *secWorld {
	t.Helper()
	srv := neontest.New(t)
	fx := srv.Seed()
	w := &secWorld{srv: srv, fx: fx, cred: fx.AdminToken, apiURL: srv.URL(),
		decoyInName: secDecoy(), decoyInUser: secDecoy(), decoyInErr: secDecoy()}
	if legacy {
		w.cred = secRandom(64)
		w.apiURL = secLegacyProxy(t, srv, w.cred, fx.AdminToken) + neontest.BasePath
	}
	evil := srv.AddUser("Mallory " + w.decoyInUser + " " + w.cred)
	org := srv.AddOrg("Evil "+w.decoyInName, evil.ID, fx.Admin.ID)
	w.evilOrgID = org.ID
	_, evilKey := srv.AddOrgKey(org.ID, "evil "+w.decoyInName+" "+w.cred, "")
	srv.SetKeyLastUsed(evilKey, time.Now(), "203.0.113.9 "+w.cred)
	w.projectID = srv.AddProject("proj "+w.decoyInErr, fx.Org.ID).ID
	_, w.decoyKeyID = srv.AddPersonalKey(fx.Admin.ID, "leak "+w.decoyInName)
	_, w.credKeyID = srv.AddPersonalKey(fx.Admin.ID, w.cred)
	var scratchToken string
	scratchToken, w.scratchID = srv.AddPersonalKey(fx.Admin.ID, "scratch")
	srv.SetKeyLastUsed(w.decoyKeyID, time.Now(), w.decoyInUser)

	w.never = []string{w.cred, fx.AdminToken, fx.MemberToken, fx.OrgKeyToken, fx.ProjectKeyToken, scratchToken,
		w.decoyInName, w.decoyInUser, w.decoyInErr}
	return w
}

// secMessage is an API error message quoting every kind of secret.
func (w *secWorld) secMessage() string {
	return "denied: key " + w.cred + " (Authorization: Bearer " + w.cred + ") see " + w.decoyInErr
}

// secLegacyProxy forwards to the fake, swapping the legacy credential for
// the real token in requests and back in responses.
func secLegacyProxy(t *testing.T, srv *neontest.Server, legacy, real string) string {
	t.Helper()
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	target := &url.URL{Scheme: u.Scheme, Host: u.Host}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			if pr.In.Header.Get("Authorization") == "Bearer "+legacy {
				pr.Out.Header.Set("Authorization", "Bearer "+real)
			}
		},
		ModifyResponse: func(r *http.Response) error {
			b, err := io.ReadAll(r.Body)
			_ = r.Body.Close()
			if err != nil {
				return err
			}
			b = bytes.ReplaceAll(b, []byte(real), []byte(legacy))
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.ContentLength = int64(len(b))
			r.Header.Set("Content-Length", strconv.Itoa(len(b)))
			return nil
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	proxy := httptest.NewServer(rp)
	t.Cleanup(func() {
		srv.Close() // ends hung requests first: proxy.Close waits for its handlers
		proxy.Close()
	})
	return proxy.URL
}

// secEnv is the binary's whole environment.
func (w *secWorld) secEnv(t *testing.T) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "NEON_API_HOST=" + w.apiURL, "NEON_API_KEY=" + w.cred}
}

// secLeak is one finding of secCheckOutput.
type secLeak struct{ what string }

// secCheckOutput checks raw output bytes: no planted secret (nor any
// 16-character piece of the credential, which a truncated echo could
// carry), and every other token-shaped string on exactly one line, which
// mintLine must accept. It returns the minted tokens it saw.
func (w *secWorld) secCheckOutput(t *testing.T, where string, out []byte, mintLine func(line []byte) bool) []string {
	t.Helper()
	for _, s := range w.never {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("%s: LEAK of a planted secret %s…", where, s[:9])
		}
	}
	const piece = 16
	for i := 0; i+piece <= len(w.cred); i++ {
		if bytes.Contains(out, []byte(w.cred[i:i+piece])) {
			t.Errorf("%s: LEAK of a piece of the credential (offset %d)", where, i)
			break
		}
	}
	var minted []string
	for _, tok := range mcpTokenPattern.FindAll(out, -1) {
		s := string(tok)
		if secContains(minted, s) || secContains(w.never, s) {
			continue
		}
		minted = append(minted, s)
		var lines [][]byte
		for _, line := range bytes.Split(out, []byte("\n")) {
			if bytes.Contains(line, tok) {
				lines = append(lines, line)
			}
		}
		if len(lines) != 1 {
			t.Errorf("%s: LEAK: minted token %s… on %d lines, want one", where, s[:9], len(lines))
			continue
		}
		if !mintLine(lines[0]) {
			t.Errorf("%s: LEAK: minted token %s… outside its create answer: %s", where, s[:9], mcpTail(string(lines[0])))
		}
	}
	return minted
}

func secContains(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(s, x) || x == s {
			return true
		}
	}
	return false
}
