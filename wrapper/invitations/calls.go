package invitations

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/retry"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// Create creates one invitation and returns it. Clerk emails the link unless p.Notify is
// Ptr(false).
//
// Errors: a *ValidationError, before any request, when p is invalid; an *APIError matching
// ErrDuplicate when a pending invitation exists for the address (and p.IgnoreExisting is not
// true), ErrInvalidRequest when Clerk rejects a parameter or the address belongs to a user,
// ErrRateLimited, ErrUnauthorized; a *TransportError or *ResponseError; any of them matching
// ErrOutcomeUnknown when the invitation may exist although the call failed.
//
// Create never sends an invitation twice and never reports failure for one it created: see
// "Retries" in the package documentation.
//
// Clerk operation: CreateInvitation, POST /invitations.
func (c *Client) Create(ctx context.Context, p CreateParams) (*Invitation, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	call := &retry.Call{Op: rules.OpCreate, Write: true, RetryAmbiguous: !isTrue(p.IgnoreExisting)}
	began := time.Now()
	g, body, err := send(ctx, c, call, func(ctx context.Context) (*http.Response, error) { return c.api.CreateInvitation(ctx, p.toGenerated()) },
		generated.ParseCreateInvitationResponse)
	if err == nil {
		var invs []Invitation
		if invs, err = c.fromGenerated(call, body, *g); err == nil {
			return &invs[0], nil
		}
	}
	found, err := c.settleCreate(ctx, call, began, []string{p.EmailAddress}, err)
	if err != nil {
		return nil, err
	}
	return &found[0], nil
}

// BulkCreate creates one invitation per item, 1 to MaxBulkItems items, and returns them in
// the order given. Clerk checks every item first: if one fails, none is created.
//
// Errors are those of Create; a *ValidationError names the item, e.g. "items[3].email_address".
// An answer that does not hold one invitation per item, in order, is a *ResponseError. The
// guarantees are those of Create, for every item.
//
// Clerk operation: CreateBulkInvitations, POST /invitations/bulk.
func (c *Client) BulkCreate(ctx context.Context, items []CreateParams) ([]Invitation, error) {
	if len(items) == 0 || len(items) > rules.MaxBulkItems {
		return nil, &ValidationError{Field: "items", Reason: fmt.Sprintf("has %d items, want 1..%d", len(items), rules.MaxBulkItems)}
	}
	req := make(generated.CreateBulkInvitationsJSONRequestBody, len(items))
	addrs := make([]string, len(items))
	ignore := false
	for i, p := range items {
		if err := p.validate(); err != nil {
			err.Field = fmt.Sprintf("items[%d].%s", i, err.Field)
			return nil, err
		}
		req[i] = generated.BulkInvitationParams(p.toGenerated())
		addrs[i] = p.EmailAddress
		ignore = ignore || isTrue(p.IgnoreExisting)
	}
	call := &retry.Call{Op: rules.OpBulk, Write: true, RetryAmbiguous: !ignore}
	began := time.Now()
	list, body, err := send(ctx, c, call, func(ctx context.Context) (*http.Response, error) { return c.api.CreateBulkInvitations(ctx, req) },
		generated.ParseCreateBulkInvitationsResponse)
	if err == nil {
		var out []Invitation
		if out, err = c.fromGenerated(call, body, *list...); err == nil {
			if err = c.checkBulk(call, body, out, addrs); err == nil {
				return out, nil
			}
		}
	}
	return c.settleCreate(ctx, call, began, addrs, err)
}

// checkBulk makes sure a bulk create's answer holds one invitation per item, in order.
func (c *Client) checkBulk(call *retry.Call, body []byte, out []Invitation, addrs []string) error {
	if len(out) != len(addrs) {
		return c.unusable(call, http.StatusOK, body, fmt.Sprintf("%d invitations for %d items", len(out), len(addrs)), nil)
	}
	for i, inv := range out {
		if !strings.EqualFold(inv.EmailAddress, addrs[i]) {
			return c.unusable(call, http.StatusOK, body, fmt.Sprintf("invitation %d is not for item %d's address", i, i), nil)
		}
	}
	return nil
}

// List returns one page of invitations matching p, with the total number of matches. Without
// p.Statuses, revoked invitations are left out, as Clerk lists them. To walk every page, use All.
//
// Errors: a *ValidationError, before any request, when p is invalid; an *APIError matching
// ErrInvalidRequest, ErrRateLimited or ErrUnauthorized; a *TransportError or *ResponseError.
//
// Clerk operation: ListInvitations, GET /invitations?paginated=true.
func (c *Client) List(ctx context.Context, p ListParams) (*Page, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	call := &retry.Call{Op: rules.OpList}
	page, body, err := send(ctx, c, call, func(ctx context.Context) (*http.Response, error) { return c.api.ListInvitations(ctx, p.toGenerated()) },
		generated.ParseListInvitationsResponse)
	if err != nil {
		return nil, err
	}
	if page.Data == nil {
		return nil, c.unusable(call, http.StatusOK, body, "the page has no data", nil)
	}
	invs, err := c.fromGenerated(call, body, page.Data...)
	if err != nil {
		return nil, err
	}
	return &Page{Invitations: invs, TotalCount: int(page.TotalCount)}, nil
}

