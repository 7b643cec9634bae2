package keys

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/neonkeys/neonkeys/neonapi"
)

// wrongHost tells why a 404 most likely comes from a wrong NEON_API_HOST,
// "" when it looks like one of Neon's own answers (a key or project that
// is not there). Two signs, checked in this order: the address lacks
// Neon's /api/v2 path, or the answer is not Neon's JSON error (an HTML
// page, plain text: a web server that is not Neon's API).
func wrongHost(e *neonapi.APIError) string {
	const fix = "set NEON_API_HOST to Neon's API, " + neonapi.DefaultBaseURL + ", or unset it"
	if e.URL == "" {
		return "" // not an answer from a server (a test's own error)
	}
	if u, err := url.Parse(e.URL); err == nil && !strings.Contains(u.Path+"/", "/api/v2/") {
		return "the address lacks /api/v2, the path of Neon's API: " + fix
	}
	// Only a GET: neonkeys lists before it changes anything, so a wrong
	// host shows there first, and a revoke's 404 keeps its own advice.
	if !e.NeonShaped && e.Method == http.MethodGet {
		return "the answer is not Neon's JSON error, so this does not look like Neon's API: " + fix
	}
	return ""
}
