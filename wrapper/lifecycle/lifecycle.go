// Package lifecycle is the work built on Clerk's invitation API that the API itself lacks:
// finding an address's invitations exactly, inviting an address once and only once, revoking
// or deleting every invitation of an address, re-sending an invitation, and inviting any
// number of addresses with a per-address report. It uses only what package invitations exports,
// so everything here is something any user of the client could write; the client's guarantees
// (validation, retries that never invite twice, pacing, typed errors) hold for every call it
// makes.
//
//	client, err := invitations.New(os.Getenv("CLERK_SECRET_KEY"))
//	if err != nil {
//		return err
//	}
//	m := lifecycle.New(client)
//	inv, created, err := m.EnsureInvited(ctx, invitations.CreateParams{EmailAddress: "ada@example.com"})
//	if err != nil {
//		return err
//	}
//	fmt.Println(inv.ID, created)
//
// Every method takes a context first; a nil one is an error, as in package invitations.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// Manager runs the workflows on one client. It is safe for concurrent use; create it with New
// and reuse it, since EnsureInvited serialises calls for the same address on one Manager.
type Manager struct {
	client       *invitations.Client
	addressLocks *keyLocks // EnsureInvited: one call per address at a time
}

// New returns a Manager that calls Clerk through client.
func New(client *invitations.Client) *Manager {
	return &Manager{client: client, addressLocks: newKeyLocks()}
}

// everyStatus lists invitations of any status, revoked included.
var everyStatus = []invitations.Status{invitations.StatusPending, invitations.StatusAccepted, invitations.StatusRevoked, invitations.StatusExpired}

// checkContext is the error for a nil context, which every method refuses before anything else.
func checkContext(ctx context.Context, op string) error {
	if ctx == nil {
		return fmt.Errorf("lifecycle: %s: nil context", op)
	}
	return nil
}

// FindByEmail returns the invitations for email, newest first, in the given statuses; with no
// statuses, in every status, revoked included. The address matches exactly, ignoring case:
// never a substring hit such as bada@example.com for ada@example.com.
//
// Cost: one list call per 500 invitations whose address or id contains email.
//
// Errors: an *invitations.ValidationError when email is not a plain address; otherwise List's
// errors. Finding nothing is not an error: the slice is empty.
func (m *Manager) FindByEmail(ctx context.Context, email string, statuses ...invitations.Status) ([]invitations.Invitation, error) {
	if err := checkContext(ctx, "find by email"); err != nil {
		return nil, err
	}
	if err := rules.CheckEmail(email); err != nil {
		return nil, &invitations.ValidationError{Field: "email_address", Reason: err.Error()}
	}
	if len(statuses) == 0 {
		statuses = everyStatus
	}
	var out []invitations.Invitation
	for inv, err := range m.client.All(ctx, invitations.ListParams{Query: email, Statuses: statuses, OrderBy: "-created_at"}) {
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(inv.EmailAddress, email) {
			out = append(out, inv)
		}
	}
	return out, nil
}

