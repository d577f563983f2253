package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// Result is what became of one address in InviteMany.
type Result string

// The results InviteMany reports. Created, AlreadyInvited, AlreadyUser and Invalid are final: a
// resumed run keeps them. Failed and NotSent are tried again by a resumed run.
const (
	Created        Result = "created"         // invited by this run (or the run it resumes)
	AlreadyInvited Result = "already_invited" // a pending invitation existed
	AlreadyUser    Result = "already_user"    // the address belongs to a user
	Invalid        Result = "invalid"         // refused by the client's checks or by Clerk
	Failed         Result = "failed"          // its call failed; Error says why
	NotSent        Result = "not_sent"        // the run stopped before it
	WouldCreate    Result = "would_create"    // a dry run would invite it
)

// final reports whether a resumed run keeps r.
func (r Result) final() bool {
	switch r {
	case Created, AlreadyInvited, AlreadyUser, Invalid:
		return true
	}
	return false
}

// Entry is the outcome for one address. Addresses that differ only in case or surrounding
// spaces are one address.
type Entry struct {
	EmailAddress string `json:"email_address"`
	Result       Result `json:"result"`
	InvitationID string `json:"invitation_id,omitempty"` // the invitation this run created
	Error        string `json:"error,omitempty"`         // for invalid and failed: why
	Rows         []int  `json:"rows"`                    // positions in the input (from 0) with this address
	Err          error  `json:"-"`                       // for failed and invalid, in this run: the error itself
}

// Report is the outcome of InviteMany, one entry per address in input order. It encodes to
// JSON, and a decoded one resumes a run (InviteOptions.Resume).
type Report struct {
	Entries []Entry        `json:"entries"`
	Counts  map[Result]int `json:"counts"`
	DryRun  bool           `json:"dry_run"`
	// Complete is true when no entry failed or was left unsent.
	Complete bool `json:"complete"`
	// Calls counts the create and bulk create calls this run made.
	Calls int `json:"calls"`
}

// Progress is passed to InviteOptions.Progress after every step of a run.
type Progress struct {
	Done, Total int            // addresses with an outcome, of all of them
	Counts      map[Result]int // by outcome so far
	Settled     []Entry        // the entries this step settled
}

// InviteOptions adjust InviteMany.
type InviteOptions struct {
	// DryRun validates and de-duplicates the addresses and lists the pending invitations to
	// report which would be created (WouldCreate) and which are already invited, creating
	// nothing and sending no email.
	DryRun bool
	// Resume is the report of an earlier run over the same input: addresses with a final result
	// there keep it and are not sent again.
	Resume *Report
	// Progress, when set, is called after every step, from the goroutine running InviteMany.
	Progress func(Progress)
	// FinishTimeout bounds how long a call already under way may go on after ctx ends, so that
	// its outcome is known and reported. 0: one minute.
	FinishTimeout time.Duration
}

// InviteMany invites any number of addresses: it trims and de-duplicates them (ignoring case),
// validates each, and creates the invitations in bulk calls of up to invitations.MaxBulkItems, paced by the
// client's WithPacing budgets when set. When Clerk refuses a bulk call because of some of its
// addresses, the rest are not lost: addresses already invited (duplicate_record) are set aside
// and the others sent again, and any other refusal is resolved with a single create per address.
// A 429 is waited out. Each item keeps its own metadata, redirect URL, expiry, template and
// notify setting; IgnoreExisting is refused (invalid), since it could invite someone twice.
//
// The report says, per address, what happened: created, already invited, already a user,
// invalid or failed, with the error. Nobody is invited twice, also across resumed runs: a
// resumed run skips addresses with a final result, and an address whose earlier call had an
// unknown outcome meets duplicate_record and is reported already invited.
//
// When ctx ends, InviteMany lets the call under way finish (up to FinishTimeout), marks the
// addresses not reached NotSent, and returns the report with ctx's error. A 401 or 403 stops
// the run too, with that error. Otherwise the error is nil, whatever the entries say.
//
// Cost: one bulk call per 10 addresses to invite, plus one create per address of a refused
// batch; a dry run lists the pending invitations, 500 per call.
func (m *Manager) InviteMany(ctx context.Context, items []invitations.CreateParams, opts InviteOptions) (*Report, error) {
	if err := checkContext(ctx, "invite many"); err != nil {
		return nil, err
	}
	if opts.FinishTimeout <= 0 {
		opts.FinishTimeout = time.Minute
	}
	r := &bulkRun{c: m.client, opts: opts, report: &Report{DryRun: opts.DryRun}}
	r.load(items)
	r.resume(opts.Resume)
	r.validate()
	var err error
	if opts.DryRun {
		err = r.dryRun(ctx)
	} else {
		err = r.send(ctx)
	}
	r.finish()
	return r.report, err
}

