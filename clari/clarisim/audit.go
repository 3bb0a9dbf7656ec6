package clarisim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// auditItem is one item of GET /audit/events as Clari sends it: event,
// actorId and eventTimestamp, nothing else.
type auditItem struct {
	Event          string          `json:"event"`
	ActorID        json.RawMessage `json:"actorId"` // a number, or a string with Scenario.StringIDs
	EventTimestamp int64           `json:"eventTimestamp"`
}

// auditActor is one member of a page's actors list: who the page's actorIds
// are. Clari's reference names the list, not its members' keys; these are
// the user's id (as the items send it), name and email.
type auditActor struct {
	ActorID json.RawMessage `json:"actorId"`
	Name    string          `json:"name"`
	Email   string          `json:"email"`
}

// auditEvent is an item and the user index of its actor.
type auditEvent struct {
	auditItem
	actor int
}

var auditKinds = [...]string{"USER_LOGIN", "FORECAST_SUBMITTED", "API_TOKEN_USED", "EXPORT_JOB_CREATED", "SETTINGS_CHANGED"}

// auditLog returns every event, newest first: one EXPORT_JOB_CREATED per
// own job that exists, then Scenario.AuditEvents background events spaced
// 37 minutes apart before the simulator started.
func (s *Sim) auditLog(now time.Time) []auditEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := max(0, s.sc.AuditEvents)
	evs := make([]auditEvent, 0, len(s.order)+n)
	for i := len(s.order) - 1; i >= 0; i-- {
		j := s.jobs[s.order[i]]
		if j.foreign || !j.shown(now) {
			continue
		}
		evs = append(evs, s.auditEventLocked("EXPORT_JOB_CREATED", 0, j.created))
	}
	for i := 0; i < n; i++ {
		h := mix(uint64(s.seed) ^ uint64(i)*0x9E3779B97F4A7C15)
		evs = append(evs, s.auditEventLocked(auditKinds[h%uint64(len(auditKinds))], int(h>>8)%s.tenant.Users, s.auditBase.Add(-time.Duration(i+1)*37*time.Minute)))
	}
	return evs
}

func (s *Sim) auditEventLocked(event string, user int, at time.Time) auditEvent {
	return auditEvent{auditItem: auditItem{Event: event, ActorID: s.actorIDLocked(user), EventTimestamp: at.UnixMilli()}, actor: user}
}

// actorIDLocked is user i's id as an audit page sends it.
func (s *Sim) actorIDLocked(i int) json.RawMessage {
	if s.sc.StringIDs {
		return json.RawMessage(strconv.Quote(UserID(i)))
	}
	return json.RawMessage(UserID(i))
}

// parseAuditDate reads a dateFrom/dateTo value: epoch milliseconds, RFC 3339
// or yyyy-mm-dd. A bare date as dateTo means the whole of that day.
func parseAuditDate(v string, end bool) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms), true
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		if end {
			t = t.Add(24*time.Hour - time.Millisecond)
		}
		return t, true
	}
	return time.Time{}, false
}

// auditEvents serves one page: ?limit=N (default Scenario.AuditPageSize, at
// most 1000), ?offset=K, and the dateFrom/dateTo filters (inclusive). The
// body is {"items":[...],"actors":[...]} plus an absolute nextLink (built
// from the request's Host, so it works behind httptest and proxies, and
// keeping the filters) until the last page.
func (s *Sim) auditEvents(w http.ResponseWriter, r *http.Request, rt route) {
	q := r.URL.Query()
	s.mu.Lock()
	limit := s.sc.AuditPageSize
	s.mu.Unlock()
	bad := func(msg string) { s.writeError(w, http.StatusBadRequest, "audit", "invalid_request", msg) }
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			bad("limit must be an integer between 1 and 1000")
			return
		}
		limit = n
	}
	offset := 0
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad("offset must be a non-negative integer")
			return
		}
		offset = n
	}
	var from, to time.Time
	for _, f := range []struct {
		name string
		end  bool
		into *time.Time
	}{{"dateFrom", false, &from}, {"dateTo", true, &to}} {
		if v := q.Get(f.name); v != "" {
			t, ok := parseAuditDate(v, f.end)
			if !ok {
				bad(f.name + " must be epoch milliseconds, an RFC 3339 time or yyyy-mm-dd")
				return
			}
			*f.into = t
		}
	}
	var evs []auditEvent
	for _, e := range s.auditLog(s.clock()) {
		at := time.UnixMilli(e.EventTimestamp)
		if (from.IsZero() || !at.Before(from)) && (to.IsZero() || !at.After(to)) {
			evs = append(evs, e)
		}
	}
	page := []auditEvent{}
	if offset < len(evs) {
		page = evs[offset:min(len(evs), offset+limit)]
	}
	items := make([]auditItem, 0, len(page))
	actors := []auditActor{}
	seen := map[int]bool{}
	for _, e := range page {
		items = append(items, e.auditItem)
		if !seen[e.actor] {
			seen[e.actor] = true
			u := s.tenant.makeUser(e.actor)
			actors = append(actors, auditActor{ActorID: e.ActorID, Name: u.name, Email: u.email})
		}
	}
	body := map[string]any{"items": items, "actors": actors}
	if offset+limit < len(evs) {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
			scheme = p
		}
		next := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset + limit)}}
		for _, k := range []string{"dateFrom", "dateTo"} {
			if v := q.Get(k); v != "" {
				next.Set(k, v)
			}
		}
		body["nextLink"] = (&url.URL{Scheme: scheme, Host: r.Host, Path: rt.prefix + "/audit/events", RawQuery: next.Encode()}).String()
	}
	writeJSON(w, http.StatusOK, body)
}
