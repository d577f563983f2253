package invitations

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/retry"
)

// Every call goes through the generated client (made from openapi.yaml), which builds the
// request, and its Parse…Response, which reads any answer into the status, the body and the
// decoded 200 answer. This file adds typed errors and the mapping to this package's types.

// answer is what every generated Parse…Response returns.
type answer[B any] interface {
	StatusCode() int
	GetBody() []byte
	GetJSON200() *B
}

// send makes one call: request sends it (call in its context, for the retry layer) and parse is
// its Parse…Response. It returns the 200 answer and the body, or an *APIError for any other
// status, a *TransportError for no usable answer, a *ResponseError for a 2xx not as expected.
func send[R answer[B], B any](ctx context.Context, c *Client, call *retry.Call, request func(context.Context) (*http.Response, error),
	parse func(*http.Response) (R, error)) (*B, []byte, error) {
	if ctx == nil {
		return nil, nil, fmt.Errorf("invitations: %s: nil context", call.Op)
	}
	resp, err := request(retry.With(ctx, call))
	if err != nil {
		var tooLarge *retry.BodyTooLargeError
		if errors.As(err, &tooLarge) {
			return nil, nil, c.unusable(call, tooLarge.StatusCode, nil, fmt.Sprintf("response body exceeds %d bytes", tooLarge.Limit), nil)
		}
		return nil, nil, &TransportError{Operation: Operation(call.Op), Attempts: call.Attempts, MaybeApplied: call.MaybeApplied, Err: err}
	}
	parsed, parseErr := parse(resp)
	var body []byte
	if parseErr == nil {
		body = parsed.GetBody()
	} else if r, ok := resp.Body.(io.ReadSeeker); ok {
		// The parser refused the body (not the JSON openapi.yaml says). The retry layer holds
		// every answer in memory, so the error can still carry the body as it came.
		if _, err := r.Seek(0, io.SeekStart); err == nil {
			body, _ = io.ReadAll(r)
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := newAPIError(Operation(call.Op), resp.StatusCode, resp.Header, body, c.secretKey)
		e.Attempts, e.MaybeApplied = call.Attempts, call.MaybeApplied
		return nil, nil, e
	}
	if parseErr != nil {
		return nil, nil, c.unusable(call, resp.StatusCode, body, "the body does not decode", parseErr)
	}
	out := parsed.GetJSON200()
	if out == nil {
		return nil, nil, c.unusable(call, resp.StatusCode, body, fmt.Sprintf("a %d answer with content type %q is not the JSON the call expects", resp.StatusCode, resp.Header.Get("Content-Type")), nil)
	}
	return out, body, nil
}

// unusable is the *ResponseError for a 2xx the client cannot use. To a write, a 2xx says the
// server acted: the call may have been applied, and is settled like any ambiguous outcome.
func (c *Client) unusable(call *retry.Call, status int, body []byte, reason string, err error) *ResponseError {
	call.MaybeApplied = call.MaybeApplied || call.Write
	body = retry.Redact(body, c.secretKey)
	body = body[:min(len(body), 1<<10)]
	return &ResponseError{Operation: Operation(call.Op), StatusCode: status, Attempts: call.Attempts, MaybeApplied: call.MaybeApplied,
		Reason: reason, Body: body, Err: err}
}

// fromGenerated maps an answer's invitations, each of which must carry an invitation's object,
// id, address and status.
func (c *Client) fromGenerated(call *retry.Call, body []byte, list ...generated.Invitation) ([]Invitation, error) {
	out := make([]Invitation, len(list))
	for i, g := range list {
		if g.ID == "" || g.EmailAddress == "" || g.Status == "" || g.Object != generated.InvitationObjectInvitation {
			return nil, c.unusable(call, http.StatusOK, body, fmt.Sprintf("invitation %d lacks its object, id, email_address or status", i), nil)
		}
		out[i] = Invitation{ID: g.ID, EmailAddress: g.EmailAddress, Status: Status(g.Status), Revoked: g.Revoked, URL: g.URL,
			PublicMetadata: g.PublicMetadata, ExpiresAt: fromMillis(g.ExpiresAt), CreatedAt: fromMillis(g.CreatedAt), UpdatedAt: fromMillis(g.UpdatedAt)}
	}
	return out, nil
}

// fromMillis converts Clerk's Unix-millisecond timestamps; 0 stays the zero time.
func fromMillis(ms int64) (t time.Time) {
	if ms != 0 {
		t = time.UnixMilli(ms).UTC()
	}
	return t
}