// maxFailuresInARow stops a run whose calls keep failing (Clerk or the network is down): the
// report then says what is left, for a resumed run.
const maxFailuresInARow = 5

// bulkRun is one InviteMany call.
type bulkRun struct {
	c        *invitations.Client
	opts     InviteOptions
	report   *Report
	params   []invitations.CreateParams // params[i] is what entry i is created with
	queue    []int                      // entries still to send, in order
	failures int                        // calls failed in a row
}

func (r *bulkRun) load(items []invitations.CreateParams) {
	index := map[string]int{}
	for row, p := range items {
		p.EmailAddress = strings.TrimSpace(p.EmailAddress)
		key := strings.ToLower(p.EmailAddress)
		if i, seen := index[key]; seen {
			r.report.Entries[i].Rows = append(r.report.Entries[i].Rows, row)
			continue
		}
		index[key] = len(r.params)
		r.params = append(r.params, p)
		r.report.Entries = append(r.report.Entries, Entry{EmailAddress: p.EmailAddress, Result: NotSent, Rows: []int{row}})
	}
}

func (r *bulkRun) resume(prior *Report) {
	if prior == nil {
		return
	}
	kept := map[string]Entry{}
	for _, e := range prior.Entries {
		if e.Result.final() {
			kept[strings.ToLower(strings.TrimSpace(e.EmailAddress))] = e
		}
	}
	for i := range r.report.Entries {
		e := &r.report.Entries[i]
		if k, ok := kept[strings.ToLower(e.EmailAddress)]; ok {
			e.Result, e.InvitationID, e.Error = k.Result, k.InvitationID, k.Error
		}
	}
}

func (r *bulkRun) validate() {
	for i, p := range r.params {
		e := &r.report.Entries[i]
		if e.Result != NotSent {
			continue
		}
		err := p.Validate()
		if err == nil && p.IgnoreExisting != nil && *p.IgnoreExisting {
			err = &invitations.ValidationError{Field: "ignore_existing", Reason: "InviteMany never invites an address twice; leave it unset"}
		}
		if err != nil {
			r.settle(i, Invalid, "", err)
			continue
		}
		r.queue = append(r.queue, i)
	}
}

// dryRun reports which queued addresses already have a pending invitation.
func (r *bulkRun) dryRun(ctx context.Context) error {
	pending := map[string]bool{}
	for inv, err := range r.c.All(ctx, invitations.ListParams{Statuses: []invitations.Status{invitations.StatusPending}}) {
		if err != nil {
			return err
		}
		pending[strings.ToLower(inv.EmailAddress)] = true
	}
	for _, i := range r.queue {
		if pending[strings.ToLower(r.params[i].EmailAddress)] {
			r.settle(i, AlreadyInvited, "", nil)
		} else {
			r.settle(i, WouldCreate, "", nil)
		}
	}
	r.queue = nil
	return nil
}

