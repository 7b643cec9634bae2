package destination

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v93/github"
	"golang.org/x/crypto/nacl/box"

	"github.com/neonkeys/neonkeys/internal/netx"
	"github.com/neonkeys/neonkeys/secret"
)

// Where the GitHub credential and API base come from.
const (
	EnvGHToken     = "GH_TOKEN"
	EnvGitHubToken = "GITHUB_TOKEN"
	EnvGitHubAPI   = "GITHUB_API_URL"
)

const (
	defaultGitHubAPI = "https://api.github.com/"
	githubTimeout    = 30 * time.Second
	ghAuthTimeout    = 10 * time.Second
)

// githubAPI is the client every GitHub destination of one Open shares; the
// credential is looked up once, at the first preflight or delivery. A
// failed lookup is remembered too (each destination would otherwise run
// `gh auth token` again, one after another), unless it failed because its
// caller's ctx ended: the next caller then tries afresh.
type githubAPI struct {
	env Env
	mu  sync.Mutex
	c   *github.Client
	err error
}

func newGitHubAPI(env Env) *githubAPI { return &githubAPI{env: env} }

func (g *githubAPI) client(ctx context.Context) (*github.Client, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.c != nil || g.err != nil {
		return g.c, g.err
	}
	c, err := g.connect(ctx)
	if err == nil || ctx.Err() == nil {
		g.c, g.err = c, err
	}
	return c, err
}

func (g *githubAPI) connect(ctx context.Context) (*github.Client, error) {
	base, err := githubBaseURL(g.env.Getenv(EnvGitHubAPI))
	if err != nil {
		return nil, err
	}
	token, err := githubToken(ctx, g.env)
	if err != nil {
		return nil, err
	}
	g.env.Redactor.Add(token)
	hc := &http.Client{Timeout: githubTimeout}
	if g.env.HTTPClient != nil {
		copied := *g.env.HTTPClient
		hc = &copied
	}
	// No redirect is followed, as for Neon (neonapi): a 307 would replay the
	// sealed token to the origin Location names, whose 201 would count as
	// delivered, and a 302 would let another origin pick the sealing key.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c, err := github.NewClient(
		github.WithHTTPClient(hc),
		github.WithAuthToken(token),
		github.WithURLs(&base, &base),
		github.WithUserAgent("neonkeys"),
	)
	if err != nil {
		return nil, fmt.Errorf("GitHub client: %w", err)
	}
	return c, nil
}

// githubBaseURL checks GITHUB_API_URL (GitHub Enterprise, tests): https, or
// http to this machine only, since the credential rides in a header.
func githubBaseURL(raw string) (string, error) {
	if raw == "" {
		return defaultGitHubAPI, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%s %q: want https://host/path", EnvGitHubAPI, secret.StripControl(raw))
	}
	if u.Scheme == "http" && !netx.IsLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("refusing %s %q: plain http would send the GitHub credential in clear (http is accepted only for localhost, 127.0.0.0/8 and ::1)",
			EnvGitHubAPI, secret.StripControl(u.Redacted()))
	}
	return strings.TrimRight(u.String(), "/") + "/", nil
}

// githubToken finds the GitHub credential: GH_TOKEN, else GITHUB_TOKEN (gh's
// own order), else what `gh auth token` prints when gh is installed. Never
// from argv.
func githubToken(ctx context.Context, env Env) (string, error) {
	for _, name := range []string{EnvGHToken, EnvGitHubToken} {
		if t := strings.TrimSpace(env.Getenv(name)); t != "" {
			return t, nil
		}
	}
	gh, err := lookPath("gh", env.Getenv("PATH"))
	if err != nil {
		return "", errors.New("no GitHub credential: set GH_TOKEN (or GITHUB_TOKEN), or install gh and run gh auth login")
	}
	ctx, cancel := context.WithTimeout(ctx, ghAuthTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gh, "auth", "token")
	// gh finds its login through HOME, XDG_CONFIG_HOME, GH_CONFIG_DIR and the
	// keyring; GH_HOST picks the Enterprise host.
	cmd.Env = childEnv(env.Getenv, []string{"GH_CONFIG_DIR", "GH_HOST"}, env.Redactor)
	// A gh (a wrapper, a shim) whose child keeps its output open after it
	// exits must not hang the lookup: stop waiting for that output soon,
	// and end its process group.
	ownProcessGroup(cmd)
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if cmd.Cancel != nil && cmd.Process != nil {
		_ = cmd.Cancel()
	}
	token := strings.TrimSpace(string(out))
	env.Redactor.Add(token)
	if err != nil || token == "" {
		return "", errors.New("no GitHub credential: GH_TOKEN and GITHUB_TOKEN are unset and `gh auth token` gave none (run gh auth login)")
	}
	return token, nil
}

