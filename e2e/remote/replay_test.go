package remote

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// answered is the request that carried a person's answer back, and the
// instance that served it.
type answered struct {
	header   http.Header
	body     []byte
	instance int
}

// TestReplayOnAnotherInstanceRefused: three processes sharing
// --seal-key-file behind a round-robin proxy. A create confirmed through
// elicitation mints its key; the very request that carried the person's
// yes, sent again to another instance (which never opened that state), is
// refused, and Neon got one create.
func TestReplayOnAnotherInstanceRefused(t *testing.T) {
	fake := neontest.New(t)
	fx := fake.Seed()
	backends := startSharingSealKey(t, fake, 3)
	var mu sync.Mutex
	next := 0
	var theYes *answered
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		i := next % len(backends)
		next++
		if bytes.Contains(body, []byte(`"inputResponses"`)) {
			theYes = &answered{header: r.Header.Clone(), body: body, instance: i}
		}
		mu.Unlock()
		target := backends[i]
		(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }}).ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)

	person := &yes{}
	c := connect(t, proxy.URL+"/mcp", fx.AdminToken, client.WithElicitationHandler(person))
	const name = "replayed"
	res := call(t, c, "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":%q,"confirm":true}`, fx.OrgProject.ID, name))
	mu.Lock()
	used := theYes
	mu.Unlock()
	if res.IsError || person.asked.Load() != 1 || used == nil {
		t.Fatalf("create: asked %d times, answer %q, answer request seen: %v", person.asked.Load(), text(res), used != nil)
	}

	other := backends[(used.instance+1)%len(backends)]
	replay := replayTo(t, other.String()+"/mcp", used)
	if !strings.Contains(replay, "Not created: the confirmation was already used") {
		t.Fatalf("the used answer replayed on another instance got: %s", replay)
	}
	var creates, named int
	for _, r := range fake.Mutations() {
		if r.Method == http.MethodPost {
			creates++
		}
	}
	for _, k := range fake.Keys() {
		if k.Name == name {
			named++
		}
	}
	if creates != 1 || named != 1 {
		t.Fatalf("%d create requests, %d keys named %q; want one of each", creates, named, name)
	}
}

// replayTo sends the request a sent again, as is, to endpoint, and returns
// the body of the answer.
func replayTo(t *testing.T, endpoint string, a *answered) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, bytes.NewReader(a.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = a.header.Clone()
	hc := &http.Client{Timeout: 60 * time.Second} // a -race build on a loaded machine answers slowly
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("replay: HTTP %d: %s", resp.StatusCode, b)
	}
	return string(b)
}
