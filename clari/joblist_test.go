package clari

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

func collectJobs(t *testing.T, doc string) ([]Job, error) {
	t.Helper()
	var got []Job
	err := DecodeJobList(strings.NewReader(doc), func(j *Job) error {
		got = append(got, *j)
		return nil
	})
	return got, err
}

func TestDecodeJobListMatchesDecoder(t *testing.T) {
	items := []string{
		`{"jobId":"606e23c981a6da229d75b515","status":"DONE","startTime":1617830857175,"endTime":1617830917000,"expiredTime":"1620422917000","title":"Forecast Export","fileName":"clari_export_forecast_new_summary_2021_Q12915_20210407_212737.json","fileType":"JSON","currency":{"code":"USD","symbol":"$"},"downloads":2,"userId":12345,"extra":{"a":[1,2,{"b":null}]}}`,
		`{"job":{"jobId":"606e23c981a6da229d75b516","status":"started","startTime":"2021-04-07T21:27:37Z"}}`,
		`{"id":7,"status":" failed ","endTime":null,"currency":"EUR"}`,
		`{"jobId":"a","status":"WEIRD","downloads":"3"}`,
	}
	for _, env := range []string{"[%s]", `{"other":[1],"jobs":[%s],"n":null}`} {
		doc := fmt.Sprintf(env, strings.Join(items, ",\n "))
		want, err := decodeJobList([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		got, err := collectJobs(t, doc)
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", env, got, want)
		}
	}
	got, _ := collectJobs(t, "["+items[0]+"]")
	if got[0].Downloads != 2 || got[0].Currency != "USD" || got[0].ExpiredTime != 1620422917000 {
		t.Fatalf("fields: %+v", got[0])
	}
}

func TestDecodeJobListEmptyForms(t *testing.T) {
	for _, doc := range []string{`[]`, ` [ ] `, `{}`, `{"jobs":[]}`, `{"jobs":null}`} {
		got, err := collectJobs(t, doc)
		if err != nil || len(got) != 0 {
			t.Errorf("%q: %v, %v", doc, got, err)
		}
	}
}

func TestDecodeJobListErrors(t *testing.T) {
	full := `[{"jobId":"a","status":"DONE"},{"jobId":"b","status":"DONE"}]`
	for i := 1; i < len(full); i++ {
		_, err := collectJobs(t, full[:i])
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("truncated at %d: %v, want a *DecodeError", i, err)
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("truncated at %d: %v does not unwrap to io.ErrUnexpectedEOF", i, err)
		}
	}
	for _, doc := range []string{`"x"`, `[1]`, `[{"jobId":}]`, `[] []`, `{"jobs":{}}`, `[{"startTime":"yesterday"}]`, `[{"startTime":1.5}]`} {
		if _, err := collectJobs(t, doc); err == nil {
			t.Errorf("%q: no error", doc)
		}
	}
	stop := errors.New("stop")
	n := 0
	err := DecodeJobList(strings.NewReader(full), func(*Job) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("visitor error: %v after %d jobs", err, n)
	}
	if err := DecodeJobList(nil, func(*Job) error { return nil }); err == nil {
		t.Fatal("nil reader accepted")
	}
}

// jobListDoc is a job list of n jobs shaped like the simulator's.
func jobListDoc(n int) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"jobId":"%08x%016x","status":"DONE","startTime":%d,"endTime":%d,"expiredTime":%d,"title":"Forecast Export","fileName":"clari_export_net_arr_2026_Q4%04d_20261001_101010.json","fileType":"JSON","currency":"USD","downloads":1,"forecastId":"net_arr","exportType":"FORECAST","createdBy":"u1","createdOn":%d,"userId":1}`,
			1700000000+i*60, i, 1700000000000+int64(i)*60000, 1700000060000+int64(i)*60000, 1702592060000+int64(i)*60000, i%10000, 1700000000000+int64(i)*60000)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// BenchmarkDecodeJobList100k is the decoding half of a watch poll of a
// 100,000-job history (the watch package benchmarks the whole poll).
func BenchmarkDecodeJobList100k(b *testing.B) {
	doc := jobListDoc(100_000)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := DecodeJobList(bytes.NewReader(doc), func(*Job) error { n++; return nil }); err != nil || n != 100_000 {
			b.Fatal(n, err)
		}
	}
}
