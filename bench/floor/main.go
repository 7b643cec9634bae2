// Command floor is the speed floor of the CLI benchmark: a Go process that
// does the one HTTP GET `neonkeys list` does (GET $NEON_API_HOST/api_keys
// with the bearer key), copies the body to stdout and exits.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	req, err := http.NewRequest(http.MethodGet, strings.TrimRight(os.Getenv("NEON_API_HOST"), "/")+"/api_keys", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	req.Header.Set("Authorization", "Bearer "+os.Getenv("NEON_API_KEY"))
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(os.Stdout, resp.Body); err != nil || resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "floor: status", resp.StatusCode, err)
		os.Exit(1)
	}
}
