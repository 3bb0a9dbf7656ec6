package secret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestValueNeverPrints(t *testing.T) {
	const key = "sk-live-abcdef0123456789"
	v := Value(key)
	for _, got := range []string{fmt.Sprint(v), fmt.Sprintf("%v %s %#v %+v", v, v, v, struct{ K Value }{v})} {
		if strings.Contains(got, key) || !strings.Contains(got, Redacted) {
			t.Errorf("printed %q", got)
		}
	}
	j, _ := json.Marshal(map[string]Value{"k": v, "unset": ""})
	var back map[string]string
	if err := json.Unmarshal(j, &back); err != nil || back["k"] != Redacted || back["unset"] != "" {
		t.Errorf("JSON %s", j)
	}
	y, _ := yaml.Marshal(map[string]Value{"k": v, "unset": ""})
	if strings.Contains(string(y), key) || !strings.Contains(string(y), "k: <secret>") || !strings.Contains(string(y), `unset: ""`) {
		t.Errorf("YAML %s", y)
	}
}

func TestScrubHidesEveryFormOfADSNPassword(t *testing.T) {
	const pw = "p@ss/wörd x"
	dsn := (&url.URL{Scheme: "postgres", User: url.UserPassword("clari", pw), Host: "db.example:5432", Path: "/clari"}).String()
	var sc Scrubber
	sc.AddDSN(dsn)
	for _, leak := range []string{pw, url.QueryEscape(pw), url.PathEscape(pw), url.UserPassword("u", pw).String()[2:]} {
		if got := sc.Scrub("driver said: " + leak + " went wrong"); got != "driver said: "+Redacted+" went wrong" {
			t.Errorf("%q scrubbed to %q", leak, got)
		}
	}
	// The DSN goes as a whole: one Redacted, not its host around one.
	if got := sc.Scrub("cannot parse " + dsn); got != "cannot parse "+Redacted {
		t.Errorf("DSN scrubbed to %q", got)
	}
	// A key=value DSN's password is found by the same parser.
	var kv Scrubber
	kv.AddDSN("host=db user=clari password=Sh0rt")
	if got := kv.Scrub("auth failed for Sh0rt"); got != "auth failed for "+Redacted {
		t.Errorf("key=value DSN password scrubbed to %q", got)
	}
}

func TestMinLen(t *testing.T) {
	var sc Scrubber
	sc.Add("ab")                     // a test's tiny key: left alone
	sc.AddDSN("postgres://u:pw@h/d") // a DSN's password: hidden whatever its length
	if got := sc.Scrub("ab pw"); got != "ab "+Redacted {
		t.Errorf("got %q", got)
	}
	var none Scrubber
	none.Add("")
	none.AddDSN("")
	none.AddURL("http://host/")
	if got := none.Scrub("nothing to hide"); got != "nothing to hide" {
		t.Errorf("got %q", got)
	}
}

func TestYAMLTruncatedQuoteIsHidden(t *testing.T) {
	var sc Scrubber
	sc.Add("sk-live-abcdef0123456789")
	if got := sc.Scrub(`cannot unmarshal !!str "sk-live..." into int`); strings.Contains(got, "sk-live") {
		t.Errorf("got %q", got)
	}
}

func TestIncludeAndURL(t *testing.T) {
	var a, b Scrubber
	a.Add("first-secret")
	b.AddURL("http://admin:hunter2@prom:9090/")
	a.Include(&b)
	if got := a.Scrub("first-secret hunter2"); got != Redacted+" "+Redacted {
		t.Errorf("got %q", got)
	}
	if got := URL("http://admin:hunter2@prom:9090/api"); got != "http://admin:"+Redacted+"@prom:9090/api" {
		t.Errorf("URL = %q", got)
	}
	if got := URL("http://prom:9090/"); got != "http://prom:9090/" {
		t.Errorf("URL without password = %q", got)
	}
	if got := URL("http://a:b c@%zz"); got != "(unparseable URL)" {
		t.Errorf("unparseable URL = %q", got)
	}
}

var errSentinel = errors.New("already recorded")

func TestErrKeepsCleanErrorsAndHidesTheDriverError(t *testing.T) {
	var sc Scrubber
	sc.AddDSN("postgres://u:s3cret-pw@h/d")
	if err := sc.Err(nil); err != nil {
		t.Errorf("Err(nil) = %v", err)
	}
	if err := sc.Err(fmt.Errorf("x: %w", errSentinel)); !errors.Is(err, errSentinel) {
		t.Errorf("a clean error must keep its chain: %v", err)
	}
	driver := fmt.Errorf("connect with s3cret-pw: %w", context.DeadlineExceeded)
	err := sc.Err(driver)
	if strings.Contains(err.Error(), "s3cret-pw") || !strings.Contains(err.Error(), Redacted) {
		t.Errorf("not scrubbed: %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a timeout must stay recognisable: %v", err)
	}
	if errors.Is(err, driver) || errors.Unwrap(err) == driver {
		t.Error("the scrubbed error must not unwrap to the driver error, whose text holds the secret")
	}
	if e := sc.Error("warehouse: s3cret-pw", errors.New("x")); e.Unwrap() != nil || e.Error() != "warehouse: "+Redacted {
		t.Errorf("Error = %q, cause %v", e, e.Unwrap())
	}
}
