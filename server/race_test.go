//go:build race

package server_test

// The tests run with -race: the server is many times slower (raceBound).
func init() { raceBuild = true }
