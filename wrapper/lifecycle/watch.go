package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// Change is what happened to an invitation between two polls of a Watcher.
type Change struct {
	// Kind is "created" (OldStatus empty), or the status the invitation left pending for:
	// "accepted", "expired", "revoked", or "deleted" (NewStatus empty).
	Kind                 string
	Invitation           invitations.Invitation // as Clerk now has it; of a deleted one, its id and address
	OldStatus, NewStatus invitations.Status
}

// The kinds of Change besides the statuses.
const (
	KindCreated = "created"
	KindDeleted = "deleted"
)

// Watcher learns what happens to an instance's invitations by polling: it tracks the pending
// ones, and each Poll reports the invitations created since the last, and each one that left
// pending (accepted, expired, revoked or deleted), as Clerk sends no webhook for application
// invitations. Its state (MarshalJSON) is what it knows; a Watcher made from a saved state
// reports what changed since, and the first Poll of a new one only learns what exists.
//
// A Poll costs one list call per 500 pending invitations, one list call for those created since
// the last poll that are already no longer pending (accepted within minutes, say), and one
// lookup per invitation that left pending. It holds one entry per pending invitation: its id
// and address.
type Watcher struct {
	client *invitations.Client
	known  map[string]tracked // pending invitations, by id
	// newest is the newest created_at seen; invitations created at it or later are looked for
	// among the non-pending ones. atNewest lists those of them already reported.
	newest   time.Time
	atNewest []string
	primed   bool // a poll has run (or the state came from one)
	gen      uint32
}

type tracked struct {
	email string
	gen   uint32 // the poll that last saw it pending
}

// NewWatcher returns a Watcher for m's client; state, when not nil, is a Watcher's saved
// MarshalJSON, which it goes on from.
func (m *Manager) NewWatcher(state []byte) (*Watcher, error) {
	w := &Watcher{client: m.client, known: map[string]tracked{}}
	if state == nil {
		return w, nil
	}
	var saved watcherState
	if err := json.Unmarshal(state, &saved); err != nil || saved.Pending == nil {
		return nil, errors.New("lifecycle: not a saved watcher state")
	}
	for _, p := range saved.Pending {
		w.known[p.ID] = tracked{email: p.EmailAddress}
	}
	w.newest, w.atNewest, w.primed = saved.Newest, saved.AtNewest, true
	return w, nil
}

// watcherState is a Watcher's state as saved.
type watcherState struct {
	Newest   time.Time `json:"newest"`
	AtNewest []string  `json:"at_newest,omitempty"`
	Pending  []struct {
		ID           string `json:"id"`
		EmailAddress string `json:"email_address"`
	} `json:"pending"`
}

// MarshalJSON returns what the Watcher knows, for NewWatcher to go on from after a restart.
func (w *Watcher) MarshalJSON() ([]byte, error) {
	st := watcherState{Newest: w.newest, AtNewest: w.atNewest}
	st.Pending = make([]struct {
		ID           string `json:"id"`
		EmailAddress string `json:"email_address"`
	}, 0, len(w.known))
	for id, t := range w.known {
		st.Pending = append(st.Pending, struct {
			ID           string `json:"id"`
			EmailAddress string `json:"email_address"`
		}{id, t.email})
	}
	slices.SortFunc(st.Pending, func(a, b struct {
		ID           string `json:"id"`
		EmailAddress string `json:"email_address"`
	}) int {
		return strings.Compare(a.ID, b.ID)
	})
	return json.Marshal(st)
}

// Tracked returns how many pending invitations the Watcher knows.
func (w *Watcher) Tracked() int { return len(w.known) }

// Poll compares what Clerk holds now with what the Watcher knew and returns the changes, in the
// order found, keeping what it learnt. On an error it returns the changes it is sure of with the
// error, keeps the rest to find at the next Poll, and reports nothing twice.
func (w *Watcher) Poll(ctx context.Context) ([]Change, error) {
	if err := checkContext(ctx, "poll"); err != nil {
		return nil, err
	}
	w.gen++
	var changes []Change
	newest := w.newest
	for inv, err := range w.client.All(ctx, invitations.ListParams{Statuses: []invitations.Status{invitations.StatusPending}}) {
		if err != nil {
			return changes, err // what was not seen this time stays known, to be seen next time
		}
		t, ok := w.known[inv.ID]
		if !ok && w.primed {
			changes = append(changes, Change{Kind: KindCreated, Invitation: inv, NewStatus: invitations.StatusPending})
		}
		// The decoded strings are allocations of their own, not views of the page.
		t.email, t.gen = inv.EmailAddress, w.gen
		w.known[inv.ID] = t
		if inv.CreatedAt.After(newest) {
			newest = inv.CreatedAt
		}
	}
	// Invitations not pending that were created since the last poll (at or after its newest
	// created_at) and never seen pending: created and gone between two polls. The first poll
	// only learns which are the newest, so that what happened before it is not reported.
	var atNewest []string // the non-pending ones created at the newest time, reported or known
	notPending := invitations.ListParams{Statuses: []invitations.Status{invitations.StatusAccepted, invitations.StatusExpired, invitations.StatusRevoked},
		OrderBy: "-created_at", Limit: 100}
	for inv, err := range w.client.All(ctx, notPending) {
		if err != nil {
			return changes, err
		}
		if inv.CreatedAt.Before(w.newest) || !w.primed && inv.CreatedAt.Before(newest) {
			break // newest first: the rest is older still
		}
		if inv.CreatedAt.After(newest) {
			newest, atNewest = inv.CreatedAt, nil
		}
		if inv.CreatedAt.Equal(newest) {
			atNewest = append(atNewest, inv.ID)
		}
		_, tracked := w.known[inv.ID] // then its lookup below reports it
		if w.primed && !tracked && !(inv.CreatedAt.Equal(w.newest) && slices.Contains(w.atNewest, inv.ID)) {
			changes = append(changes, Change{Kind: KindCreated, Invitation: inv, NewStatus: invitations.StatusPending},
				Change{Kind: string(inv.Status), Invitation: inv, OldStatus: invitations.StatusPending, NewStatus: inv.Status})
		}
	}
	// Every known invitation the list did not show has left pending: one lookup each.
	for id, t := range w.known {
		if t.gen == w.gen {
			continue
		}
		inv, err := w.client.Get(ctx, id)
		switch {
		case errors.Is(err, invitations.ErrNotFound):
			changes = append(changes, Change{Kind: KindDeleted, Invitation: invitations.Invitation{ID: id, EmailAddress: t.email}, OldStatus: invitations.StatusPending})
		case err != nil:
			return changes, err
		case inv.Status == invitations.StatusPending:
			continue // pending again by the time it was looked up: seen next time
		default:
			changes = append(changes, Change{Kind: string(inv.Status), Invitation: *inv, OldStatus: invitations.StatusPending, NewStatus: inv.Status})
		}
		delete(w.known, id)
	}
	w.newest, w.atNewest, w.primed = newest, atNewest, true
	return changes, nil
}
