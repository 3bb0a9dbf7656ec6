package secret

import "net/url"

// URL is raw for display: its userinfo password, when it has one, shown as
// Redacted; the user name and host stay, so the reader knows which server
// and account is meant.
func URL(raw string) string {
	if _, err := url.Parse(raw); err != nil {
		// The parser's error quotes raw; name nothing rather than guess
		// where a password would have been.
		return "(unparseable URL)"
	}
	var sc Scrubber
	sc.AddURL(raw)
	return sc.Scrub(raw)
}