// EnsureInvited returns the pending invitation for p.EmailAddress, or creates one from p when
// there is none; created says which. It never makes a second pending invitation: concurrent
// calls for the same address on one Manager wait for each other, and a create that meets
// another's pending invitation (duplicate_record) returns that one.
//
// Cost: one list call; one create more when the address has no pending invitation (and one
// list more when another process invited it in between). Checking first spends Clerk's hourly
// create budget only on addresses that need an invitation.
//
// Errors: those of FindByEmail and Create; an *invitations.ValidationError when
// p.IgnoreExisting is true, since that asks for the second invitation EnsureInvited exists to
// avoid.
func (m *Manager) EnsureInvited(ctx context.Context, p invitations.CreateParams) (inv *invitations.Invitation, created bool, err error) {
	if err := checkContext(ctx, "ensure invited"); err != nil {
		return nil, false, err
	}
	if err := p.Validate(); err != nil {
		return nil, false, err
	}
	if p.IgnoreExisting != nil && *p.IgnoreExisting {
		return nil, false, &invitations.ValidationError{Field: "ignore_existing", Reason: "EnsureInvited never creates a second pending invitation; leave it unset"}
	}
	unlock, err := m.addressLocks.lock(ctx, strings.ToLower(p.EmailAddress))
	if err != nil {
		return nil, false, fmt.Errorf("lifecycle: ensure invited: %w", err)
	}
	defer unlock()
	if existing, err := m.newestPending(ctx, p.EmailAddress); err != nil || existing != nil {
		return existing, false, err
	}
	inv, err = m.client.Create(ctx, p)
	if errors.Is(err, invitations.ErrDuplicate) {
		// Invited by someone else since the lookup.
		if existing, lookupErr := m.newestPending(ctx, p.EmailAddress); lookupErr == nil && existing != nil {
			return existing, false, nil
		}
	}
	if err != nil {
		return nil, false, err
	}
	return inv, true, nil
}

func (m *Manager) newestPending(ctx context.Context, email string) (*invitations.Invitation, error) {
	found, err := m.FindByEmail(ctx, email, invitations.StatusPending)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	return &found[0], nil
}

// RevokeByEmail revokes every pending invitation of email and returns them revoked. An address
// without a pending invitation is not an error: the slice is empty. An invitation revoked,
// accepted or deleted by someone else meanwhile is skipped.
//
// Cost: FindByEmail's list calls, then one revoke per pending invitation.
//
// Errors: those of FindByEmail; when some revokes fail, the invitations revoked so far together
// with the failures, joined.
func (m *Manager) RevokeByEmail(ctx context.Context, email string) ([]invitations.Invitation, error) {
	pending, err := m.FindByEmail(ctx, email, invitations.StatusPending)
	if err != nil {
		return nil, err
	}
	var revoked []invitations.Invitation
	var errs []error
	for _, inv := range pending {
		got, err := m.client.Revoke(ctx, inv.ID)
		switch {
		case err == nil:
			revoked = append(revoked, *got)
		case errors.Is(err, invitations.ErrAlreadyRevoked), errors.Is(err, invitations.ErrNotFound), errors.Is(err, invitations.ErrAlreadyAccepted):
		default:
			errs = append(errs, err)
		}
	}
	return revoked, errors.Join(errs...)
}

// DeleteByEmail deletes every invitation of email, whatever its status, and returns their ids:
// what a data-erasure request for an address needs. Invitations deleted by someone else
// meanwhile count as deleted. Other records of the address (a user, organization invitations)
// are not touched.
//
// Cost: FindByEmail's list calls, then one delete per invitation.
//
// Errors: those of FindByEmail; when some deletes fail, the ids deleted so far together with the
// failures, joined.
func (m *Manager) DeleteByEmail(ctx context.Context, email string) ([]string, error) {
	all, err := m.FindByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	var deleted []string
	var errs []error
	for _, inv := range all {
		if err := m.client.Delete(ctx, inv.ID); err != nil && !errors.Is(err, invitations.ErrNotFound) {
			errs = append(errs, err)
			continue
		}
		deleted = append(deleted, inv.ID)
	}
	return deleted, errors.Join(errs...)
}

// ReissueParams are the settings of a reissued invitation. Clerk's API returns an invitation's
// public metadata but not its redirect URL, template, expiry or email setting, so Reissue copies
// the metadata and takes the rest from here; zero values mean Clerk's defaults, as in
// invitations.CreateParams (an email is sent unless Notify is invitations.Ptr(false)).
type ReissueParams struct {
	RedirectURL   string
	ExpiresInDays int
	TemplateSlug  invitations.TemplateSlug
	Notify        *bool
}

// Reissued is the outcome of Reissue.
type Reissued struct {
	Old invitations.Invitation // the invitation replaced: revoked now if it was pending, else as it was
	New invitations.Invitation // the invitation that replaces it, pending
}

