package main

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"gopkg.in/yaml.v3"
)

// adminHandler lets a running simulator be steered, e.g. to make alerts fire
// in the compose stack. Every route needs the same apikey header as the API.
//
//	GET    /-/stats      counters (clarisim.Stats) as JSON
//	GET    /-/jobs       jobs (clarisim.JobInfo) as JSON
//	PUT    /-/scenario   replace the scenario (YAML body, strict)
//	POST   /-/faults     queue one fault (YAML or JSON body, strict)
//	DELETE /-/faults     drop every queued fault
func adminHandler(sim *clarisim.Sim, apiKey string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /-/stats", func(w http.ResponseWriter, _ *http.Request) {
		writeAdminJSON(w, http.StatusOK, sim.Stats())
	})
	mux.HandleFunc("GET /-/jobs", func(w http.ResponseWriter, _ *http.Request) {
		writeAdminJSON(w, http.StatusOK, sim.Jobs())
	})
	mux.HandleFunc("PUT /-/scenario", func(w http.ResponseWriter, r *http.Request) {
		var sc clarisim.Scenario
		if err := decodeStrictYAML(r.Body, &sc); err != nil {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"message": "scenario: " + err.Error()})
			return
		}
		if err := sim.SetScenario(sc); err != nil {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
			return
		}
		writeAdminJSON(w, http.StatusOK, sim.Scenario())
	})
	mux.HandleFunc("POST /-/faults", func(w http.ResponseWriter, r *http.Request) {
		var f clarisim.Fault
		if err := decodeStrictYAML(r.Body, &f); err != nil {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"message": "fault: " + err.Error()})
			return
		}
		if err := sim.AddFault(f); err != nil {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
			return
		}
		writeAdminJSON(w, http.StatusOK, sim.PendingFaults())
	})
	mux.HandleFunc("DELETE /-/faults", func(w http.ResponseWriter, _ *http.Request) {
		sim.ClearFaults()
		writeAdminJSON(w, http.StatusOK, []clarisim.Fault{})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("apikey")
		if key == "" || subtle.ConstantTimeCompare([]byte(key), []byte(apiKey)) != 1 {
			writeAdminJSON(w, http.StatusUnauthorized, map[string]string{"message": "Invalid authentication credentials"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// decodeStrictYAML decodes one YAML (or JSON, a subset) document with
// unknown keys rejected.
func decodeStrictYAML(r io.Reader, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("empty body")
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w", err)
	}
	return nil
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
