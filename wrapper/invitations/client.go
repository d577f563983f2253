package invitations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/pacing"
	"github.com/clerk-invitations/clerk-invitations-go/internal/retry"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// maxResponseBody bounds how much of a response the client reads. A full page of 500
// invitations is well under 1 MiB.
const maxResponseBody = 16 << 20

// Backoff between retries: full jitter, uniform in [0, min(maxBackoff, baseBackoff·2^n)).
const (
	baseBackoff = 500 * time.Millisecond
	maxBackoff  = 8 * time.Second
)

// Client calls Clerk's invitation endpoints. Create one with New and reuse it: it holds no
// per-call state and is safe for concurrent use by multiple goroutines, which share its pacing
// budgets (WithPacing).
type Client struct {
	api        *generated.Client
	secretKey  string
	baseURL    string
	apiVersion string
	pacer      *pacing.Limiter // nil without WithPacing
	// skew is the server's clock less the client's, from the latest Date header; nil before one.
	skew atomic.Pointer[time.Duration]

	addressLocks *keyLocks // EnsureInvited: one call per address at a time
}

// ErrInsecureBaseURL is New's error for a plain http base URL on a host other than loopback.
var ErrInsecureBaseURL = errors.New("would send the secret key unencrypted; use https, or WithInsecureHTTP on a network you trust")

// New returns a Client that authenticates with secretKey, an instance's secret key
// ("sk_test_…" or "sk_live_…"). Without options it talks to DefaultBaseURL with
// DefaultTimeout per attempt, DefaultRetries and DefaultAPIVersion, and does not pace itself. It
// returns an error, and no Client, when the key is malformed, an option rejects its argument or
// the base URL is plain http on a host other than loopback (ErrInsecureBaseURL; see
// WithInsecureHTTP); the error never contains the key.
func New(secretKey string, opts ...Option) (*Client, error) {
	if err := checkSecretKey(secretKey); err != nil {
		return nil, err
	}
	cfg := config{baseURL: DefaultBaseURL, apiVersion: DefaultAPIVersion, retries: DefaultRetries, maxRetryWait: DefaultMaxRetryWait}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("invitations: New: nil Option")
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if u, err := url.Parse(cfg.baseURL); err == nil && u.Scheme == "http" && !isLoopback(u.Hostname()) && !cfg.insecureHTTP {
		return nil, fmt.Errorf("invitations: New: %q %w", cfg.baseURL, ErrInsecureBaseURL)
	}
	ua := "clerk-invitations-go/" + Version
	if cfg.userAgent != "" {
		ua = cfg.userAgent + " " + ua
	}
	c := &Client{secretKey: secretKey, baseURL: cfg.baseURL, apiVersion: cfg.apiVersion, addressLocks: newKeyLocks()}
	doer := &retry.Doer{
		Next:   httpClient(cfg),
		Policy: retry.Policy{MaxRetries: cfg.retries, MaxWait: cfg.maxRetryWait, BaseDelay: baseBackoff, MaxDelay: maxBackoff, MaxBody: maxResponseBody},
		Logger: cfg.logger,
		Secret: secretKey,
		Skew:   func(d time.Duration) { c.skew.Store(&d) },
	}
	if b := cfg.budgets; b != nil {
		c.pacer = pacing.New(b.Overall, map[string]pacing.Budget{rules.OpCreate: b.Create, rules.OpBulk: b.Bulk})
		doer.Pacer = c.pacer
	}
	api, err := newAPI(cfg.baseURL, doer, secretKey, cfg.apiVersion, ua)
	if err != nil {
		return nil, fmt.Errorf("invitations: New: %w", err)
	}
	c.api = api
	return c, nil
}