// githubDest is an Actions secret of a repository, an environment or an
// organization.
type githubDest struct {
	name string
	spec GitHubSpec
	api  *githubAPI
}

func (d *githubDest) Name() string { return d.name }
func (d *githubDest) Kind() Kind   { return KindGitHub }

func (d *githubDest) Target() string {
	switch {
	case d.spec.Org != "":
		return fmt.Sprintf("GitHub Actions secret %s of the organization %s (visibility %s; its value replaced)", d.spec.Secret, d.spec.Org, d.spec.Visibility)
	case d.spec.Environment != "":
		return fmt.Sprintf("GitHub Actions secret %s of %s, environment %s (its value replaced)", d.spec.Secret, d.spec.Repo, secret.StripControl(d.spec.Environment))
	default:
		return fmt.Sprintf("GitHub Actions secret %s of %s (its value replaced)", d.spec.Secret, d.spec.Repo)
	}
}

// scope names what holds the secret, for messages: acme/shop, acme/shop
// environment production, organization acme.
func (d *githubDest) scope() string {
	switch {
	case d.spec.Org != "":
		return "the organization " + d.spec.Org
	case d.spec.Environment != "":
		return d.spec.Repo + " environment " + secret.StripControl(d.spec.Environment)
	default:
		return d.spec.Repo
	}
}

// secretID is what two destinations writing the same secret share; their
// deliveries are not independent.
func (d *githubDest) secretID() string {
	return strings.ToLower(d.spec.Org + "|" + d.spec.Repo + "|" + d.spec.Environment + "|" + d.spec.Secret)
}

func (d *githubDest) Preflight(ctx context.Context) error {
	c, err := d.api.client(ctx)
	if err != nil {
		return err
	}
	_, err = d.publicKey(ctx, c)
	return err
}

func (d *githubDest) publicKey(ctx context.Context, c *github.Client) (*github.PublicKey, error) {
	owner, repo, _ := strings.Cut(d.spec.Repo, "/")
	var pk *github.PublicKey
	var err error
	switch {
	case d.spec.Org != "":
		pk, _, err = c.Actions.GetOrgPublicKey(ctx, d.spec.Org)
	case d.spec.Environment != "":
		pk, _, err = c.Actions.GetEnvPublicKey(ctx, owner, repo, d.spec.Environment)
	default:
		pk, _, err = c.Actions.GetRepoPublicKey(ctx, owner, repo)
	}
	if err != nil {
		return nil, fmt.Errorf("read the Actions public key of %s: %s", d.scope(), d.githubError(err))
	}
	if pk.GetKeyID() == "" || pk.GetKey() == "" {
		return nil, fmt.Errorf("read the Actions public key of %s: GitHub's answer holds no key", d.scope())
	}
	// Checked here, not only when sealing: a key the delivery cannot use
	// must fail the preflight, before anything is minted.
	if !keyIDRe.MatchString(pk.GetKeyID()) {
		return nil, fmt.Errorf("read the Actions public key of %s: GitHub's key_id is not an id (letters, digits, at most 128)", d.scope())
	}
	if _, err := publicKeyBytes(pk.GetKey()); err != nil {
		return nil, fmt.Errorf("read the Actions public key of %s: %w", d.scope(), err)
	}
	return pk, nil
}

// keyIDRe is what a public key's id may hold (GitHub sends digits); it is
// sent back with the secret, so control characters are refused.
var keyIDRe = regexp.MustCompile(`^[A-Za-z0-9_.=+/-]{1,128}$`)

