package server_test

// raceBuild is set by race_test.go when the tests run with -race.
var raceBuild bool
