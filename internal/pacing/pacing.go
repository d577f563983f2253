// Package pacing keeps a client within request budgets of the form "at most N calls in any
// window of length D", shared by all goroutines of the client, and holds an operation back after
// the server has answered 429 until its Retry-After has passed.
//
// Each budget is a sliding-window log: the times of its last N calls. A call may go once the
// oldest of them is D old. Unlike a token bucket (golang.org/x/time/rate), which lets up to 2N
// calls through in one window after an idle spell, this never exceeds a budget in any window,
// so it also keeps within a server that counts in fixed windows, as Clerk's do.
//
// The server counts a call when it arrives, which is some time after the client sent it; a
// call counted from its sending could, when the next one travels faster, fall in the same
// server window as a call D later. So a call taken with Take is counted from its sending until
// its Ticket is done, and from then on from that later moment, by which the server certainly
// had it: calls made one after another then never exceed a budget as the server counts it.
package pacing

import (
	"context"
	"sync"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// Limiter paces calls by operation name. Its zero value is not usable; use New.
type Limiter struct {
	mu      sync.Mutex
	overall *window
	perOp   map[string]*window
	blocked map[string]time.Time // operation -> no call before this time (after a 429)
	seq     uint64               // the last call's id
}

// New returns a Limiter with an overall budget for every call and a budget per operation name.
// A Limiter without budgets still holds operations back after a 429 (see Block).
func New(overall rules.Budget, perOp map[string]rules.Budget) *Limiter {
	l := &Limiter{overall: newWindow(overall), perOp: map[string]*window{}, blocked: map[string]time.Time{}}
	for op, b := range perOp {
		l.perOp[op] = newWindow(b)
	}
	return l
}

// Take blocks until a call of op fits every budget and no block, counts it from now, and
// returns its Ticket; or ctx's error, counting nothing, when ctx ends first. Done on the
// Ticket, once the answer has come or the attempt has failed, moves the call's time in every
// budget to that moment.
func (l *Limiter) Take(ctx context.Context, op string) (Ticket, error) {
	id, err := l.wait(ctx, op, true)
	return Ticket{l: l, op: op, id: id}, err
}

// Ready blocks until a call of op would fit, like Take, but counts none: for a caller that must
// wait where it can still be interrupted, and then make the call through Take. It returns nil
// at once when the call would fit now, even when ctx has ended: with such a ctx it is a check.
func (l *Limiter) Ready(ctx context.Context, op string) error {
	_, err := l.wait(ctx, op, false)
	return err
}

// Ticket is a call counted by Take.
type Ticket struct {
	l  *Limiter
	op string
	id uint64
}

// Done records that the call has ended now. It does nothing for the zero Ticket, and for a
// call that has already left every budget's log.
func (t Ticket) Done() {
	if t.l == nil {
		return
	}
	l := t.l
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.overall.settle(t.id, now)
	if w := l.perOp[t.op]; w != nil {
		w.settle(t.id, now)
	}
}

func (l *Limiter) wait(ctx context.Context, op string, count bool) (uint64, error) {
	for {
		if err := ctx.Err(); err != nil && count {
			return 0, err // a call that will not be made is not counted
		}
		l.mu.Lock()
		now := time.Now()
		wait := l.blocked[op].Sub(now)
		wait = max(wait, l.overall.wait(now))
		if w := l.perOp[op]; w != nil {
			wait = max(wait, w.wait(now))
		}
		if wait <= 0 {
			var id uint64
			if count {
				l.seq++
				id = l.seq
				l.overall.add(now, id)
				if w := l.perOp[op]; w != nil {
					w.add(now, id)
				}
			}
			l.mu.Unlock()
			return id, nil
		}
		l.mu.Unlock()
		if err := Sleep(ctx, wait); err != nil {
			return 0, err
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

// window is the log of a budget's last calls: at most budget.Calls entries, each the time the
// call counts from. An entry's time only moves later (settle), so the log is kept unordered and
// the earliest entry found by a scan; budgets are small (Clerk's largest is 1,000 calls).
type window struct {
	budget  rules.Budget
	entries []entry
}

type entry struct {
	at time.Time
	id uint64
}

func newWindow(b rules.Budget) *window {
	if b.Calls <= 0 || b.Per <= 0 {
		return &window{}
	}
	return &window{budget: b, entries: make([]entry, 0, b.Calls)}
}

// earliest returns the index of the entry that leaves the window first.
func (w *window) earliest() int {
	k := 0
	for i := 1; i < len(w.entries); i++ {
		if w.entries[i].at.Before(w.entries[k].at) {
			k = i
		}
	}
	return k
}

// wait returns how long until one more call fits.
func (w *window) wait(now time.Time) time.Duration {
	if w.budget.Calls <= 0 || len(w.entries) < w.budget.Calls {
		return 0
	}
	return w.entries[w.earliest()].at.Add(w.budget.Per).Sub(now)
}

// add counts call id at now, in place of the entry that has left the window.
func (w *window) add(now time.Time, id uint64) {
	if w.budget.Calls <= 0 {
		return
	}
	if len(w.entries) < w.budget.Calls {
		w.entries = append(w.entries, entry{now, id})
		return
	}
	w.entries[w.earliest()] = entry{now, id}
}

// settle moves call id's time to now, if the call is still in the log.
func (w *window) settle(id uint64, now time.Time) {
	for i := range w.entries {
		if w.entries[i].id == id {
			w.entries[i].at = now
			return
		}
	}
}
