package specvalidate

import "sync"

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
