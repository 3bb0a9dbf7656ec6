package clari

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// maxAuditPages stops a server that keeps handing out new nextLinks.
const maxAuditPages = 10000

// auditPage is one page of GET /audit/events. The item list's member name is
// not documented; the common ones are accepted, and a bare array is a last
// page.
type auditPage struct {
	Events   []AuditEvent `json:"events"`
	Items    []AuditEvent `json:"items"`
	Data     []AuditEvent `json:"data"`
	NextLink string       `json:"nextLink"`
}

// AuditEvents calls fn for every audit event, page by page (limit is the
// page size; <= 0 leaves it to Clari). It follows each page's absolute
// nextLink until a page has none, but only to the base URL's scheme and
// host: the API key is never sent anywhere else (ErrUnsafeNextLink). An
// error from fn stops the walk and is returned as is.
func (c *Client) AuditEvents(ctx context.Context, limit int, fn func(AuditEvent) error) error {
	const ep = EndpointAuditEvents
	r := &request{endpoint: ep, method: http.MethodGet, path: "/audit/events"}
	if limit > 0 {
		r.query = url.Values{"limit": {strconv.Itoa(limit)}}
	}
	seen := map[string]bool{c.url(r): true}
	for page := 1; ; page++ {
		if page > maxAuditPages {
			return fmt.Errorf("clari: %s: more than %d pages; stopping (is the server repeating nextLinks?)", ep, maxAuditPages)
		}
		var p auditPage
		var bare bool
		err := c.callJSON(ctx, r, func(status int, b []byte) error {
			t := bytes.TrimSpace(b)
			if len(t) > 0 && t[0] == '[' {
				bare = true
				if err := json.Unmarshal(t, &p.Events); err != nil {
					return malformed(ep, status, "%s", jsonErrText(err))
				}
				return nil
			}
			if err := json.Unmarshal(t, &p); err != nil {
				return malformed(ep, status, "%s", jsonErrText(err))
			}
			return nil
		})
		if err != nil {
			return err
		}
		events := p.Events
		if len(events) == 0 {
			events = p.Items
		}
		if len(events) == 0 {
			events = p.Data
		}
		for _, e := range events {
			if err := fn(e); err != nil {
				return err
			}
		}
		if bare || p.NextLink == "" {
			return nil
		}
		next, err := c.nextLink(r, p.NextLink)
		if err != nil {
			return err
		}
		key := next.String()
		if seen[key] {
			return fmt.Errorf("clari: %s: page %d repeats an earlier nextLink; stopping", ep, page)
		}
		seen[key] = true
		r = &request{endpoint: ep, method: http.MethodGet, abs: next}
	}
}

// nextLink resolves link against the current page's URL and checks that it
// stays on the base URL's scheme and host.
func (c *Client) nextLink(cur *request, link string) (*url.URL, error) {
	u, err := url.Parse(link)
	if err != nil {
		return nil, fmt.Errorf("clari: %s: nextLink is not a valid URL", EndpointAuditEvents)
	}
	base, err := url.Parse(c.url(cur))
	if err != nil {
		return nil, err
	}
	u = base.ResolveReference(u)
	if !c.sameOrigin(u) || u.User != nil {
		return nil, ErrUnsafeNextLink
	}
	return u, nil
}
