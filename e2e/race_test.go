//go:build race

package e2e

// The tests run with -race: build the binary under test with it as well.
func init() { raceBuild = true }
