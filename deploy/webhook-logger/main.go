// Command webhook-logger is the notification sink of the docker-compose demo
// stack: Alertmanager's webhook receivers post to it and it prints one JSON
// line per notification (receiver path, status, alert names and severities)
// to stdout, so `docker compose logs webhook-logger` shows what paged.
// GET /received returns the last notifications as a JSON array.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sync"
	"time"
)

// maxBody bounds one notification; Alertmanager's are a few KiB.
const maxBody = 1 << 20

// keep is how many notifications GET /received returns.
const keep = 1000

// notification is the part of Alertmanager's webhook payload (version 4)
// that is logged.
type notification struct {
	Receiver string `json:"receiver"`
	Status   string `json:"status"`
	Alerts   []struct {
		Status string            `json:"status"`
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
}

// entry is one logged notification.
type entry struct {
	Time     time.Time `json:"time"`
	Path     string    `json:"path"`
	Receiver string    `json:"receiver"`
	Status   string    `json:"status"`
	Alerts   []string  `json:"alerts"` // "<alertname> <severity> <status>"
}

type logger struct {
	out io.Writer
	now func() time.Time

	mu       sync.Mutex
	received []entry
}

func (l *logger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/received" {
		l.mu.Lock()
		defer l.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(append([]entry{}, l.received...))
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST an Alertmanager webhook notification, or GET /received", http.StatusMethodNotAllowed)
		return
	}
	var n notification
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&n); err != nil {
		http.Error(w, "body is not an Alertmanager webhook notification: "+err.Error(), http.StatusBadRequest)
		return
	}
	e := entry{Time: l.now().UTC(), Path: r.URL.Path, Receiver: n.Receiver, Status: n.Status, Alerts: []string{}}
	for _, a := range n.Alerts {
		e.Alerts = append(e.Alerts, fmt.Sprintf("%s %s %s", a.Labels["alertname"], a.Labels["severity"], a.Status))
	}
	line, _ := json.Marshal(e)

	l.mu.Lock()
	defer l.mu.Unlock()
	l.received = append(l.received, e)
	if len(l.received) > keep {
		l.received = l.received[len(l.received)-keep:]
	}
	fmt.Fprintf(l.out, "%s\n", line)
	w.WriteHeader(http.StatusOK)
}

func main() {
	listen := flag.String("listen", ":5001", "address to listen on")
	flag.Parse()
	l := &logger{out: os.Stdout, now: time.Now}
	srv := &http.Server{Addr: *listen, Handler: l, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("webhook-logger listening on %s", *listen)
	log.Fatal(srv.ListenAndServe())
}