// send sends the queue in batches; an error ends the run, and so does ctx, also when it ends
// during the last call.
func (r *bulkRun) send(ctx context.Context) error {
	for len(r.queue) > 0 {
		n := min(invitations.MaxBulkItems, len(r.queue))
		batch := r.queue[:n]
		r.queue = r.queue[n:]
		if err := r.bulk(ctx, batch); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// bulk sends one batch, and what a refusal leaves of it, until every address has an outcome.
func (r *bulkRun) bulk(ctx context.Context, batch []int) error {
	for len(batch) > 0 {
		if err := r.ready(ctx, invitations.OpBulkCreate); err != nil {
			return err
		}
		items := make([]invitations.CreateParams, len(batch))
		for j, i := range batch {
			items[j] = r.params[i]
		}
		var got []invitations.Invitation
		err := r.call(ctx, func(ctx context.Context) (err error) {
			got, err = r.c.BulkCreate(ctx, items)
			return err
		})
		var apiErr *invitations.APIError
		switch {
		case err == nil:
			for j, i := range batch {
				r.settle(i, Created, got[j].ID, nil)
			}
			r.failures = 0
			r.progress(batch)
			return nil
		case errors.Is(err, invitations.ErrRateLimited):
			if err := r.waitOut(ctx, err); err != nil {
				return err
			}
			continue
		case fatal(err):
			for _, i := range batch {
				r.settle(i, Failed, "", err)
			}
			return err
		case errors.Is(err, invitations.ErrDuplicate) && errors.As(err, &apiErr) && len(duplicates(apiErr)) > 0:
			// Set the invited addresses aside and send the rest again.
			dups := duplicates(apiErr)
			var invited, rest []int
			for _, i := range batch {
				if dups[strings.ToLower(r.params[i].EmailAddress)] {
					r.settle(i, AlreadyInvited, "", nil)
					invited = append(invited, i)
				} else {
					rest = append(rest, i)
				}
			}
			if len(invited) == 0 {
				return r.singles(ctx, rest) // the answer named none of ours: one by one
			}
			r.progress(invited)
			batch = rest
		case refusal(err):
			return r.singles(ctx, batch)
		default:
			for _, i := range batch {
				r.settle(i, Failed, "", err)
			}
			r.progress(batch)
			return r.failed(err)
		}
	}
	return nil
}

// singles creates the addresses of a refused batch one at a time.
func (r *bulkRun) singles(ctx context.Context, idx []int) error {
	for _, i := range idx {
		if err := r.single(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// single creates entry i, waiting out 429s, and settles it.
func (r *bulkRun) single(ctx context.Context, i int) error {
	for {
		if err := r.ready(ctx, invitations.OpCreate); err != nil {
			return err
		}
		var inv *invitations.Invitation
		err := r.call(ctx, func(ctx context.Context) (err error) {
			inv, err = r.c.Create(ctx, r.params[i])
			return err
		})
		if errors.Is(err, invitations.ErrRateLimited) {
			if err := r.waitOut(ctx, err); err != nil {
				return err
			}
			continue
		}
		var apiErr *invitations.APIError
		switch {
		case err == nil:
			r.settle(i, Created, inv.ID, nil)
		case errors.Is(err, invitations.ErrDuplicate):
			r.settle(i, AlreadyInvited, "", nil)
		case errors.As(err, &apiErr) && apiErr.HasCode("form_identifier_exists"):
			r.settle(i, AlreadyUser, "", nil)
		case errors.Is(err, invitations.ErrInvalidRequest):
			r.settle(i, Invalid, "", err)
		default:
			r.settle(i, Failed, "", err)
			r.progress([]int{i})
			if fatal(err) {
				return err
			}
			return r.failed(err)
		}
		r.failures = 0
		r.progress([]int{i})
		return nil
	}
}

// failed counts a failed call, and stops the run after maxFailuresInARow of them.
func (r *bulkRun) failed(err error) error {
	if r.failures++; r.failures >= maxFailuresInARow {
		return fmt.Errorf("invitations: invite many: stopped after %d failed calls in a row: %w", r.failures, err)
	}
	return nil
}

// ready waits, interruptibly, until the client's pacing lets a call of op go.
func (r *bulkRun) ready(ctx context.Context, op invitations.Operation) error {
	return r.c.Ready(ctx, op)
}

// call runs one API call to its end even if ctx ends meanwhile (up to FinishTimeout), so that
// its outcome is known.
func (r *bulkRun) call(ctx context.Context, do func(context.Context) error) error {
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.FinishTimeout)
	defer cancel()
	r.report.Calls++
	return do(callCtx)
}

// waitOut waits for the Retry-After of a 429 the client did not wait out itself.
func (r *bulkRun) waitOut(ctx context.Context, err error) error {
	wait := time.Second
	var apiErr *invitations.APIError
	if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
		wait = apiErr.RetryAfter
	}
	return sleep(ctx, wait)
}

func (r *bulkRun) settle(i int, result Result, id string, err error) {
	e := &r.report.Entries[i]
	e.Result, e.InvitationID, e.Err, e.Error = result, id, err, ""
	if err != nil {
		e.Error = err.Error()
	}
}

func (r *bulkRun) progress(idx []int) {
	if r.opts.Progress == nil {
		return
	}
	p := Progress{Total: len(r.report.Entries), Counts: r.counts()}
	for _, n := range p.Counts {
		p.Done += n
	}
	p.Done -= p.Counts[NotSent]
	for _, i := range idx {
		p.Settled = append(p.Settled, r.report.Entries[i])
	}
	r.opts.Progress(p)
}

func (r *bulkRun) counts() map[Result]int {
	counts := map[Result]int{}
	for _, e := range r.report.Entries {
		counts[e.Result]++
	}
	return counts
}

func (r *bulkRun) finish() {
	r.report.Counts = r.counts()
	r.report.Complete = r.report.Counts[Failed] == 0 && r.report.Counts[NotSent] == 0
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

// refusal: Clerk refused the call for what it holds (400, 422), which a smaller call may avoid.
func refusal(err error) bool {
	var apiErr *invitations.APIError
	return errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusBadRequest || apiErr.StatusCode == http.StatusUnprocessableEntity)
}

// fatal: no further call of the run can succeed.
func fatal(err error) bool {
	var apiErr *invitations.APIError
	return errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden)
}

// sleep waits d or until ctx ends, whichever is first, and returns ctx's error in the latter case.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
