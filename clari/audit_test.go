package clari

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestAuditRefusesNextLinkToAnotherHost(t *testing.T) {
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		io.WriteString(w, `{"events":[]}`)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"events":[{"event":"A","actorId":"1","eventTimestamp":1}],"nextLink":%q}`, other.URL+"/audit/events?offset=1")
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, nil)
	n := 0
	err := c.AuditEvents(context.Background(), 1, func(AuditEvent) error { n++; return nil })
	if !errors.Is(err, ErrUnsafeNextLink) {
		t.Fatalf("got %v, want ErrUnsafeNextLink", err)
	}
	if n != 1 || otherHits.Load() != 0 {
		t.Errorf("events %d, requests to the other host %d", n, otherHits.Load())
	}
}

func TestAuditFollowsRelativeLinksAndStopsOnRepeats(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Query().Get("page") {
		case "":
			if r.URL.Query().Get("limit") != "2" {
				t.Errorf("limit not sent: %s", r.URL.RawQuery)
			}
			io.WriteString(w, `{"items":[{"event":"A"},{"event":"B"}],"nextLink":"events?page=2"}`)
		case "2":
			io.WriteString(w, `{"data":[{"event":"C"}],"nextLink":"/v4/audit/events?page=3"}`)
		default:
			// A server stuck on its last page.
			io.WriteString(w, `{"events":[{"event":"D"}],"nextLink":"/v4/audit/events?page=3"}`)
		}
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL+"/v4", nil)
	var got []string
	err := c.AuditEvents(context.Background(), 2, func(e AuditEvent) error { got = append(got, e.Event); return nil })
	if err == nil || hits.Load() != 3 {
		t.Fatalf("err %v after %d pages; want the self-link of page 3 detected", err, hits.Load())
	}
	if fmt.Sprint(got) != "[A B C D]" {
		t.Errorf("events %v", got)
	}
}

// TestAuditActorIDStringOrNumber: Clari sends actorId as either; a number
// must not fail the whole page.
func TestAuditActorIDStringOrNumber(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"events":[{"event":"A","actorId":280627,"eventTimestamp":1},{"event":"B","actorId":"u-1","eventTimestamp":"2"},{"event":"C","actorId":null}]}`)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, nil)
	var got []AuditEvent
	if err := c.AuditEvents(context.Background(), 10, func(e AuditEvent) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []AuditEvent{{Event: "A", ActorID: "280627", EventTimestamp: 1}, {Event: "B", ActorID: "u-1", EventTimestamp: 2}, {Event: "C"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
