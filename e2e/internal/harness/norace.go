//go:build !race

package harness

// RaceBuild is true when the tests run with -race: Binary then builds the
// program under test with -race too.
const RaceBuild = false
