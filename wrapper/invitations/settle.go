package invitations

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/retry"
)

// A write that may have taken effect without the client knowing (retry.Call.MaybeApplied, the
// one record of it: set by the retry layer for an attempt without a usable answer or a proxy's
// 502/503/504, and by unusable for a 2xx the client cannot use) is settled by looking at what
// the server holds. This file holds those lookups.

// settleCreate settles a create or bulk create begun at began that failed with err: when the
// call may have created the invitations, it looks for them, and returns them if found.
func (c *Client) settleCreate(ctx context.Context, call *retry.Call, began time.Time, addrs []string, err error) ([]Invitation, error) {
	if !call.MaybeApplied || !reconcilable(ctx, err) {
		return nil, err
	}
	found, lookupErr := c.findCreated(ctx, began, addrs)
	if lookupErr == nil && found != nil {
		return found, nil
	}
	return nil, settled(err, lookupErr == nil)
}

// reconcilable reports whether err leaves a write's outcome open, so that looking at what the
// server holds can settle it: no usable answer, a proxy's 502/503/504, or a duplicate_record
// that an earlier attempt of the same call may have caused. Once the caller's context has
// ended nothing more is sent, so nothing can be settled.
func reconcilable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return true // a *TransportError or *ResponseError: no usable answer
	}
	switch apiErr.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return errors.Is(err, ErrDuplicate)
}

// settled returns err after a lookup that did not find the call's effect. looked says the lookup
// ran and saw the server's state; a duplicate_record is then the plain truth (the invitation was
// there before the call), and it no longer matches ErrOutcomeUnknown.
func settled(err error, looked bool) error {
	var apiErr *APIError
	if looked && errors.As(err, &apiErr) && errors.Is(err, ErrDuplicate) {
		apiErr.MaybeApplied = false
	}
	return err
}

// clockSlack allows for the one-second resolution of the Date header and rounding.
const clockSlack = 2 * time.Second

// findCreated looks for the pending invitations a create or bulk create call that began at
// began made for addrs, one per address in order. It returns nil when not all are there.
//
// "Made by the call" is "created since the call began", on the server's clock: began moved by
// how far the server's Date headers show its clock to be from the client's. Before any Date
// header, two minutes before began.
func (c *Client) findCreated(ctx context.Context, began time.Time, addrs []string) ([]Invitation, error) {
	p := ListParams{Statuses: []Status{StatusPending}, OrderBy: "-created_at"}
	if len(addrs) == 1 {
		p.Query = addrs[0] // a substring match; the exact comparison is below
	}
	want := map[string]int{}
	for _, a := range addrs {
		want[strings.ToLower(a)]++
	}
	candidates := map[string][]Invitation{}
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
		if key := strings.ToLower(inv.EmailAddress); want[key] > 0 {
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
