package invitations

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/retry"
)

// settleCreate settles a create or bulk create begun at began that failed with err: when the
// call may have created the invitations, it returns them if it finds them.
func (c *Client) settleCreate(ctx context.Context, call *retry.Call, began time.Time, addrs []string, err error) ([]Invitation, error) {
	if !call.MaybeApplied || !reconcilable(ctx, err) {
		return nil, err
	}
	found, lookupErr := c.findCreated(ctx, began, addrs)
	if lookupErr == nil && found != nil {
		return found, nil
	}
	// The lookup saw the server's state: a duplicate_record is then the plain truth.
	var apiErr *APIError
	if lookupErr == nil && errors.As(err, &apiErr) && errors.Is(err, ErrDuplicate) {
		apiErr.MaybeApplied = false
	}
	return nil, err
}

// reconcilable reports whether a lookup can settle a write that failed with err: no usable
// answer, a proxy's 502/503/504, or a duplicate_record an earlier attempt may have caused; and
// the context has not ended.
func reconcilable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return true // a *TransportError or *ResponseError: no usable answer
	}
	status := apiErr.StatusCode
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout || errors.Is(err, ErrDuplicate)
}

// clockSlack allows for the one-second resolution of the Date header and rounding.
const clockSlack = 2 * time.Second

// findCreated returns the pending invitations a create or bulk create begun at began made for
// addrs, in order, or nil when not all are there: those created since began on the server's
// clock (as its Date headers show it; before any, two minutes before began).
func (c *Client) findCreated(ctx context.Context, began time.Time, addrs []string) ([]Invitation, error) {
	p := ListParams{Statuses: []Status{StatusPending}, OrderBy: "-created_at"}
	if len(addrs) == 1 {
		p.Query = addrs[0] // a substring match; the exact comparison is below
	}
	candidates := map[string][]Invitation{} // by lower-cased address
	for inv, err := range c.All(ctx, p) {
		if err != nil {
			return nil, err
		}
		since := began.Add(-2 * time.Minute)
		if skew := c.skew.Load(); skew != nil {
			since = began.Add(*skew - clockSlack)
		}
		if inv.CreatedAt.Before(since) {
			break // newest first: the rest is older still
		}
		if slices.ContainsFunc(addrs, func(a string) bool { return strings.EqualFold(a, inv.EmailAddress) }) {
			key := strings.ToLower(inv.EmailAddress)
			candidates[key] = append(candidates[key], inv)
		}
	}
	out := make([]Invitation, len(addrs))
	for i, a := range addrs {
		key := strings.ToLower(a)
		if len(candidates[key]) == 0 {
			return nil, nil
		}
		out[i], candidates[key] = candidates[key][0], candidates[key][1:]
	}
	return out, nil
}
