// Package pacing keeps a client within request budgets of the form "at most N calls in any
// window of length D", shared by all goroutines of the client, and holds an operation back after
// the server has answered 429 until its Retry-After has passed.
//
// Each budget is a sliding-window log: the times of its last N calls. A call may go once the
// oldest of them is D old. Unlike a token bucket (golang.org/x/time/rate), which lets up to 2N
// calls through in one window after an idle spell, this never exceeds a budget in any window,
// so it also keeps within a server that counts in fixed windows, as Clerk's do.
package pacing

import (
	"context"
	"sync"
	"time"
)

// Budget allows Calls calls in any window of length Per. A zero Budget allows everything.
type Budget struct {
	Calls int
	Per   time.Duration
}

// Limiter paces calls by operation name. Its zero value is not usable; use New.
type Limiter struct {
	mu      sync.Mutex
	overall *window
	perOp   map[string]*window
	blocked map[string]time.Time // operation -> no call before this time (after a 429)

	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// New returns a Limiter with an overall budget for every call and a budget per operation name.
// A Limiter without budgets still holds operations back after a 429 (see Block).
func New(overall Budget, perOp map[string]Budget) *Limiter {
	l := &Limiter{overall: newWindow(overall), perOp: map[string]*window{}, blocked: map[string]time.Time{}, now: time.Now, sleep: Sleep}
	for op, b := range perOp {
		l.perOp[op] = newWindow(b)
	}
	return l
}

// WithClock replaces the clock and the sleep of l, for tests; it returns l.
func (l *Limiter) WithClock(now func() time.Time, sleep func(context.Context, time.Duration) error) *Limiter {
	l.now, l.sleep = now, sleep
	return l
}

// Wait blocks until a call of op fits every budget and no block, then counts it. It returns
// ctx's error, without counting the call, when ctx ends first.
func (l *Limiter) Wait(ctx context.Context, op string) error { return l.wait(ctx, op, true) }

// Ready blocks until a call of op would fit, like Wait, but does not count one: for a caller
// that must wait where it can still be interrupted, and then make the call through Wait.
func (l *Limiter) Ready(ctx context.Context, op string) error { return l.wait(ctx, op, false) }

func (l *Limiter) wait(ctx context.Context, op string, count bool) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		l.mu.Lock()
		now := l.now()
		wait := l.blocked[op].Sub(now)
		wait = max(wait, l.overall.wait(now))
		if w := l.perOp[op]; w != nil {
			wait = max(wait, w.wait(now))
		}
		if wait <= 0 {
			if count {
				l.overall.add(now)
				if w := l.perOp[op]; w != nil {
					w.add(now)
				}
			}
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		if err := l.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Block holds calls of op back until until, as the server asked with Retry-After.
func (l *Limiter) Block(op string, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until.After(l.blocked[op]) {
		l.blocked[op] = until
	}
}

// Sleep waits d or until ctx ends, whichever is first, and returns ctx's error in the latter case.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// window is the log of a budget's last calls, in a ring.
type window struct {
	budget Budget
	times  []time.Time
	next   int // index of the oldest entry once the ring is full
}

func newWindow(b Budget) *window {
	if b.Calls <= 0 || b.Per <= 0 {
		return &window{}
	}
	return &window{budget: b, times: make([]time.Time, 0, b.Calls)}
}

// wait returns how long until one more call fits.
func (w *window) wait(now time.Time) time.Duration {
	if w.budget.Calls <= 0 || len(w.times) < w.budget.Calls {
		return 0
	}
	return w.times[w.next].Add(w.budget.Per).Sub(now)
}

func (w *window) add(now time.Time) {
	if w.budget.Calls <= 0 {
		return
	}
	if len(w.times) < w.budget.Calls {
		w.times = append(w.times, now)
		return
	}
	w.times[w.next] = now
	w.next = (w.next + 1) % len(w.times)
}
