package lifecycle

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

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
	// Activity, when set, is told when each call starts and ends (see Activity).
	Activity func(Activity)
}

// InviteMany invites any number of addresses: it trims and de-duplicates them (ignoring case),
// validates each, and creates the invitations in the calls Clerk's budgets allow soonest (bulk
// creates of up to ten, and single creates beside them), paced by the client's WithPacing
// budgets when set. When Clerk refuses a bulk call because of some of its addresses, the rest
// are not lost: addresses already invited (duplicate_record) are set aside and the others sent
// again, and any other refusal is resolved with a single create per address. A 429 is waited
// out. Each item keeps its own metadata, redirect URL, expiry, template and notify setting;
// IgnoreExisting is refused (invalid), since it could invite someone twice.
//
// The report says, per address, what happened: created, already invited, already a user,
// invalid or failed, with the error. Nobody is invited twice, also across resumed runs: a
// resumed run skips addresses with a final result, and an address whose earlier call had an
// unknown outcome meets duplicate_record and is reported already invited.
//
// When ctx ends, InviteMany lets the call under way finish (up to FinishTimeout), marks the
// addresses not reached NotSent, and returns the report with ctx's error. A 401 or 403 stops
// the run too, and so do five failed calls in a row, with that error. Otherwise the error is
// nil, whatever the entries say.
//
// Cost: one bulk call per 10 addresses to invite (one create per address when the bulk budget
// is spent and the create budget is not), plus one create per address of a refused batch; a
// dry run lists the pending invitations, 500 per call.
func (m *Manager) InviteMany(ctx context.Context, items []invitations.CreateParams, opts InviteOptions) (*Report, error) {
	if err := checkContext(ctx, "invite many"); err != nil {
		return nil, err
	}
	report, params := load(items)
	if opts.Resume != nil {
		kept := *opts.Resume
		kept.Action, kept.Entries = "", nil
		for _, e := range opts.Resume.Entries {
			if e.Result.Final("") {
				kept.Entries = append(kept.Entries, e)
			}
		}
		report.Record(kept.Entries...)
	}
	s := &steps{c: m.client, finish: cmp.Or(max(opts.FinishTimeout, 0), time.Minute), activity: opts.Activity, entries: report.Entries,
		params: func(i int) invitations.CreateParams { return params[i] }}
	s.onCreate = func(i int, result Result, id string, err error) {
		s.settle(i, result, err)
		s.entries[i].InvitationID = id
	}
	s.settled = func(idx []int) bool {
		if opts.Progress != nil {
			report.count()
			p := Progress{Total: len(report.Entries), Counts: report.Counts}
			p.Done = p.Total - p.Counts[NotSent]
			for _, i := range idx {
				p.Settled = append(p.Settled, report.Entries[i])
			}
			opts.Progress(p)
		}
		return true
	}
	var queue []int
	for i, p := range params {
		if report.Entries[i].Result != NotSent {
			continue
		}
		err := p.Validate()
		if err == nil && p.IgnoreExisting != nil && *p.IgnoreExisting {
			err = &invitations.ValidationError{Field: "ignore_existing", Reason: "InviteMany never invites an address twice; leave it unset"}
		}
		if err != nil {
			s.settle(i, Invalid, err)
			continue
		}
		queue = append(queue, i)
	}
	var err error
	if report.DryRun = opts.DryRun; opts.DryRun {
		err = dryRun(ctx, m.client, s, queue)
	} else {
		err = s.createAll(ctx, queue, nil)
	}
	report.Calls = s.calls
	report.count()
	return report, err
}

// load makes the report of items: one entry per address, in the order of first appearance.
func load(items []invitations.CreateParams) (*Report, []invitations.CreateParams) {
	report := &Report{}
	var params []invitations.CreateParams
	index := map[string]int{}
	for row, p := range items {
		p.EmailAddress = strings.TrimSpace(p.EmailAddress)
		key := strings.ToLower(p.EmailAddress)
		if i, seen := index[key]; seen {
			report.Entries[i].Rows = append(report.Entries[i].Rows, row)
			continue
		}
		index[key] = len(params)
		params = append(params, p)
		report.Entries = append(report.Entries, Entry{EmailAddress: p.EmailAddress, Result: NotSent, Rows: []int{row}})
	}
	return report, params
}

// dryRun settles the queued entries with what a run would do: already invited or would create.
func dryRun(ctx context.Context, c *invitations.Client, s *steps, queue []int) error {
	pending := map[string]bool{}
	for inv, err := range c.All(ctx, invitations.ListParams{Statuses: []invitations.Status{invitations.StatusPending}}) {
		if err != nil {
			return err
		}
		pending[strings.ToLower(inv.EmailAddress)] = true
	}
	for _, i := range queue {
		if pending[strings.ToLower(s.entries[i].EmailAddress)] {
			s.settle(i, AlreadyInvited, nil)
		} else {
			s.settle(i, WouldCreate, nil)
		}
	}
	return nil
}
