package leak

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
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

	mu     sync.Mutex
	minted []string // tokens the API minted during the run (echo worlds record them)
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
	personal := func(name string) int64 { _, id := srv.AddPersonalKey(fx.Admin.ID, name); return id }
	orgWide := func(name string) int64 { _, id := srv.AddOrgKey(org.ID, name, ""); return id }
	for _, add := range []func(string) int64{personal, orgWide} {
		w.never = append(w.never, secPlantHidden(srv, add, w.cred)...)
	}
	return w
}

// secSplitters are characters a terminal does not show (or StripControl
// removes): a secret split by them passes a plain scan and looks whole.
var secSplitters = []string{"\u200b", "\x00", "\u00ad", "\u202e", "\ufeff", "\x1b[0m", "\x1b"}

// secSplit inserts sep into s every n bytes.
func secSplit(s, sep string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i:min(i+n, len(s))])
	}
	return b.String()
}

// secPlantHidden plants secrets split by invisible characters into key names
// and last_used_from_addr: the credential cut once by a zero-width space
// (both halves long enough to be caught as pieces), the credential cut every
// 7 characters (no piece long enough), and token-shaped decoys nobody holds
// cut every 6 by each splitter (only the folded view shows the shape). It
// returns the decoys.
func secPlantHidden(srv *neontest.Server, addKey func(name string) int64, cred string) []string {
	zwsp := cred[:20] + "\u200b" + cred[20:]
	srv.SetKeyLastUsed(addKey(zwsp), time.Now(), zwsp)
	srv.SetKeyLastUsed(addKey("hidden "+secSplit(cred, "\u00ad", 7)), time.Now(), secSplit(cred, "\u200b", 7))
	var decoys []string
	for _, sep := range secSplitters {
		d := secDecoy()
		decoys = append(decoys, d)
		srv.SetKeyLastUsed(addKey("split "+secSplit(d, sep, 6)), time.Now(), d[:12]+sep+d[12:])
	}
	return decoys
}

// secVisible is out as a terminal shows it: no CSI sequences, no control or
// format characters (zero-width, bidi, soft hyphen), lines and tabs kept.
func secVisible(out []byte) []byte {
	var b bytes.Buffer
	for i := 0; i < len(out); {
		if out[i] == 0x1b && i+1 < len(out) && out[i+1] == '[' {
			j := i + 2
			for j < len(out) && out[j] >= 0x20 && out[j] <= 0x3f {
				j++
			}
			if j < len(out) && out[j] >= 0x40 && out[j] <= 0x7e {
				j++
			}
			i = j
			continue
		}
		r, n := utf8.DecodeRune(out[i:])
		if r == '\n' || r == '\t' || !(unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			b.Write(out[i : i+n])
		}
		i += n
	}
	return b.Bytes()
}

// secEcho puts a proxy in front of the fake that, as soon as the API mints a
// token, plants it back into the API's text for the calls that follow: in
// key names (whole, cut to 45 characters, split by a zero-width space), in
// last_used_from_addr, and in the error message of the next two requests,
// next to 45 characters of the credential.
func (w *secWorld) secEcho(t *testing.T) {
	t.Helper()
	w.apiURL = secProxy(t, w.srv, func(r *http.Response, body []byte) []byte {
		if r.Request.Method != http.MethodPost || r.StatusCode != http.StatusOK {
			return body
		}
		var created struct {
			Key string `json:"key"`
		}
		if json.Unmarshal(body, &created) != nil || created.Key == "" {
			return body
		}
		tok := created.Key
		w.mu.Lock()
		w.minted = append(w.minted, tok)
		w.mu.Unlock()
		w.srv.AddPersonalKey(w.fx.Admin.ID, "echo "+tok)
		_, id := w.srv.AddPersonalKey(w.fx.Admin.ID, "cut "+tok[5:50])
		w.srv.SetKeyLastUsed(id, time.Now(), tok[10:55])
		w.srv.AddPersonalKey(w.fx.Admin.ID, "hid "+tok[:20]+"\u200b"+tok[20:])
		w.srv.Inject(neontest.Fault{Status: http.StatusConflict, Count: 2,
			Message: "conflict with " + tok + " (" + tok[5:50] + ") held by " + w.cred[3:48]})
		return body
	}) + neontest.BasePath
}

