package invitations

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strings"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// maxResponseBody bounds how much of a response the client reads. A full page of 500
// invitations is well under 1 MiB.
const maxResponseBody = 16 << 20

// Client calls Clerk's invitation endpoints. Create one with New and reuse it: it holds no
// per-call state and is safe for concurrent use by multiple goroutines.
type Client struct {
	api        *generated.Client
	secretKey  string
	baseURL    string
	apiVersion string
	userAgent  string
}

// New returns a Client that authenticates with secretKey, an instance's secret key
// ("sk_test_…" or "sk_live_…"). Without options it talks to DefaultBaseURL with
// DefaultTimeout and DefaultAPIVersion. It returns an error, and no Client, when the key is
// malformed or an option rejects its argument; the error never contains the key.
func New(secretKey string, opts ...Option) (*Client, error) {
	if err := checkSecretKey(secretKey); err != nil {
		return nil, err
	}
	cfg := config{baseURL: DefaultBaseURL, apiVersion: DefaultAPIVersion}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("invitations: New: nil Option")
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	hc := cfg.httpClient
	switch {
	case hc == nil:
		hc = &http.Client{Timeout: DefaultTimeout}
		if cfg.timeout > 0 {
			hc.Timeout = cfg.timeout
		}
	case cfg.timeout > 0:
		copied := *hc
		copied.Timeout = cfg.timeout
		hc = &copied
	}
	ua := "clerk-invitations-go/" + Version
	if cfg.userAgent != "" {
		ua = cfg.userAgent + " " + ua
	}
	c := &Client{secretKey: secretKey, baseURL: cfg.baseURL, apiVersion: cfg.apiVersion, userAgent: ua}
	api, err := generated.NewClient(cfg.baseURL, generated.WithHTTPClient(hc), generated.WithRequestEditorFn(c.setHeaders))
	if err != nil {
		return nil, fmt.Errorf("invitations: New: %w", err)
	}
	c.api = api
	return c, nil
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

func (c *Client) setHeaders(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", "Bearer "+c.secretKey)
	req.Header.Set("Clerk-API-Version", c.apiVersion)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	return nil
}

// Create creates one invitation and returns it. Clerk emails the link unless p.Notify is
// Ptr(false).
//
// Errors: a *ValidationError, before any request, when p is invalid; an *APIError matching
// ErrDuplicate when a pending invitation exists for the address (and p.IgnoreExisting is not
// true), ErrInvalidRequest when Clerk rejects a parameter or the address belongs to a user,
// ErrRateLimited, ErrUnauthorized; otherwise the transport's error, wrapped.
//
// Create is not idempotent: after a timeout the invitation may exist. Before retrying, look for
// it with List(ctx, ListParams{Query: email, Statuses: []Status{StatusPending}}) and keep only
// invitations whose EmailAddress equals the address ignoring case (strings.EqualFold): Query is a
// substring match, so "ada@example.com" also finds "bada@example.com".
//
// Clerk operation: CreateInvitation, POST /invitations.
func (c *Client) Create(ctx context.Context, p CreateParams) (*Invitation, error) {
	if err := p.validate(""); err != nil {
		return nil, err
	}
	return c.one(ctx, "create", func(ctx context.Context) (*http.Response, error) {
		return c.api.CreateInvitation(ctx, p.toGenerated())
	})
}

// BulkCreate creates one invitation per item, 1 to MaxBulkItems items, and returns them in
// the order given. Clerk checks every item first: if one fails, none is created.
//
// Errors are those of Create; a *ValidationError names the item, e.g. "items[3].email_address".
//
// Clerk operation: CreateBulkInvitations, POST /invitations/bulk.
func (c *Client) BulkCreate(ctx context.Context, items []CreateParams) ([]Invitation, error) {
	if len(items) == 0 || len(items) > rules.MaxBulkItems {
		return nil, &ValidationError{Field: "items", Reason: fmt.Sprintf("has %d items, want 1..%d", len(items), rules.MaxBulkItems)}
	}
	body := make(generated.CreateBulkInvitationsJSONRequestBody, len(items))
	for i, p := range items {
		if err := p.validate(fmt.Sprintf("items[%d].", i)); err != nil {
			return nil, err
		}
		body[i] = generated.BulkInvitationParams(p.toGenerated())
	}
	raw, err := c.do(ctx, "bulk create", func(ctx context.Context) (*http.Response, error) {
		return c.api.CreateBulkInvitations(ctx, body)
	})
	if err != nil {
		return nil, err
	}
	out, err := decode[[]generated.Invitation]("bulk create", raw)
	if err != nil {
		return nil, err
	}
	return fromGeneratedList(out), nil
}

// List returns one page of invitations matching p, with the total number of matches. Without
// p.Statuses, revoked invitations are left out, as Clerk lists them. To walk every page, use All.
//
// Errors: a *ValidationError, before any request, when p is invalid; an *APIError matching
// ErrInvalidRequest, ErrRateLimited or ErrUnauthorized; otherwise the transport's error, wrapped.
//
// Clerk operation: ListInvitations, GET /invitations?paginated=true.
func (c *Client) List(ctx context.Context, p ListParams) (*Page, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	raw, err := c.do(ctx, "list", func(ctx context.Context) (*http.Response, error) {
		return c.api.ListInvitations(ctx, p.toGenerated())
	})
	if err != nil {
		return nil, err
	}
	// The server answers {data,total_count} to paginated=true; a bare array is accepted too.
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '[' {
		list, err := decode[generated.InvitationList]("list", raw)
		if err != nil {
			return nil, err
		}
		return &Page{Invitations: fromGeneratedList(list), TotalCount: -1}, nil
	}
	page, err := decode[generated.InvitationPage]("list", raw)
	if err != nil {
		return nil, err
	}
	return &Page{Invitations: fromGeneratedList(page.Data), TotalCount: int(page.TotalCount)}, nil
}

// All returns an iterator over every invitation matching p, fetching pages of p.Limit (10 when
// 0) from p.Offset on. It copies p, so changing p afterwards has no effect. On an error it
// yields the error once and stops; breaking out of the loop stops fetching.
//
// Invitations created or revoked during the walk can shift pages, so an invitation may be
// seen twice or missed; filter by status or order by created_at for stable walks.
func (c *Client) All(ctx context.Context, p ListParams) iter.Seq2[Invitation, error] {
	p.Statuses = append([]Status(nil), p.Statuses...)
	return func(yield func(Invitation, error) bool) {
		q := p
		for {
			page, err := c.List(ctx, q)
			if err != nil {
				yield(Invitation{}, err)
				return
			}
			for _, inv := range page.Invitations {
				if !yield(inv, nil) {
					return
				}
			}
			q.Offset += len(page.Invitations)
			if len(page.Invitations) == 0 || page.TotalCount >= 0 && q.Offset >= page.TotalCount {
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
// ErrAlreadyRevoked, ErrAlreadyAccepted, ErrRateLimited or ErrUnauthorized; otherwise the
// transport's error, wrapped.
//
// Clerk operation: RevokeInvitation, POST /invitations/{invitation_id}/revoke.
func (c *Client) Revoke(ctx context.Context, id string) (*Invitation, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	return c.one(ctx, "revoke", func(ctx context.Context) (*http.Response, error) {
		return c.api.RevokeInvitation(ctx, id)
	})
}

// Delete removes an invitation for good, whatever its status, together with the copies of the
// invitation email Clerk kept for its recipient: what a data-erasure request needs. Afterwards
// List no longer shows it and the address can be invited again. Records of the same address
// elsewhere (a user, organization invitations) are not touched.
//
// Errors: a *ValidationError, before any request, for an id Revoke would refuse; an *APIError
// matching ErrNotFound for an unknown or already deleted id, ErrRateLimited or ErrUnauthorized;
// otherwise the transport's error, wrapped. A 2xx answer that does not confirm the deletion of id
// is an error too.
//
// Clerk operation: DeleteInvitation, DELETE /invitations/{invitation_id}. Clerk's published
// document does not list it yet; Clerk's JavaScript SDK calls it since @clerk/backend 3.25.0.
func (c *Client) Delete(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	raw, err := c.do(ctx, "delete", func(ctx context.Context) (*http.Response, error) {
		return c.api.DeleteInvitation(ctx, id)
	})
	if err != nil {
		return err
	}
	out, err := decode[generated.DeletedObject]("delete", raw)
	if err != nil {
		return err
	}
	if !out.Deleted || out.ID != nil && *out.ID != id {
		return fmt.Errorf("invitations: delete: the server answered 2xx without confirming that %s was deleted", id)
	}
	return nil
}

// do sends one request and returns the body of a 2xx response; any other status becomes an
// *APIError.
func (c *Client) do(ctx context.Context, op string, send func(context.Context) (*http.Response, error)) ([]byte, error) {
	if ctx == nil {
		return nil, fmt.Errorf("invitations: %s: nil context", op)
	}
	resp, err := send(ctx)
	if err != nil {
		return nil, fmt.Errorf("invitations: %s: %w", op, err)
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	tooLarge := len(body) > maxResponseBody
	if tooLarge {
		body = body[:maxResponseBody]
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// A body cut short still leaves the status, headers and what arrived.
		return nil, newAPIError(op, resp, body, c.secretKey)
	}
	if readErr != nil {
		return nil, fmt.Errorf("invitations: %s: reading %d response: %w", op, resp.StatusCode, readErr)
	}
	if tooLarge {
		return nil, fmt.Errorf("invitations: %s: response body exceeds %d bytes", op, maxResponseBody)
	}
	return body, nil
}

// one sends a request whose success answer is one invitation.
func (c *Client) one(ctx context.Context, op string, send func(context.Context) (*http.Response, error)) (*Invitation, error) {
	body, err := c.do(ctx, op, send)
	if err != nil {
		return nil, err
	}
	out, err := decode[generated.Invitation](op, body)
	if err != nil {
		return nil, err
	}
	inv := fromGenerated(out)
	return &inv, nil
}

// decode unmarshals a 2xx body into the generated type T.
func decode[T any](op string, body []byte) (T, error) {
	var out T
	if err := json.Unmarshal(body, &out); err != nil {
		return out, fmt.Errorf("invitations: %s: decoding 200 response: %w", op, err)
	}
	return out, nil
}