// publicKeyBytes decodes a sealed box's public key: 32 bytes of base64.
func publicKeyBytes(publicKey string) (*[32]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(publicKey)
	if err != nil || len(raw) != 32 {
		return nil, errors.New("the public key is not 32 bytes of base64")
	}
	var pk [32]byte
	copy(pk[:], raw)
	return &pk, nil
}

// githubError says what GitHub answered in words of our own, plus its
// message cleaned and redacted: an error body may quote what was sent.
func (d *githubDest) githubError(err error) string {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		msg := secret.StripControl(d.api.env.Redactor.Redact(er.Message))
		hint := ""
		switch er.Response.StatusCode {
		case http.StatusUnauthorized:
			hint = " (the GitHub credential is invalid or expired)"
		case http.StatusForbidden, http.StatusNotFound:
			hint = " (the GitHub credential cannot manage Actions secrets there: it needs admin on the repository, or the organization's secrets permission)"
		}
		if msg != "" {
			msg = ": " + msg
		}
		return fmt.Sprintf("GitHub answered %d%s%s", er.Response.StatusCode, hint, msg)
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		return "GitHub's rate limit is exhausted until " + rl.Rate.Reset.UTC().Format(time.RFC3339)
	}
	return d.api.env.Redactor.Redact(secret.StripControl(err.Error()))
}

func (d *githubDest) Deliver(ctx context.Context, token string) (string, error) {
	d.api.env.Redactor.Add(token) // an error body may quote it
	c, err := d.api.client(ctx)
	if err != nil {
		return "", err
	}
	pk, err := d.publicKey(ctx, c)
	if err != nil {
		return "", err
	}
	sealed, err := seal(pk.GetKey(), token)
	if err != nil {
		return "", fmt.Errorf("seal the token with the public key of %s: %w", d.scope(), err)
	}
	owner, repo, _ := strings.Cut(d.spec.Repo, "/")
	var resp *github.Response
	switch {
	case d.spec.Org != "":
		resp, err = c.Actions.CreateOrUpdateOrgSecret(ctx, d.spec.Org, d.spec.Secret, github.SecretOrgRequest{
			KeyID: pk.GetKeyID(), EncryptedValue: sealed, Visibility: d.spec.Visibility,
		})
	case d.spec.Environment != "":
		resp, err = c.Actions.CreateOrUpdateEnvSecret(ctx, owner, repo, d.spec.Environment, d.spec.Secret, github.SecretRequest{
			KeyID: pk.GetKeyID(), EncryptedValue: sealed,
		})
	default:
		resp, err = c.Actions.CreateOrUpdateRepoSecret(ctx, owner, repo, d.spec.Secret, github.SecretRequest{
			KeyID: pk.GetKeyID(), EncryptedValue: sealed,
		})
	}
	if err != nil {
		return "", d.putError(err)
	}
	switch resp.StatusCode {
	case http.StatusCreated:
		return "GitHub answered 201: secret created", nil
	case http.StatusNoContent:
		return "GitHub answered 204: secret updated", nil
	}
	return "", mayBeWritten(fmt.Errorf("set %s in %s: GitHub answered %d, not 201 or 204", d.spec.Secret, d.scope(), resp.StatusCode))
}

// putError classifies a failed PUT: GitHub refused it (4xx: nothing was
// stored), or the answer says nothing certain (5xx, a lost connection).
func (d *githubDest) putError(err error) error {
	e := fmt.Errorf("set %s in %s: %s", d.spec.Secret, d.scope(), d.githubError(err))
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode < 500 {
		return e
	}
	return mayBeWritten(e)
}

// seal encrypts token for GitHub: a libsodium sealed box (an anonymous
// sender) to the base64 public key, base64 encoded.
func seal(publicKey, token string) (string, error) {
	pk, err := publicKeyBytes(publicKey)
	if err != nil {
		return "", err
	}
	out, err := box.SealAnonymous(nil, []byte(token), pk, rand.Reader)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(out), nil
}