// mintedTokens are the tokens the echo proxy saw minted.
func (w *secWorld) mintedTokens() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.minted...)
}

// secMessage is an API error message quoting every kind of secret.
func (w *secWorld) secMessage() string {
	return "denied: key " + w.cred + " (Authorization: Bearer " + w.cred + ") see " + w.decoyInErr
}

// secLegacyProxy forwards to the fake, swapping the legacy credential for
// the real token in requests and back in responses.
func secLegacyProxy(t *testing.T, srv *neontest.Server, legacy, real string) string {
	t.Helper()
	return secProxy(t, srv, func(_ *http.Response, body []byte) []byte {
		return bytes.ReplaceAll(body, []byte(real), []byte(legacy))
	}, func(pr *httputil.ProxyRequest) {
		if pr.In.Header.Get("Authorization") == "Bearer "+legacy {
			pr.Out.Header.Set("Authorization", "Bearer "+real)
		}
	})
}

// secProxy forwards to the fake; edit may change each response body, and
// rewrite each request. The fake's faults that cut a body short become 502s
// here: only scenarios without them use a proxy.
func secProxy(t *testing.T, srv *neontest.Server, edit func(*http.Response, []byte) []byte, rewrite ...func(*httputil.ProxyRequest)) string {
	t.Helper()
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	target := &url.URL{Scheme: u.Scheme, Host: u.Host}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			for _, f := range rewrite {
				f(pr)
			}
		},
		ModifyResponse: func(r *http.Response) error {
			b, err := io.ReadAll(r.Body)
			_ = r.Body.Close()
			if err != nil {
				return err
			}
			b = edit(r, b)
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
	return harness.Env("HOME="+t.TempDir(), "NEON_API_HOST="+w.apiURL, "NEON_API_KEY="+w.cred)
}

// secCheckOutput checks output bytes, raw and as a terminal shows them
// (secVisible): no planted secret, no 16-character piece of the credential
// (a truncated echo could carry one), no 16-character piece of a minted
// token outside the token itself; and every token-shaped string that is
// not planted on exactly one line, which mintLine must accept. It returns
// the minted tokens it saw.
func (w *secWorld) secCheckOutput(t *testing.T, where string, out []byte, mintLine func(line []byte) bool) []string {
	t.Helper()
	const piece = 16
	for view, text := range map[string][]byte{"": out, " (as a terminal shows it)": secVisible(out)} {
		for _, s := range w.never {
			if bytes.Contains(text, []byte(s)) {
				t.Errorf("%s%s: LEAK of a planted secret %s…", where, view, s[:9])
			}
		}
		for i := 0; i+piece <= len(w.cred); i++ {
			if bytes.Contains(text, []byte(w.cred[i:i+piece])) {
				t.Errorf("%s%s: LEAK of a piece of the credential (offset %d)", where, view, i)
				break
			}
		}
	}
	var minted []string
	for _, tok := range testkit.TokenPattern.FindAll(out, -1) {
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
			t.Errorf("%s: LEAK: minted token %s… outside its create answer: %s", where, s[:9], harness.Tail(string(lines[0])))
		}
	}
	for _, tok := range append(w.mintedTokens(), minted...) {
		// The token itself may be in its one answer; no piece elsewhere.
		for view, text := range map[string][]byte{"": out, " (as a terminal shows it)": secVisible(out)} {
			rest := bytes.ReplaceAll(text, []byte(tok), nil)
			for i := 0; i+piece <= len(tok); i++ {
				if bytes.Contains(rest, []byte(tok[i:i+piece])) {
					t.Errorf("%s%s: LEAK of a piece of minted token %s… (offset %d)", where, view, tok[:9], i)
					break
				}
			}
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
