package cli

import (
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/neonkeys/neonkeys/config"
	"github.com/neonkeys/neonkeys/internal/buildinfo"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/remote"
	"github.com/neonkeys/neonkeys/server"
	"github.com/neonkeys/neonkeys/tools"
)

// httpFlags are neonkeys mcp's flags of remote mode (--http).
type httpFlags struct {
	addr             string
	tlsCert, tlsKey  string
	behindProxy      bool
	serverCredential bool
	sealKeyFile      string
	allowedOrigins   []string
	rate             float64
}

func (h *httpFlags) register(f *pflag.FlagSet) {
	f.StringVar(&h.addr, "http", "", "serve MCP over Streamable HTTP at ADDR/mcp instead of stdio (alone: "+remote.DefaultAddr+")")
	f.Lookup("http").NoOptDefVal = remote.DefaultAddr
	f.StringVar(&h.tlsCert, "tls-cert", "", "with --http: serve HTTPS with this certificate file (PEM)")
	f.StringVar(&h.tlsKey, "tls-key", "", "with --http: the private key file of --tls-cert (PEM)")
	f.BoolVar(&h.behindProxy, "behind-proxy", false, "with --http: TLS ends in a proxy in front, so plain HTTP may listen beyond loopback")
	f.BoolVar(&h.serverCredential, "server-credential", false, "with --http: every request uses the key of NEON_API_KEY_FILE (behind an identity-aware proxy) instead of its own Authorization: Bearer")
	f.StringVar(&h.sealKeyFile, "seal-key-file", "", "with --http: the confirmation states' key (32 random bytes, mode 600), shared by all instances")
	f.StringSliceVar(&h.allowedOrigins, "allowed-origin", nil, "with --http: a browser Origin allowed besides loopback ones (repeatable)")
	f.Float64Var(&h.rate, "rate-limit", remote.DefaultRate, "with --http: calls per second allowed per credential")
}

// mcpArgs is mcp's positional-argument check: none, except the address of
// "--http ADDR" written with a space (--http alone means remote.DefaultAddr,
// so pflag leaves ADDR as an argument).
func mcpArgs(h *httpFlags) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 && cmd.Flags().Changed("http") && h.addr == remote.DefaultAddr {
			h.addr = args[0]
			return nil
		}
		return cobra.NoArgs(cmd, args)
	}
}

// serveHTTP runs remote mode: the same tools as stdio, over HTTP. It reads
// no destinations config: destinations write on this machine (files, CI
// secrets, programs), which a remote caller must not steer.
func (a *app) serveHTTP(cmd *cobra.Command, opts server.Options, h *httpFlags) error {
	if opts.SecretsDir != "" {
		return usageErr("--secrets-dir does not apply to --http: a remote caller cannot read files on this machine")
	}
	if (h.tlsCert == "") != (h.tlsKey == "") {
		return usageErr("--tls-cert and --tls-key go together")
	}
	if strings.HasPrefix(h.addr, ":") {
		// ":8080" would listen on every interface: loopback unless said.
		h.addr = "127.0.0.1" + h.addr
	}
	if err := remote.CheckAddr(h.addr, h.tlsCert != "" || h.tlsKey != "", h.behindProxy); err != nil {
		return usageErr("%s", err.Error())
	}
	ctx := cmd.Context()
	opts.Redactor, opts.Log = a.red, a.stderr
	opts.Version = buildinfo.Read().String()
	if h.sealKeyFile != "" {
		key, err := remote.ReadSealKey(h.sealKeyFile)
		if err != nil {
			return usageErr("%s", err.Error())
		}
		opts.SealKey = key
	} else if !opts.NoElicit {
		a.say("neonkeys mcp: no --seal-key-file: a confirmation asked by this instance is refused by any other; give all instances the same key")
	}
	if h.serverCredential {
		if a.env.getenv(config.EnvAPIKeyFile) == "" || a.env.getenv(config.EnvAPIKey) != "" {
			// NEON_API_KEY would win over the file (LoadCredential prefers it).
			return usageErr("--server-credential needs %s (the key in a file, never on the command line) and %s unset", config.EnvAPIKeyFile, config.EnvAPIKey)
		}
		cred, err := config.LoadCredential(ctx, a.env.getenv, nil, "", a.stderr)
		if err != nil {
			return usageErr("--server-credential: %s", a.red.Redact(err.Error()))
		}
		api, err := a.client(cred.Token)
		if err != nil {
			opts.CredentialErr = &tools.SetupError{Err: err}
		} else {
			opts.Keys = keys.New(api, nil)
		}
	}
	api := a.clientOptions("")
	api.OnRetry = nil // retry notes are for a person at a terminal
	cfg := remote.Config{
		Addr: h.addr, TLSCert: h.tlsCert, TLSKey: h.tlsKey, BehindProxy: h.behindProxy,
		AllowedOrigins: h.allowedOrigins, Server: opts, ServerCredential: h.serverCredential,
		API: api, Rate: h.rate, AccessLog: a.stderr,
	}
	if a.env.getenv("GOGC") == "" {
		// A server answering thousands of small calls a second spends a
		// sixth of its CPU in the collector at the default (100), for a
		// heap of a few MB; 400 trades about 10 MB of memory for that
		// CPU (bench/README.md, remote mode). GOGC still decides when set.
		debug.SetGCPercent(remoteGCPercent)
	}
	scheme := "http"
	if h.tlsCert != "" {
		scheme = "https"
	}
	err := remote.Serve(ctx, cfg, func(addr string) {
		a.say("neonkeys mcp: serving MCP at %s://%s%s", scheme, addr, remote.Path)
	})
	if err != nil {
		return failErr("neonkeys mcp --http: %s", a.red.Redact(err.Error()))
	}
	return nil
}

// remoteGCPercent is the collector's target in remote mode (see serveHTTP).
const remoteGCPercent = 400

// httpUsage is the note mcp's help gives about remote mode.
const httpUsage = `

With --http the same tools are served over Streamable HTTP at ADDR/mcp
(stateless: any number of instances behind a load balancer). Each request
brings its Neon key in "Authorization: Bearer <key>", or with
--server-credential every request uses the key of NEON_API_KEY_FILE.`
