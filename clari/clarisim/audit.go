package clarisim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// auditEvent is one item of GET /audit/events (clari.AuditEvent plus keys
// clients must ignore).
type auditEvent struct {
	EventID        string          `json:"eventId"`
	Event          string          `json:"event"`
	ActorID        json.RawMessage `json:"actorId"` // a number, or a string with Scenario.StringIDs
	EventTimestamp int64           `json:"eventTimestamp"`
	Details        map[string]any  `json:"details,omitempty"`
}

var auditKinds = [...]string{"USER_LOGIN", "FORECAST_SUBMITTED", "API_TOKEN_USED", "EXPORT_JOB_CREATED", "SETTINGS_CHANGED"}

// auditLog returns every event, newest first: one EXPORT_JOB_CREATED per
// own job, then Scenario.AuditEvents background events spaced 37 minutes
// apart before the simulator started.
func (s *Sim) auditLog() []auditEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := max(0, s.sc.AuditEvents)
	actor := func(id string) json.RawMessage {
		if s.sc.StringIDs {
			return json.RawMessage(strconv.Quote(id))
		}
		return json.RawMessage(id)
	}
	evs := make([]auditEvent, 0, len(s.order)+n)
	for i := len(s.order) - 1; i >= 0; i-- {
		j := s.jobs[s.order[i]]
		if j.foreign {
			continue
		}
		evs = append(evs, auditEvent{EventID: "ev-" + j.id, Event: "EXPORT_JOB_CREATED", ActorID: actor(UserID(0)), EventTimestamp: j.created.UnixMilli(),
			Details: map[string]any{"jobId": j.id, "forecastId": j.forecast}})
	}
	for i := 0; i < n; i++ {
		h := mix(uint64(s.seed) ^ uint64(i)*0x9E3779B97F4A7C15)
		evs = append(evs, auditEvent{
			EventID:        "ev-" + strconv.Itoa(i+1),
			Event:          auditKinds[h%uint64(len(auditKinds))],
			ActorID:        actor(UserID(int(h>>8) % s.tenant.Users)),
			EventTimestamp: s.auditBase.Add(-time.Duration(i+1) * 37 * time.Minute).UnixMilli(),
		})
	}
	return evs
}

// auditEvents serves one page: ?limit=N (default Scenario.AuditPageSize, at
// most 1000) and ?offset=K. The body carries an absolute nextLink (built
// from the request's Host, so it works behind httptest and proxies) until
// the last page.
func (s *Sim) auditEvents(w http.ResponseWriter, r *http.Request, rt route) {
	q := r.URL.Query()
	s.mu.Lock()
	limit := s.sc.AuditPageSize
	s.mu.Unlock()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.writeError(w, http.StatusBadRequest, "audit", "invalid_request", "limit must be an integer between 1 and 1000")
			return
		}
		limit = n
	}
	offset := 0
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.writeError(w, http.StatusBadRequest, "audit", "invalid_request", "offset must be a non-negative integer")
			return
		}
		offset = n
	}
	evs := s.auditLog()
	page := []auditEvent{}
	if offset < len(evs) {
		page = evs[offset:min(len(evs), offset+limit)]
	}
	body := map[string]any{"events": page, "total": len(evs)}
	if offset+limit < len(evs) {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
			scheme = p
		}
		next := url.URL{Scheme: scheme, Host: r.Host, Path: rt.prefix + "/audit/events",
			RawQuery: url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset + limit)}}.Encode()}
		body["nextLink"] = next.String()
	}
	writeJSON(w, http.StatusOK, body)
}
