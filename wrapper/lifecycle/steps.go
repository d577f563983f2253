package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// steps is the engine every run shares: it makes one call at a time once the client's pacing
// lets it go, lets a call under way finish when the run's context ends, waits out 429s, stops
// after repeated failures or a refused key, and invites in the calls the budgets allow soonest.
type steps struct {
	c        *invitations.Client
	finish   time.Duration  // how long a call under way may go on once the context has ended
	activity func(Activity) // told of every call's start and end; may be nil
	entries  []Entry
	// onCreate settles entry i after a create (Created, AlreadyInvited, AlreadyUser, Invalid or
	// Failed); the run decides what that means for its entries.
	onCreate func(i int, result Result, id string, err error)
	// settled is told which entries a step settled; false stops the run.
	settled  func(idx []int) bool
	params   func(i int) invitations.CreateParams
	failures int // calls failed in a row
	calls    int
}

// maxFailuresInARow stops a run whose calls keep failing (Clerk or the network is down): its
// report then says what is left, for a resumed run.
const maxFailuresInARow = 5

// errStopped ends a run whose caller stopped asking for entries.
var errStopped = errors.New("lifecycle: the caller stopped the run")

// ended is a context that has ended: Client.Ready with it checks without waiting.
var ended = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

func (s *steps) settle(i int, result Result, err error) {
	e := &s.entries[i]
	e.Result, e.Err, e.Error = result, err, ""
	if err != nil {
		e.Error = err.Error()
	}
}

func (s *steps) report(a Activity) {
	if s.activity != nil {
		s.activity(a)
	}
}

// notMade is the error of a call that was never made: the context ended first.
type notMade struct{ error }

// call makes one call of op (what says which) as soon as the pacing lets it go, or returns a
// notMade when ctx ends first. Once under way, the call goes on when ctx ends, for s.finish at
// most, so that its outcome is known.
func (s *steps) call(ctx context.Context, op invitations.Operation, what string, do func(context.Context) error) error {
	if err := s.c.Ready(ctx, op); err != nil {
		return notMade{err}
	}
	if err := ctx.Err(); err != nil {
		return notMade{err}
	}
	callCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(s.finish, cancel)
		context.AfterFunc(callCtx, func() { t.Stop() })
	})
	defer stop()
	s.calls++
	s.report(Activity{Operation: op, What: what, Since: time.Now(), AtMost: s.finish})
	defer s.report(Activity{})
	return do(callCtx)
}

// outcome sorts a call's error: nil when the run goes on (the failure, if any, counted), the
// error to end it with otherwise. retry says a 429 was waited out and the call is to be made
// again.
func (s *steps) outcome(ctx context.Context, err error) (retry bool, stop error) {
	var apiErr *invitations.APIError
	switch {
	case err == nil:
		s.failures = 0
	case errors.Is(err, invitations.ErrRateLimited):
		wait := time.Second
		if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
			wait = apiErr.RetryAfter
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-t.C:
			return true, nil
		}
	case errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden):
		return false, err // no further call can succeed
	case ctx.Err() != nil:
		return false, ctx.Err()
	case errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusBadRequest || apiErr.StatusCode == http.StatusUnprocessableEntity):
		s.failures = 0 // refused for what it holds: an answer, not a failure
	default:
		if s.failures++; s.failures >= maxFailuresInARow {
			return false, fmt.Errorf("lifecycle: stopped after %d failed calls in a row: %w", s.failures, err)
		}
	}
	return false, nil
}

// done tells the caller what a step settled; errStopped when it wants no more.
func (s *steps) done(idx ...int) error {
	if len(idx) > 0 && s.settled != nil && !s.settled(idx) {
		return errStopped
	}
	return nil
}

