package invitations

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/retry"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// Create creates one invitation and returns it; Clerk emails the link unless p.Notify is
// Ptr(false). It never invites twice, nor reports failure for an invitation it made (see
// Retries in the package documentation). Errors: a *ValidationError; an *APIError matching
// ErrDuplicate (the address has a pending invitation), ErrInvalidRequest (a parameter refused,
// or the address is a user's), ErrRateLimited or ErrUnauthorized; a *TransportError or
// *ResponseError; any of them matching ErrOutcomeUnknown when the invitation may exist.
//
// Clerk operation: CreateInvitation, POST /invitations.
func (c *Client) Create(ctx context.Context, p CreateParams) (*Invitation, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	out, err := create(ctx, c, rules.OpCreate, []string{p.EmailAddress}, p.IgnoreExisting != nil && *p.IgnoreExisting,
		func(ctx context.Context) (*http.Response, error) { return c.api.CreateInvitation(ctx, p.toGenerated()) },
		generated.ParseCreateInvitationResponse, func(g *generated.Invitation) []generated.Invitation { return []generated.Invitation{*g} })
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

// BulkCreate creates one invitation per item, 1 to MaxBulkItems of them, and returns them in
// the order given. Clerk checks every item first: if one is refused, none is created. Its
// errors and guarantees are Create's, for every item; a *ValidationError names the item
// ("items[3].email_address").
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
		if err := p.Validate(); err != nil {
			verr := err.(*ValidationError) // Validate returns no other
			verr.Field = fmt.Sprintf("items[%d].%s", i, verr.Field)
			return nil, verr
		}
		req[i], addrs[i] = generated.BulkInvitationParams(p.toGenerated()), p.EmailAddress
		ignore = ignore || p.IgnoreExisting != nil && *p.IgnoreExisting
	}
	return create(ctx, c, rules.OpBulk, addrs, ignore,
		func(ctx context.Context) (*http.Response, error) { return c.api.CreateBulkInvitations(ctx, req) },
		generated.ParseCreateBulkInvitationsResponse, func(g *[]generated.Invitation) []generated.Invitation { return *g })
}

// create sends a create or bulk create for addrs and returns their invitations in order,
// settling an ambiguous outcome. With ignore (IgnoreExisting) Clerk would not refuse a repeat,
// so an attempt that may have taken effect is not followed by another.
func create[R answer[B], B any](ctx context.Context, c *Client, op string, addrs []string, ignore bool,
	request func(context.Context) (*http.Response, error), parse func(*http.Response) (R, error), list func(*B) []generated.Invitation) ([]Invitation, error) {
	call := &retry.Call{Op: op, Write: true, RetryAmbiguous: !ignore}
	began := time.Now()
	g, body, err := send(ctx, c, call, request, parse)
	var out []Invitation
	if err == nil {
		out, err = c.fromGenerated(call, body, list(g)...)
	}
	if err == nil && !slices.EqualFunc(out, addrs, func(inv Invitation, a string) bool { return strings.EqualFold(inv.EmailAddress, a) }) {
		err = c.unusable(call, http.StatusOK, body, fmt.Sprintf("%d invitations, not one for each of the %d items in order", len(out), len(addrs)), nil)
	}
	if err == nil {
		return out, nil
	}
	return c.settleCreate(ctx, call, began, addrs, err)
}

// List returns one page of the invitations matching p, with the number of matches. Without
// p.Statuses revoked invitations are left out, as Clerk lists them. Errors: a
// *ValidationError; an *APIError matching ErrInvalidRequest, ErrRateLimited or ErrUnauthorized;
// a *TransportError or *ResponseError.
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

// All returns an iterator over every invitation matching p, from p.Offset on, in pages of
// p.Limit (none: MaxLimit). It copies p and holds one page at a time. It yields an error once
// and stops, also with a *ResponseError when the server answers a page it answered before.
// Invitations created or revoked meanwhile can shift pages: filter by status for stable walks.
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

// Get returns the invitation with exactly this id, in any status, at the cost of a list call
// (Clerk has no get-by-id). Errors: Revoke's *ValidationError; one matching ErrNotFound when no
// invitation has the id; List's.
func (c *Client) Get(ctx context.Context, id string) (*Invitation, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	for inv, err := range c.All(ctx, ListParams{Query: id, Statuses: []Status{StatusPending, StatusAccepted, StatusRevoked, StatusExpired}}) {
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

// Revoke revokes a pending invitation and returns it: its link stops working. After an attempt
// without an answer, a retry's ErrAlreadyRevoked means that attempt revoked it. Errors: a
// *ValidationError for an id with anything but letters, digits, '_' and '-'; an *APIError
// matching ErrNotFound, ErrAlreadyRevoked, ErrAlreadyAccepted, ErrRateLimited or
// ErrUnauthorized; a *TransportError or *ResponseError.
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
	return nil, err
}

// Delete removes an invitation for good, whatever its status, with the copies of its email
// Clerk kept: what a data-erasure request needs. The address can be invited again; other records
// of it (a user) stay. After an attempt without an answer, a retry's 404 means that attempt
// deleted it. Errors: Revoke's *ValidationError; an *APIError matching ErrNotFound,
// ErrRateLimited or ErrUnauthorized; a *TransportError; a *ResponseError.
//
// Clerk operation: DeleteInvitation, DELETE /invitations/{invitation_id}, which Clerk's
// JavaScript SDK calls since @clerk/backend 3.25.0 and its published document lacks.
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
	return err
}