// Reissue is the "resend" Clerk's API lacks: it creates a new invitation for the address of an
// existing one, with the same public metadata, then revokes the old one if it is still pending.
// idOrEmail is an invitation id or an email address (then its newest pending invitation, else
// its newest expired one). Creating first means the person is never left without a working
// invitation: if the revoke fails, both stay pending and the error says so.
//
// Cost: one list call to find the old invitation, one create, and one revoke when it was
// pending.
//
// Errors: an *invitations.ValidationError for input Create or Get would refuse; an error
// matching invitations.ErrNotFound when there is nothing to reissue, ErrAlreadyAccepted when the
// person already signed up through the invitation; Create's errors, with no change made;
// Revoke's, with the new invitation created and returned in Reissued.New.
func (m *Manager) Reissue(ctx context.Context, idOrEmail string, p ReissueParams) (*Reissued, error) {
	if err := checkContext(ctx, "reissue"); err != nil {
		return nil, err
	}
	old, err := m.reissueTarget(ctx, idOrEmail)
	if err != nil {
		return nil, err
	}
	if old.Status == invitations.StatusAccepted {
		return nil, fmt.Errorf("lifecycle: reissue: %s was accepted; the person has signed up: %w", old.ID, invitations.ErrAlreadyAccepted)
	}
	created, err := m.client.Create(ctx, invitations.CreateParams{
		EmailAddress:   old.EmailAddress,
		PublicMetadata: old.PublicMetadata,
		RedirectURL:    p.RedirectURL,
		ExpiresInDays:  p.ExpiresInDays,
		TemplateSlug:   p.TemplateSlug,
		Notify:         p.Notify,
		// The old invitation may still be pending until it is revoked below.
		IgnoreExisting: invitations.Ptr(old.Status == invitations.StatusPending),
	})
	if err != nil {
		return nil, err
	}
	out := &Reissued{Old: *old, New: *created}
	if old.Status != invitations.StatusPending {
		return out, nil
	}
	revoked, err := m.client.Revoke(ctx, old.ID)
	switch {
	case err == nil:
		out.Old = *revoked
	case errors.Is(err, invitations.ErrAlreadyRevoked):
		out.Old.Status, out.Old.Revoked = invitations.StatusRevoked, true
	default:
		return out, fmt.Errorf("lifecycle: reissue: created %s but the old invitation %s is still pending: %w", created.ID, old.ID, err)
	}
	return out, nil
}

func (m *Manager) reissueTarget(ctx context.Context, idOrEmail string) (*invitations.Invitation, error) {
	if !strings.Contains(idOrEmail, "@") {
		return m.client.Get(ctx, idOrEmail)
	}
	found, err := m.FindByEmail(ctx, idOrEmail, invitations.StatusPending, invitations.StatusExpired)
	if err != nil {
		return nil, err
	}
	for _, want := range []invitations.Status{invitations.StatusPending, invitations.StatusExpired} {
		for _, inv := range found { // newest first
			if inv.Status == want {
				return &inv, nil
			}
		}
	}
	return nil, fmt.Errorf("lifecycle: reissue: no pending or expired invitation for the address: %w", invitations.ErrNotFound)
}

// keyLocks serialises work per key (a lower-cased address) within one Manager: each key hashes
// to one of a fixed set of locks, so that no bookkeeping grows with the keys seen. Two addresses
// that share a lock merely wait for each other.
type keyLocks [64]chan struct{}

func newKeyLocks() *keyLocks {
	var k keyLocks
	for i := range k {
		k[i] = make(chan struct{}, 1)
	}
	return &k
}

// lock waits until key is free or ctx ends, and returns the function that frees it.
func (k *keyLocks) lock(ctx context.Context, key string) (func(), error) {
	h := fnv.New32a()
	h.Write([]byte(key))
	ch := k[h.Sum32()%uint32(len(k))]
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
