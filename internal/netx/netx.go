// Package netx holds small network checks that several packages make the
// same way.
package netx

import (
	"net"
	"strings"
)

// IsLoopbackHost reports whether host, a URL's Hostname() (no port, no IPv6
// brackets), names this machine: "localhost" in any case, or a loopback
// address (127.0.0.0/8, ::1, and IPv4-mapped 127.x). Other names are not
// resolved: DNS could point them anywhere.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
