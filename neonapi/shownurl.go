package neonapi

// shownURL is the address of path under the base URL as an error may show
// it: no query (a search term is the user's business), no user info (a
// password in NEON_API_HOST), redacted, control characters removed, cut.
func (c *Client) shownURL(path string) string {
	u := *c.base
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	u.Path = c.base.Path + path
	u.RawPath = ""
	return cleanText(c.redactor, u.String(), maxURLLen)
}
