package server

// SetListenDone makes ServeStdio close ch once mcp-go's stdio server has
// returned with all its handlers. mcp-go keeps the stdio session in a
// package variable (stdioSessionInstance) that every stdio server of the
// process shares, so a test must not start the next server before the last
// one is gone.
func SetListenDone(opts *Options, ch chan struct{}) { opts.listenDone = ch }
