package lifecycle

import (
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// Action is what a run does to each invitation it selected (Plan, Run); "" is InviteMany's
// inviting.
type Action string

// The actions of Run.
const (
	ActionRevoke  Action = "revoke"  // revoke each pending invitation
	ActionDelete  Action = "delete"  // delete each invitation for good, whatever its status
	ActionReissue Action = "reissue" // revoke each pending one, then invite its address again with its metadata
)

// Result is what became of one address (InviteMany) or invitation (Run).
type Result string

// The results. A resumed run keeps the final ones (see Result.Final); it acts again on Failed
// and NotSent, and, for ActionReissue, creates the replacement of a Revoked one.
const (
	Created        Result = "created"         // invited by this run (or the run it resumes)
	AlreadyInvited Result = "already_invited" // a pending invitation existed for the address
	AlreadyUser    Result = "already_user"    // the address belongs to a user
	Invalid        Result = "invalid"         // refused by the client's checks or by Clerk
	Failed         Result = "failed"          // its call failed; Error says why
	NotSent        Result = "not_sent"        // the run stopped before it
	WouldCreate    Result = "would_create"    // a dry run would invite it
	Revoked        Result = "revoked"         // revoked; for ActionReissue, its replacement not yet created
	Deleted        Result = "deleted"         // deleted, by this run or meanwhile by someone else
	Replaced       Result = "replaced"        // ActionReissue: revoked where pending, and replaced by NewInvitationID
	Skipped        Result = "skipped"         // no longer in a state the action applies to; Error says which
	WouldRevoke    Result = "would_revoke"    // what a dry run of ActionRevoke lists
	WouldDelete    Result = "would_delete"    // … of ActionDelete
	WouldReissue   Result = "would_reissue"   // … of ActionReissue
)

// Final reports whether a resumed run of action keeps r.
func (r Result) Final(action Action) bool {
	switch r {
	case Created, AlreadyInvited, AlreadyUser, Invalid, Deleted, Replaced, Skipped:
		return true
	case Revoked:
		return action == ActionRevoke
	}
	return false
}

// Entry is the outcome for one address (InviteMany; addresses differing only in case or
// surrounding spaces are one) or one invitation (Run).
type Entry struct {
	EmailAddress string `json:"email_address"`
	Result       Result `json:"result"`
	// InvitationID is the invitation InviteMany created, or the one Run acts on.
	InvitationID    string `json:"invitation_id,omitempty"`
	NewInvitationID string `json:"new_invitation_id,omitempty"` // ActionReissue: the replacement
	Error           string `json:"error,omitempty"`             // for invalid, failed and skipped: why
	Rows            []int  `json:"rows,omitempty"`              // InviteMany: positions in the input (from 0)
	// Status and PublicMetadata are the invitation's when Plan found it: Run revokes only what
	// was pending, and a reissued invitation gets the same metadata.
	Status         invitations.Status `json:"status,omitempty"`
	PublicMetadata map[string]any     `json:"public_metadata,omitempty"`
	Err            error              `json:"-"` // for failed and invalid, in this run: the error itself
}

// Report is the outcome of a run, one entry per address or invitation in order. It encodes to
// JSON, and a decoded one resumes a run (InviteOptions.Resume, Run).
type Report struct {
	Action  Action         `json:"action,omitempty"`
	Entries []Entry        `json:"entries"`
	Counts  map[Result]int `json:"counts"`
	DryRun  bool           `json:"dry_run"`
	// Complete is true when every entry is final (in a dry run: final or would_…).
	Complete bool `json:"complete"`
	// Calls counts the calls the run made to change something (creates, revokes, deletes).
	Calls int `json:"calls"`

	index map[string]int // Record's: an entry's key to its position
}

// key identifies e in a report: its invitation for Run, its address for InviteMany.
func (r *Report) key(e Entry) string {
	if r.Action != "" {
		return e.InvitationID
	}
	return strings.ToLower(strings.TrimSpace(e.EmailAddress))
}

// Record puts each entry in place of the one it is about (the same invitation, or for
// InviteMany the same address), keeping what it leaves empty, and counts again. Entries about
// nothing in the report are left out. Replaying a journal of a run's entries onto its plan
// this way gives what the run had settled.
func (r *Report) Record(entries ...Entry) {
	if r.Counts == nil || len(r.index) != len(r.Entries) {
		r.count()
	}
	for _, e := range entries {
		key := r.key(e)
		i, ok := r.index[key]
		if ok && r.key(r.Entries[i]) != key { // the entries changed under the index
			r.count()
			i, ok = r.index[key]
		}
		if !ok {
			continue
		}
		old := &r.Entries[i]
		e.Rows, e.Status, e.EmailAddress = old.Rows, old.Status, old.EmailAddress
		if e.PublicMetadata == nil {
			e.PublicMetadata = old.PublicMetadata
		}
		if r.Action != "" || e.InvitationID == "" {
			e.InvitationID = old.InvitationID
		}
		r.Counts[old.Result]--
		r.Counts[e.Result]++
		if r.Counts[old.Result] == 0 {
			delete(r.Counts, old.Result)
		}
		*old = e
	}
	r.Complete = true
	for result, n := range r.Counts {
		r.Complete = r.Complete && (n == 0 || result.Final(r.Action) || r.DryRun && would(result))
	}
}

// count sets Counts and Complete from the entries, and the index Record finds them by.
func (r *Report) count() {
	r.Counts, r.Complete = map[Result]int{}, true
	r.index = make(map[string]int, len(r.Entries))
	for i, e := range r.Entries {
		r.Counts[e.Result]++
		r.Complete = r.Complete && (e.Result.Final(r.Action) || r.DryRun && would(e.Result))
		r.index[r.key(e)] = i
	}
}

func would(r Result) bool {
	return r == WouldCreate || r == WouldRevoke || r == WouldDelete || r == WouldReissue
}

// MarkDryRun makes r what a dry run reports: every entry still to do becomes the action's
// would_… result.
func (r *Report) MarkDryRun() {
	would := map[Action]Result{"": WouldCreate, ActionRevoke: WouldRevoke, ActionDelete: WouldDelete, ActionReissue: WouldReissue}[r.Action]
	r.DryRun = true
	for i := range r.Entries {
		if !r.Entries[i].Result.Final(r.Action) {
			r.Entries[i].Result = would
		}
	}
	r.count()
}

// LeastTime is the least time the entries still to do take under b (see the function
// LeastTime).
func (r *Report) LeastTime(b invitations.Budgets) time.Duration {
	var writes, creates int
	for _, e := range r.Entries {
		switch {
		case e.Result.Final(r.Action):
		case r.Action == ActionRevoke || r.Action == ActionDelete:
			writes++
		case r.Action == ActionReissue:
			if e.Result != Revoked && e.Status == invitations.StatusPending {
				writes++
			}
			creates++
		default:
			creates++
		}
	}
	return LeastTime(b, writes, creates)
}

// LeastTime is the least time writes revokes or deletes and creates invitations take under b,
// each call going as soon as its budgets let it, creates in bulk calls of ten and single
// creates both: what a run at those budgets cannot beat; 0 for budgets that set no limit.
func LeastTime(b invitations.Budgets, writes, creates int) time.Duration {
	// Creates: per window, the bulk budget's calls of ten and the create budget's singles (when
	// either sets no limit, creates are not what bounds the run).
	var least time.Duration
	if perWindow := b.Bulk.Calls*invitations.MaxBulkItems + b.Create.Calls; creates > 0 && b.Bulk.Calls > 0 && b.Create.Calls > 0 {
		least = time.Duration((creates+perWindow-1)/perWindow-1) * max(b.Bulk.Per, b.Create.Per)
	}
	// Every call: at the fewest, creates all in bulk.
	if calls := writes + (creates+invitations.MaxBulkItems-1)/invitations.MaxBulkItems; calls > 0 && b.Overall.Calls > 0 {
		least = max(least, time.Duration((calls+b.Overall.Calls-1)/b.Overall.Calls-1)*b.Overall.Per)
	}
	return least
}

// Progress is passed to InviteOptions.Progress after every step of a run.
type Progress struct {
	Done, Total int            // addresses with an outcome, of all of them
	Counts      map[Result]int // by outcome so far
	Settled     []Entry        // the entries this step settled
}

// Activity is what a run is doing: the call under way, since when, and how long at most it goes
// on once the run's context has ended. The zero Activity is no call under way (a run waiting
// for Clerk's budgets stops at once when its context ends).
type Activity struct {
	Operation invitations.Operation
	What      string // e.g. "bulk create of 10" or "revoke inv_…"
	Since     time.Time
	AtMost    time.Duration
}
