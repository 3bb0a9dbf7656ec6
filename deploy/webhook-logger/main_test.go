package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const payload = `{"version":"4","receiver":"pager","status":"firing","alerts":[
 {"status":"firing","labels":{"alertname":"ClariExportFailed","severity":"critical","forecast":"net_arr"}},
 {"status":"resolved","labels":{"alertname":"ClariExportEmpty","severity":"critical"}}]}`

func newLogger(out *bytes.Buffer) *logger {
	return &logger{out: out, now: func() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) }}
}

func TestLogsNotificationAndListsIt(t *testing.T) {
	var out bytes.Buffer
	l := newLogger(&out)

	rec := httptest.NewRecorder()
	l.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/pager", strings.NewReader(payload)))
	if rec.Code != http.StatusOK {
		t.Fatalf("POST status %d: %s", rec.Code, rec.Body)
	}
	want := `{"time":"2026-11-27T00:00:00Z","path":"/pager","receiver":"pager","status":"firing","alerts":["ClariExportFailed critical firing","ClariExportEmpty critical resolved"]}` + "\n"
	if out.String() != want {
		t.Errorf("logged %q, want %q", out.String(), want)
	}

	rec = httptest.NewRecorder()
	l.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/received", nil))
	var got []entry
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("GET /received: %v: %s", err, rec.Body)
	}
	if len(got) != 1 || got[0].Receiver != "pager" || len(got[0].Alerts) != 2 {
		t.Errorf("GET /received = %+v", got)
	}
}

func TestRejectsBadRequests(t *testing.T) {
	var out bytes.Buffer
	l := newLogger(&out)
	for _, tc := range []struct {
		method, body string
		want         int
	}{
		{http.MethodPost, "not json", http.StatusBadRequest},
		{http.MethodPut, payload, http.StatusMethodNotAllowed},
	} {
		rec := httptest.NewRecorder()
		l.ServeHTTP(rec, httptest.NewRequest(tc.method, "/pager", strings.NewReader(tc.body)))
		if rec.Code != tc.want {
			t.Errorf("%s %q: status %d, want %d", tc.method, tc.body, rec.Code, tc.want)
		}
	}
	if out.Len() != 0 {
		t.Errorf("bad requests were logged: %q", out.String())
	}
}

func TestKeepsOnlyTheLastNotifications(t *testing.T) {
	var out bytes.Buffer
	l := newLogger(&out)
	for i := 0; i < keep+5; i++ {
		l.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/default", strings.NewReader(payload)))
	}
	if len(l.received) != keep {
		t.Errorf("kept %d notifications, want %d", len(l.received), keep)
	}
}
