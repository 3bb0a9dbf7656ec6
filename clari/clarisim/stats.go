package clarisim

import "maps"

// Stats counts what the simulator saw, for tests to assert on.
type Stats struct {
	// Requests counts requests per endpoint (clari.Endpoint* names, and
	// "unknown" for unmatched routes), faulted and unauthorised ones too.
	Requests map[string]int `json:"requests"`
	// Responses counts answers per status code; 0 counts requests that got
	// no answer (hung until cancelled, aborted by FaultTruncate).
	Responses map[int]int `json:"responses"`
	// Unauthorized counts 401s for a missing or wrong key.
	Unauthorized int `json:"unauthorized"`
	// CreateCalls counts authorised POST /export/forecast/{id} that got
	// past fault injection (whatever their outcome).
	CreateCalls int `json:"create_calls"`
	// JobsCreated counts jobs created (they cost quota), counted when the
	// create is handled, also for a job a create fault's Delay makes later.
	JobsCreated int `json:"jobs_created"`
	// Cancels counts jobs cancelled by PATCH.
	Cancels int `json:"cancels"`
	// ResultsServed counts result documents whose streaming started.
	ResultsServed int `json:"results_served"`
	// Faults counts injected faults per kind.
	Faults map[FaultKind]int `json:"faults"`
}

func newStats() Stats {
	return Stats{Requests: map[string]int{}, Responses: map[int]int{}, Faults: map[FaultKind]int{}}
}

// Stats returns a copy of the counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stats
	c.Requests = maps.Clone(s.stats.Requests)
	c.Responses = maps.Clone(s.stats.Responses)
	c.Faults = maps.Clone(s.stats.Faults)
	return c
}

// ResetStats zeroes the counters (jobs and quota usage stay).
func (s *Sim) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = newStats()
}
