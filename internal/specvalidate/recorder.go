package specvalidate

import (
	"net/http"
	"sync"
	"testing"
)

// Recorder collects findings; its Report method is a Transport's or Middleware's callback.
// It is safe for concurrent use.
type Recorder struct {
	mu       sync.Mutex
	findings []Finding
}

// Report records f.
func (r *Recorder) Report(f Finding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.findings = append(r.findings, f)
}

// Take returns the findings recorded so far and forgets them.
func (r *Recorder) Take() []Finding {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.findings
	r.findings = nil
	return out
}

// TestTransport returns an http.RoundTripper that checks all traffic to baseURL in Strict mode
// and a Recorder of its findings. Unless the test takes them with Recorder.Take, any finding
// left at the end of the test fails it.
func TestTransport(t testing.TB, baseURL string, next http.RoundTripper) (http.RoundTripper, *Recorder) {
	t.Helper()
	v, err := New(baseURL, Strict)
	if err != nil {
		t.Fatalf("specvalidate: %v", err)
	}
	rec := &Recorder{}
	t.Cleanup(func() {
		for _, f := range rec.Take() {
			t.Errorf("openapi.yaml: %s", f)
		}
	})
	return &Transport{Validator: v, Next: next, Report: rec.Report}, rec
}
