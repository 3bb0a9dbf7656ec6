package clari_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// TestBaseURLWithoutV4Says404Why: a base_url without /v4 reaches Clari's
// gateway, which answers every path with a bare 404 ("no Route matched");
// the error names base_url, the missing /v4 and the production URL. With
// /v4 present an unknown route still points at base_url.
func TestBaseURLWithoutV4Says404Why(t *testing.T) {
	sim := clarisim.New(clarisim.Options{APIKey: simKey, RequireV4: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	root, url := srv.URL, srv.URL+"/v4"
	good, err := clari.New(clientOptions(url, &clari.Recorder{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := good.Limits(ctx(t)); err != nil {
		t.Fatalf("base %s: %v", url, err)
	}
	for _, tc := range []struct {
		base string
		want []string
	}{
		{root, []string{"HTTP 404", "clari.base_url " + root + " lacks the /v4 path", clari.ProductionBaseURL}},
		{root + "/v1", []string{"HTTP 404", "clari.base_url " + root + "/v1 lacks the /v4 path"}},
		{url + "/v4", []string{"HTTP 404", "Clari has no such route under clari.base_url " + url + "/v4"}},
	} {
		c, err := clari.New(clientOptions(tc.base, &clari.Recorder{}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Limits(ctx(t))
		if err == nil {
			t.Fatalf("base %s: Limits succeeded", tc.base)
		}
		if !clari.IsNotFound(err) {
			t.Errorf("base %s: %v is not a 404", tc.base, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("base %s: error %q lacks %q", tc.base, err, w)
			}
		}
	}
}