// createAll invites the queued entries in the calls the budgets allow soonest: a bulk create of
// up to ten while the bulk budget lets one go, a single create while the create budget does.
// before, when not nil, runs on each batch first and returns what of it is still to create.
func (s *steps) createAll(ctx context.Context, queue []int, before func(context.Context, []int) ([]int, error)) error {
	for len(queue) > 0 {
		op, err := s.nextCreate(ctx)
		if err != nil {
			return err
		}
		n := 1
		if op == invitations.OpBulkCreate {
			n = min(invitations.MaxBulkItems, len(queue))
		}
		batch := queue[:n]
		queue = queue[n:]
		if before != nil {
			if batch, err = before(ctx, batch); err != nil {
				return err
			}
		}
		if len(batch) == 0 {
			continue
		}
		if op == invitations.OpBulkCreate {
			err = s.bulk(ctx, batch)
		} else {
			err = s.single(ctx, batch[0])
		}
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// nextCreate waits until a bulk create or a single create may go, and says which: the bulk
// create when both may.
func (s *steps) nextCreate(ctx context.Context) (invitations.Operation, error) {
	ops := []invitations.Operation{invitations.OpBulkCreate, invitations.OpCreate}
	for _, op := range ops {
		if s.c.Ready(ended, op) == nil {
			return op, ctx.Err()
		}
	}
	waitCtx, cancel := context.WithCancel(ctx)
	free := make(chan invitations.Operation, len(ops))
	var wg sync.WaitGroup
	for _, op := range ops {
		wg.Go(func() {
			if s.c.Ready(waitCtx, op) == nil {
				free <- op
			}
		})
	}
	var op invitations.Operation
	select {
	case op = <-free:
	case <-ctx.Done():
	}
	cancel()
	wg.Wait()
	if s.c.Ready(ended, invitations.OpBulkCreate) == nil {
		op = invitations.OpBulkCreate
	}
	return op, ctx.Err()
}

// bulk creates a batch, and what a refusal leaves of it, until every entry has an outcome.
func (s *steps) bulk(ctx context.Context, batch []int) error {
	for len(batch) > 0 {
		items := make([]invitations.CreateParams, len(batch))
		for j, i := range batch {
			items[j] = s.params(i)
		}
		var got []invitations.Invitation
		err := s.call(ctx, invitations.OpBulkCreate, fmt.Sprintf("bulk create of %d", len(items)), func(ctx context.Context) (err error) {
			got, err = s.c.BulkCreate(ctx, items)
			return err
		})
		if nm, ok := err.(notMade); ok {
			return nm.error
		}
		var apiErr *invitations.APIError
		dups := map[string]bool{}
		if errors.Is(err, invitations.ErrDuplicate) && errors.As(err, &apiErr) {
			dups = duplicates(apiErr)
		}
		switch retry, stop := s.outcome(ctx, err); {
		case err == nil:
			for j, i := range batch {
				s.onCreate(i, Created, got[j].ID, nil)
			}
			return s.done(batch...)
		case retry:
			continue
		case stop != nil:
			for _, i := range batch {
				s.onCreate(i, Failed, "", err)
			}
			return errors.Join(stop, s.done(batch...))
		case len(dups) > 0:
			// Set the invited addresses aside and send the rest again.
			var invited, rest []int
			for _, i := range batch {
				if dups[strings.ToLower(s.params(i).EmailAddress)] {
					s.onCreate(i, AlreadyInvited, "", nil)
					invited = append(invited, i)
				} else {
					rest = append(rest, i)
				}
			}
			if len(invited) == 0 {
				return s.singles(ctx, rest) // the answer named none of ours: one by one
			}
			if err := s.done(invited...); err != nil {
				return err
			}
			batch = rest
		case errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusBadRequest || apiErr.StatusCode == http.StatusUnprocessableEntity):
			// Refused for what it holds: single creates say which item is at fault.
			return s.singles(ctx, batch)
		default:
			for _, i := range batch {
				s.onCreate(i, Failed, "", err)
			}
			return s.done(batch...)
		}
	}
	return nil
}

func (s *steps) singles(ctx context.Context, idx []int) error {
	for _, i := range idx {
		if err := s.single(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// single creates entry i and settles it.
func (s *steps) single(ctx context.Context, i int) error {
	for {
		var inv *invitations.Invitation
		err := s.call(ctx, invitations.OpCreate, "create", func(ctx context.Context) (err error) {
			inv, err = s.c.Create(ctx, s.params(i))
			return err
		})
		if nm, ok := err.(notMade); ok {
			return nm.error
		}
		retry, stop := s.outcome(ctx, err)
		if retry {
			continue
		}
		var apiErr *invitations.APIError
		switch {
		case err == nil:
			s.onCreate(i, Created, inv.ID, nil)
		case errors.Is(err, invitations.ErrDuplicate):
			s.onCreate(i, AlreadyInvited, "", nil)
		case errors.As(err, &apiErr) && apiErr.HasCode("form_identifier_exists"):
			s.onCreate(i, AlreadyUser, "", nil)
		case errors.Is(err, invitations.ErrInvalidRequest):
			s.onCreate(i, Invalid, "", err)
		default:
			s.onCreate(i, Failed, "", err)
		}
		if stop != nil {
			return errors.Join(stop, s.done(i))
		}
		return s.done(i)
	}
}

// duplicates returns the lower-cased addresses a duplicate_record names in meta.email_addresses.
func duplicates(e *invitations.APIError) map[string]bool {
	out := map[string]bool{}
	for _, d := range e.Errors {
		if d.Code != "duplicate_record" {
			continue
		}
		list, _ := d.Meta["email_addresses"].([]any)
		for _, a := range list {
			if s, ok := a.(string); ok {
				out[strings.ToLower(strings.TrimSpace(s))] = true
			}
		}
	}
	return out
}
