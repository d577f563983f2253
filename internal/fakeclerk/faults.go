package fakeclerk

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/httpbuf"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// Fault is what the server does instead of (or around) answering a call normally.
type Fault struct {
	// Delay holds the answer back this long (or until the client gives up).
	Delay time.Duration
	// Commit carries the call out before the fault applies: the invitation is created, revoked or
	// deleted, and only the answer is lost or replaced. Without it a fault that answers (Status,
	// Drop, Truncate) stands in for the call, which is not carried out.
	Commit bool
	// Status, when not 0, is sent instead of the real answer, with Header and Body.
	Status int
	Header http.Header
	Body   string
	// Drop closes the connection without answering (after Delay).
	Drop bool
	// Truncate sends the answer's status, headers and first half of its body (the real answer with
	// Commit, else Status and Body), then breaks the connection.
	Truncate bool
}

// InjectFault makes the next n calls to op meet f, after any faults injected before.
// A fault with only a Delay lets the call proceed normally afterwards.
func (s *Server) InjectFault(op Operation, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[op] = append(s.faults[op], f)
	}
}

func (s *Server) nextFault(op Operation) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[op]
	if len(q) == 0 {
		return Fault{}, false
	}
	s.faults[op] = q[1:]
	return q[0], true
}

// applyFault carries out f around next and reports whether it answered (or dropped) the request;
// false means next is to answer normally.
func applyFault(w http.ResponseWriter, r *http.Request, f Fault, next http.Handler) (handled bool) {
	if f.Delay > 0 {
		// Read the request first: the server notices a client that hangs up only once the body
		// is read, and a client that gives up must stop the delayed call.
		if body, err := io.ReadAll(io.LimitReader(r.Body, DefaultMaxBodyBytes+1)); err == nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	// The answer to send: the fault's own, or with Commit the real one unless the fault
	// replaces it.
	answer := &httpbuf.Answer{Headers: f.Header.Clone(), Status: f.Status}
	answer.Body.WriteString(f.Body)
	switch {
	case f.Commit:
		actual := &httpbuf.Answer{}
		next.ServeHTTP(actual, r)
		if actual.Status == 0 {
			actual.Status = http.StatusOK
		}
		if f.Status == 0 {
			answer = actual
		}
	case f.Status == 0 && !f.Drop && !f.Truncate:
		return false
	}
	if f.Drop {
		breakConnection(w)
		return true
	}
	for k, v := range answer.Header() {
		w.Header()[k] = v
	}
	if answer.Header().Get("Clerk-Trace-Id") == "" {
		w.Header().Set("Clerk-Trace-Id", traceID())
	}
	body := answer.Body.Bytes()
	if f.Truncate {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(answer.Status)
		_, _ = w.Write(body[:len(body)/2])
		_ = http.NewResponseController(w).Flush()
		breakConnection(w)
		return true
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(answer.Status)
	_, _ = w.Write(body)
	return true
}

// breakConnection closes the connection under w without a (complete) answer.
func breakConnection(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	// No hijacking possible (HTTP/2, or a buffer in a test): abort, which resets the stream.
	panic(http.ErrAbortHandler)
}

type window struct {
	start time.Time
	count int
}

// limiter keeps Clerk's budgets as Clerk counts them: per fixed window, starting with the first
// call after the last window ended. A budget without a positive count and window is no limit.
type limiter struct {
	budgets rules.Budgets
	windows map[string]*window
}

// take spends one call of op at now; when a budget is exhausted it returns how long until
// its window ends.
func (l *limiter) take(op Operation, now time.Time) (wait time.Duration, ok bool) {
	budgets := map[string]rules.Budget{"overall": l.budgets.Overall}
	if b, ok := l.budgets.PerOperation()[string(op)]; ok {
		budgets[string(op)] = b
	}
	// Check every budget before spending any, so a refused call costs nothing.
	for key, b := range budgets {
		if b.Calls <= 0 || b.Per <= 0 {
			delete(budgets, key)
			continue
		}
		w := l.windows[key]
		if w == nil || !now.Before(w.start.Add(b.Per)) {
			w = &window{start: now}
			l.windows[key] = w
		}
		if w.count >= b.Calls {
			return w.start.Add(b.Per).Sub(now), false
		}
	}
	for key := range budgets {
		l.windows[key].count++
	}
	return 0, true
}

func (s *Server) rateLimited(op Operation) *apiError {
	// SetRateLimits may replace or remove the limiter at any time: it is read under the lock,
	// for reading only when there is none, so that lists still run side by side.
	s.mu.RLock()
	on := s.limits != nil
	s.mu.RUnlock()
	if !on {
		return nil
	}
	s.mu.Lock()
	wait, ok := time.Duration(0), true
	if s.limits != nil {
		wait, ok = s.limits.take(op, s.nowLocked())
	}
	s.mu.Unlock()
	if ok {
		return nil
	}
	secs := int((wait + time.Second - 1) / time.Second)
	e := newError(http.StatusTooManyRequests, "too_many_requests", "Too many requests",
		"Too many requests, retry later.")
	e.retryAfter = max(secs, 1)
	return e
}