// All returns an iterator over every invitation matching p, fetching pages of p.Limit from
// p.Offset on; with no Limit, pages of MaxLimit, the fewest calls against Clerk's budgets. It
// copies p, so changing p afterwards has no effect. It holds one page at a time: the memory a
// walk takes does not grow with the number of invitations. On an error it yields the error once
// and stops; breaking out of the loop stops fetching. It stops after the last page by the total
// count, or after a page shorter than the limit; a server that answers any page it answered
// before (ignoring offset) ends the walk with a *ResponseError rather than looping.
//
// Invitations created or revoked during the walk can shift pages, so an invitation may be
// seen twice or missed; filter by status or order by created_at for stable walks.
func (c *Client) All(ctx context.Context, p ListParams) iter.Seq2[Invitation, error] {
	p.Statuses = append([]Status(nil), p.Statuses...)
	return func(yield func(Invitation, error) bool) {
		q := p
		if q.Limit == 0 {
			q.Limit = rules.MaxLimit
		}
		seen := map[[2]string]int{} // a page's first and last id -> the offset that answered it
		for {
			page, err := c.List(ctx, q)
			if err != nil {
				yield(Invitation{}, err)
				return
			}
			n := len(page.Invitations)
			if n > 0 {
				key := [2]string{page.Invitations[0].ID, page.Invitations[n-1].ID}
				if before, ok := seen[key]; ok {
					yield(Invitation{}, &ResponseError{Operation: OpList, StatusCode: http.StatusOK, Attempts: 1,
						Reason: fmt.Sprintf("offset %d answered the page offset %d answered: the server ignores offset", q.Offset, before)})
					return
				}
				seen[key] = q.Offset
			}
			for _, inv := range page.Invitations {
				if !yield(inv, nil) {
					return
				}
			}
			q.Offset += n
			if n < q.Limit || q.Offset >= page.TotalCount {
				return
			}
		}
	}
}

// everyStatus lists invitations of any status, revoked included.
var everyStatus = []Status{StatusPending, StatusAccepted, StatusRevoked, StatusExpired}

// Get returns the invitation with exactly this id, in any status. Clerk has no get-by-id
// endpoint, so Get lists with the id as the query (a substring match) and keeps the exact match:
// one list call.
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

// Revoke revokes a pending invitation and returns it with Status StatusRevoked. The link stops
// working; the person can still sign up the ordinary way. To remove the invitation altogether,
// use Delete.
//
// Errors: a *ValidationError, before any request, when id is empty or holds anything but
// letters, digits, '_' and '-'; an *APIError matching ErrNotFound for an unknown id,
// ErrAlreadyRevoked, ErrAlreadyAccepted, ErrRateLimited or ErrUnauthorized; a *TransportError or
// *ResponseError. A retry that meets ErrAlreadyRevoked after an attempt without an answer
// returns the revoked invitation instead: that attempt revoked it.
//
// Clerk operation: RevokeInvitation, POST /invitations/{invitation_id}/revoke.
func (c *Client) Revoke(ctx context.Context, id string) (*Invitation, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	call := &retry.Call{Op: rules.OpRevoke, Write: true, RetryAmbiguous: true}
	g, body, err := send(ctx, c, call, func(ctx context.Context) (*http.Response, error) { return c.api.RevokeInvitation(ctx, id) },
		generated.ParseRevokeInvitationResponse)
	if err == nil {
		var invs []Invitation
		if invs, err = c.fromGenerated(call, body, *g); err == nil {
			return &invs[0], nil
		}
	}
	if !call.MaybeApplied || !(reconcilable(ctx, err) || errors.Is(err, ErrAlreadyRevoked)) {
		return nil, err
	}
	found, lookupErr := c.Get(ctx, id)
	if lookupErr == nil && found.Status == StatusRevoked {
		return found, nil
	}
	return nil, settled(err, false)
}

// Delete removes an invitation for good, whatever its status, together with the copies of the
// invitation email Clerk kept for its recipient: what a data-erasure request needs. Afterwards
// List no longer shows it and the address can be invited again. Records of the same address
// elsewhere (a user, organization invitations) are not touched.
//
// Errors: a *ValidationError, before any request, for an id Revoke would refuse; an *APIError
// matching ErrNotFound for an unknown or already deleted id, ErrRateLimited or ErrUnauthorized;
// a *TransportError; a *ResponseError for a 2xx answer that does not confirm the deletion of
// id. A retry that meets ErrNotFound after an attempt without an answer is a success: that
// attempt deleted it.
//
// Clerk operation: DeleteInvitation, DELETE /invitations/{invitation_id}. Clerk's published
// document does not list it yet; Clerk's JavaScript SDK calls it since @clerk/backend 3.25.0.
func (c *Client) Delete(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	call := &retry.Call{Op: rules.OpDelete, Write: true, RetryAmbiguous: true}
	out, body, err := send(ctx, c, call, func(ctx context.Context) (*http.Response, error) { return c.api.DeleteInvitation(ctx, id) },
		generated.ParseDeleteInvitationResponse)
	if err == nil && (!out.Deleted || out.ID != "" && out.ID != id) {
		err = c.unusable(call, http.StatusOK, body, fmt.Sprintf("the answer does not confirm that %s was deleted", id), nil)
	}
	switch {
	case err == nil || !call.MaybeApplied:
		return err
	case errors.Is(err, ErrNotFound):
		return nil
	case !reconcilable(ctx, err):
		return err
	}
	if _, lookupErr := c.Get(ctx, id); errors.Is(lookupErr, errNoSuchID) {
		return nil // gone
	}
	return settled(err, false)
}

func isTrue(b *bool) bool { return b != nil && *b }
