package clarisim

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// AddFault queues f (see Fault). Faults are consulted in the order added;
// the first one matching a request's endpoint and kind applies.
func (s *Sim) AddFault(f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addFaultLocked(f)
	return nil
}

func (s *Sim) addFaultLocked(f Fault) {
	if f.Count == 0 {
		f.Count = 1
	}
	s.faults = append(s.faults, &f)
}

// ClearFaults drops every queued fault (requests already hung stay hung
// until their context ends or Close).
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// PendingFaults returns the queued faults with their remaining counts.
func (s *Sim) PendingFaults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, *f)
	}
	return out
}

// takeFault consumes one use of the first fault of one of kinds that
// matches endpoint.
func (s *Sim) takeFault(endpoint string, kinds ...FaultKind) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Endpoint != "" && f.Endpoint != endpoint {
			continue
		}
		if isCreateFault(f.Kind) && endpoint != clari.EndpointCreateExport {
			continue
		}
		hit := false
		for _, k := range kinds {
			hit = hit || f.Kind == k
		}
		if !hit {
			continue
		}
		got := *f
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		s.stats.Faults[got.Kind]++
		return got, true
	}
	return Fault{}, false
}

// serveFault answers a 429 or a 5xx, hangs, or delays; for a reset it
// writes nothing (the caller drops the connection). It reports whether the
// request is still to be served normally (after a FaultSlow delay).
func (s *Sim) serveFault(w http.ResponseWriter, r *http.Request, f Fault) (serve bool) {
	switch f.Kind {
	case FaultSlow:
		d := f.Delay
		if d <= 0 {
			d = time.Second
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-r.Context().Done():
		case <-s.done:
		}
	case FaultTooManyRequests:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "API rate limit exceeded"})
	case FaultServerError:
		s.write5xx(w, f.Status)
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
	}
	return false
}

// errCut stops a body at the fault's byte budget.
var errCut = errors.New("clarisim: body cut by fault")

// cutWriter passes through n bytes, then fails with errCut.
type cutWriter struct {
	w io.Writer
	n int
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if c.n <= 0 {
		return 0, errCut
	}
	if len(b) > c.n {
		k, err := c.w.Write(b[:c.n])
		c.n -= k
		if err != nil {
			return k, err
		}
		return k, errCut
	}
	k, err := c.w.Write(b)
	c.n -= k
	return k, err
}

// writeBody streams a body through produce, applying a truncate or
// malformed fault for endpoint if one is queued. Headers must be set.
func (s *Sim) writeBody(w http.ResponseWriter, status int, endpoint string, csv bool, produce func(io.Writer) error) {
	f, faulted := s.takeFault(endpoint, FaultTruncate, FaultMalformed)
	if !faulted {
		w.WriteHeader(status)
		if err := produce(w); err != nil {
			// The header is gone; breaking the connection is the only
			// honest signal left.
			panic(http.ErrAbortHandler)
		}
		return
	}
	n := f.Bytes
	if n <= 0 {
		n = 512
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	cw := &cutWriter{w: w, n: n}
	err := produce(cw)
	if err != nil && !errors.Is(err, errCut) {
		panic(http.ErrAbortHandler)
	}
	if f.Kind == FaultTruncate {
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	garbage := `,,}<html>upstream reset` + "\n"
	if csv {
		garbage = `"unterminated,` + strconv.Quote("x") + "\n"
	}
	_, _ = io.WriteString(w, garbage)
}

// write5xx answers status (default 500) as Clari or its gateway would.
func (s *Sim) write5xx(w http.ResponseWriter, status int) {
	if status == 0 {
		status = http.StatusInternalServerError
	}
	switch status {
	case http.StatusBadGateway:
		writeJSON(w, status, map[string]string{"message": "An invalid response was received from the upstream server"})
	case http.StatusServiceUnavailable:
		writeJSON(w, status, map[string]string{"message": "name resolution failed"})
	case http.StatusGatewayTimeout:
		writeJSON(w, status, map[string]string{"message": "The upstream server is timing out"})
	default:
		s.writeError(w, status, "api", "internal_server_error", "Internal server error")
	}
}
