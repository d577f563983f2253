package invitations

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// everyStatus lists invitations of any status, revoked included.
var everyStatus = []Status{StatusPending, StatusAccepted, StatusRevoked, StatusExpired}

// Get returns the invitation with exactly this id, in any status. Clerk has no get-by-id
// endpoint, so Get lists with the id as the query (a substring match) and keeps the exact match.
//
// Cost: one list call (another per 500 further substring matches, which an id does not have).
//
// Errors: a *ValidationError for an id Revoke would refuse; an error matching ErrNotFound when
// no invitation has the id; otherwise List's errors.
func (c *Client) Get(ctx context.Context, id string) (*Invitation, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	for inv, err := range c.All(ctx, ListParams{Query: id, Statuses: everyStatus}) {
		if err != nil {
			return nil, err
		}
		if inv.ID == id {
			return &inv, nil
		}
	}
	return nil, fmt.Errorf("invitations: get: no invitation has id %s: %w", id, errNoSuchID)
}

// errNoSuchID is Get's answer when the list holds no invitation with the id: it matches
// ErrNotFound, and, unlike a 404 from a proxy, says the server was asked and has none.
var errNoSuchID = fmt.Errorf("%w", ErrNotFound)

// FindByEmail returns the invitations for email, newest first, in the given statuses; with no
// statuses, in every status, revoked included. The address matches exactly, ignoring case:
// never a substring hit such as bada@example.com for ada@example.com.
//
// Cost: one list call per 500 invitations whose address or id contains email.
//
// Errors: a *ValidationError when email is not a plain address; otherwise List's errors.
// Finding nothing is not an error: the slice is empty.
func (c *Client) FindByEmail(ctx context.Context, email string, statuses ...Status) ([]Invitation, error) {
	if err := rules.CheckEmail(email); err != nil {
		return nil, &ValidationError{Field: "email_address", Reason: err.Error()}
	}
	if len(statuses) == 0 {
		statuses = everyStatus
	}
	var out []Invitation
	for inv, err := range c.All(ctx, ListParams{Query: email, Statuses: statuses, OrderBy: "-created_at"}) {
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
// calls for the same address on one Client wait for each other, and a create that meets
// another's pending invitation (duplicate_record) returns that one.
//
// Cost: one list call; one create more when the address has no pending invitation (and one
// list more when another process invited it in between). Checking first spends Clerk's hourly
// create budget only on addresses that need an invitation.
//
// Errors: those of FindByEmail and Create; a *ValidationError when p.IgnoreExisting is true,
// since that asks for the second invitation EnsureInvited exists to avoid.
func (c *Client) EnsureInvited(ctx context.Context, p CreateParams) (inv *Invitation, created bool, err error) {
	if err := p.validate(); err != nil {
		return nil, false, err
	}
	if p.IgnoreExisting != nil && *p.IgnoreExisting {
		return nil, false, &ValidationError{Field: "ignore_existing", Reason: "EnsureInvited never creates a second pending invitation; leave it unset"}
	}
	unlock, err := c.addressLocks.lock(ctx, strings.ToLower(p.EmailAddress))
	if err != nil {
		return nil, false, fmt.Errorf("invitations: ensure invited: %w", err)
	}
	defer unlock()
	if existing, err := c.newestPending(ctx, p.EmailAddress); err != nil || existing != nil {
		return existing, false, err
	}
	inv, err = c.Create(ctx, p)
	if errors.Is(err, ErrDuplicate) {
		// Invited by someone else since the lookup.
		if existing, lookupErr := c.newestPending(ctx, p.EmailAddress); lookupErr == nil && existing != nil {
			return existing, false, nil
		}
	}
	if err != nil {
		return nil, false, err
	}
	return inv, true, nil
}

func (c *Client) newestPending(ctx context.Context, email string) (*Invitation, error) {
	found, err := c.FindByEmail(ctx, email, StatusPending)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	return &found[0], nil
}

// RevokeByEmail revokes every pending invitation of email and returns them revoked. An address
// without a pending invitation is not an error: the slice is empty. An invitation revoked or
// deleted by someone else meanwhile is skipped.
//
// Cost: FindByEmail's list calls, then one revoke per pending invitation.
//
// Errors: those of FindByEmail; when some revokes fail, the invitations revoked so far together
// with the failures, joined.
func (c *Client) RevokeByEmail(ctx context.Context, email string) ([]Invitation, error) {
	pending, err := c.FindByEmail(ctx, email, StatusPending)
	if err != nil {
		return nil, err
	}
	var revoked []Invitation
	var errs []error
	for _, inv := range pending {
		got, err := c.Revoke(ctx, inv.ID)
		switch {
		case err == nil:
			revoked = append(revoked, *got)
		case errors.Is(err, ErrAlreadyRevoked), errors.Is(err, ErrNotFound), errors.Is(err, ErrAlreadyAccepted):
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
func (c *Client) DeleteByEmail(ctx context.Context, email string) ([]string, error) {
	all, err := c.FindByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	var deleted []string
	var errs []error
	for _, inv := range all {
		if err := c.Delete(ctx, inv.ID); err != nil && !errors.Is(err, ErrNotFound) {
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
// CreateParams (an email is sent unless Notify is Ptr(false)).
type ReissueParams struct {
	RedirectURL   string
	ExpiresInDays int
	TemplateSlug  TemplateSlug
	Notify        *bool
}

// Reissued is the outcome of Reissue.
type Reissued struct {
	Old Invitation // the invitation replaced: revoked now if it was pending, else as it was
	New Invitation // the invitation that replaces it, pending
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
// Errors: a *ValidationError for input Create or Get would refuse; an error matching ErrNotFound
// when there is nothing to reissue, ErrAlreadyAccepted when the person already signed up through
// the invitation; Create's errors, with no change made; Revoke's, with the new invitation
// created and returned in Reissued.New.
func (c *Client) Reissue(ctx context.Context, idOrEmail string, p ReissueParams) (*Reissued, error) {
	old, err := c.reissueTarget(ctx, idOrEmail)
	if err != nil {
		return nil, err
	}
	if old.Status == StatusAccepted {
		return nil, fmt.Errorf("invitations: reissue: %s was accepted; the person has signed up: %w", old.ID, ErrAlreadyAccepted)
	}
	create := CreateParams{
		EmailAddress:   old.EmailAddress,
		PublicMetadata: old.PublicMetadata,
		RedirectURL:    p.RedirectURL,
		ExpiresInDays:  p.ExpiresInDays,
		TemplateSlug:   p.TemplateSlug,
		Notify:         p.Notify,
		// The old invitation may still be pending until it is revoked below.
		IgnoreExisting: Ptr(old.Status == StatusPending),
	}
	created, err := c.Create(ctx, create)
	if err != nil {
		return nil, err
	}
	out := &Reissued{Old: *old, New: *created}
	if old.Status != StatusPending {
		return out, nil
	}
	revoked, err := c.Revoke(ctx, old.ID)
	switch {
	case err == nil:
		out.Old = *revoked
	case errors.Is(err, ErrAlreadyRevoked):
		out.Old.Status, out.Old.Revoked = StatusRevoked, true
	default:
		return out, fmt.Errorf("invitations: reissue: created %s but the old invitation %s is still pending: %w", created.ID, old.ID, err)
	}
	return out, nil
}

func (c *Client) reissueTarget(ctx context.Context, idOrEmail string) (*Invitation, error) {
	if !strings.Contains(idOrEmail, "@") {
		return c.Get(ctx, idOrEmail)
	}
	found, err := c.FindByEmail(ctx, idOrEmail, StatusPending, StatusExpired)
	if err != nil {
		return nil, err
	}
	for _, want := range []Status{StatusPending, StatusExpired} {
		for _, inv := range found { // newest first
			if inv.Status == want {
				return &inv, nil
			}
		}
	}
	return nil, fmt.Errorf("invitations: reissue: no pending or expired invitation for the address: %w", ErrNotFound)
}

// keyLocks serialises work per key (a lower-cased address) within one Client: each key hashes
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