// httpClient returns the http.Client the calls go through: the caller's or a new one, copied,
// with the timeout and a redirect rule that keeps the key on its host.
func httpClient(cfg config) *http.Client {
	hc := &http.Client{Timeout: DefaultTimeout}
	if cfg.httpClient != nil {
		copied := *cfg.httpClient
		hc = &copied
	}
	if cfg.timeout > 0 {
		hc.Timeout = cfg.timeout
	}
	next := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if first := via[0].URL; req.URL.Host != first.Host || req.URL.Scheme != first.Scheme {
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return hc
}

func checkSecretKey(key string) error {
	switch {
	case key == "":
		return errors.New("invitations: New: secret key is empty")
	case !strings.HasPrefix(key, "sk_"):
		return errors.New(`invitations: New: secret key does not start with "sk_" (is it a publishable key?)`)
	case strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return errors.New("invitations: New: secret key contains spaces or control characters")
	}
	return nil
}

// String describes the client without its secret key.
func (c *Client) String() string {
	return fmt.Sprintf("invitations.Client{baseURL: %q, apiVersion: %q, secretKey: %q}", c.baseURL, c.apiVersion, maskKey(c.secretKey))
}

// GoString is String, so that %#v does not print the key either.
func (c *Client) GoString() string { return c.String() }

// maskKey keeps the key's environment prefix and hides the secret.
func maskKey(key string) string {
	if i := strings.LastIndexByte(key, '_'); i > 0 && i < len(key)-1 {
		return key[:i+1] + "***"
	}
	return "***"
}

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
	ignore := p.IgnoreExisting != nil && *p.IgnoreExisting
	call := &retry.Call{Op: rules.OpCreate, Write: true, RetryAmbiguous: !ignore}
	began := time.Now()
	g, raw, err := send(ctx, c, call, func(ctx context.Context) (*http.Response, error) { return c.api.CreateInvitation(ctx, p.toGenerated()) },
		generated.ParseCreateInvitationResponse, generated.CreateInvitationResponse.GetJSON200)
	if err == nil {
		var invs []Invitation
		if invs, err = fromGenerated(call, raw, *g); err == nil {
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
	body := make(generated.CreateBulkInvitationsJSONRequestBody, len(items))
	addrs := make([]string, len(items))
	ignore := false
	for i, p := range items {
		if err := p.validate(); err != nil {
			err.Field = fmt.Sprintf("items[%d].%s", i, err.Field)
			return nil, err
		}
		body[i] = generated.BulkInvitationParams(p.toGenerated())
		addrs[i] = p.EmailAddress
		ignore = ignore || p.IgnoreExisting != nil && *p.IgnoreExisting
	}
	call := &retry.Call{Op: rules.OpBulk, Write: true, RetryAmbiguous: !ignore}
	began := time.Now()
	out, err := c.bulk(ctx, call, body, addrs)
	if err == nil {
		return out, nil
	}
	return c.settleCreate(ctx, call, began, addrs, err)
}

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

func (c *Client) bulk(ctx context.Context, call *retry.Call, body generated.CreateBulkInvitationsJSONRequestBody, addrs []string) ([]Invitation, error) {
	list, raw, err := send(ctx, c, call, func(ctx context.Context) (*http.Response, error) { return c.api.CreateBulkInvitations(ctx, body) },
		generated.ParseCreateBulkInvitationsResponse, generated.CreateBulkInvitationsResponse.GetJSON200)
	if err != nil {
		return nil, err
	}
	if len(*list) != len(addrs) {
		return nil, unusable(call, raw, fmt.Sprintf("%d invitations for %d items", len(*list), len(addrs)), nil)
	}
	for i, inv := range *list {
		if !strings.EqualFold(inv.EmailAddress, addrs[i]) {
			return nil, unusable(call, raw, fmt.Sprintf("invitation %d is not for item %d's address", i, i), nil)
		}
	}
	return fromGenerated(call, raw, *list...)
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
	page, raw, err := send(ctx, c, call, func(ctx context.Context) (*http.Response, error) { return c.api.ListInvitations(ctx, p.toGenerated()) },
		generated.ParseListInvitationsResponse, generated.ListInvitationsResponse.GetJSON200)
	total, list := -1, []generated.Invitation(nil)
	switch {
	case err == nil && page.Data == nil:
		return nil, unusable(call, raw, "the page has no data", nil)
	case err == nil:
		total, list = int(page.TotalCount), page.Data
	// The generated type is the page the client asks for. A bare array, Clerk's answer to a
	// list without paginated, is read too, without a count.
	case raw == nil || json.Unmarshal(raw, &list) != nil:
		return nil, err
	}
	invs, err := fromGenerated(call, raw, list...)
	if err != nil {
		return nil, err
	}
	return &Page{Invitations: invs, TotalCount: total}, nil
}

// All returns an iterator over every invitation matching p, fetching pages of p.Limit from
// p.Offset on; with no Limit, pages of MaxLimit, the fewest calls against Clerk's budgets. It
// copies p, so changing p afterwards has no effect. It holds one page at a time: the memory a
// walk takes does not grow with the number of invitations. On an error it yields the error once
// and stops; breaking out of the loop stops fetching. It stops after the
// last page by the total count, or, when the server sends none, after a page shorter than the
// limit; a server that answers any page it answered before (ignoring offset) ends the walk with a
// *ResponseError rather than looping.
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
		limit := q.Limit
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
					yield(Invitation{}, &ResponseError{Operation: rules.OpList, StatusCode: http.StatusOK, Attempts: 1,
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
			if n == 0 || n < limit || page.TotalCount >= 0 && q.Offset >= page.TotalCount {
				return
			}
		}
	}
}

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
	g, raw, err := send(ctx, c, call, func(ctx context.Context) (*http.Response, error) { return c.api.RevokeInvitation(ctx, id) },
		generated.ParseRevokeInvitationResponse, generated.RevokeInvitationResponse.GetJSON200)
	if err == nil {
		var invs []Invitation
		if invs, err = fromGenerated(call, raw, *g); err == nil {
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
	out, raw, err := send(ctx, c, call, func(ctx context.Context) (*http.Response, error) { return c.api.DeleteInvitation(ctx, id) },
		generated.ParseDeleteInvitationResponse, generated.DeleteInvitationResponse.GetJSON200)
	if err == nil && (!out.Deleted || out.ID != "" && out.ID != id) {
		err = unusable(call, raw, fmt.Sprintf("the answer does not confirm that %s was deleted", id), nil)
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
