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

// Every call goes out through the generated client (package generated, made from openapi.yaml):
// it builds the method, path, query and body, and its Parse…Response reads every answer, of
// any status, into one value holding the status, the body and the decoded 200 answer. This
// file adds what it lacks: the retry layer underneath it as its HttpRequestDoer (New), typed
// errors for everything but a usable 2xx, and the mapping from the generated types to this
// package's.

// answer is what every generated Parse…Response returns.
type answer[B any] interface {
	StatusCode() int
	GetBody() []byte
	GetJSON200() *B
}

// send makes one call through the generated client: request sends it (with call in its
// context, for the retry layer) and parse is the operation's generated Parse…Response. It
// returns the 200 answer and the body. Any status but 2xx is an *APIError, no usable answer a
// *TransportError, and a 2xx that is not the JSON the call expects a *ResponseError.
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
	} else {
		// The generated parser refused the body: JSON that is not what openapi.yaml says, or
		// not JSON at all under a JSON content type. The retry layer holds every answer in
		// memory, as an io.ReadSeeker, so the error can still carry the body as it came.
		body = reread(resp.Body)
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

// reread returns the whole of a body the retry layer handed over, read again from its start.
func reread(body io.Reader) []byte {
	s, ok := body.(io.ReadSeeker)
	if !ok {
		return nil
	}
	if _, err := s.Seek(0, io.SeekStart); err != nil {
		return nil
	}
	b, _ := io.ReadAll(s)
	return b
}

// unusable is the *ResponseError for a 2xx answer the client cannot use. A write's 2xx says the
// server acted, so the call may have been applied: it is settled like any ambiguous outcome.
func (c *Client) unusable(call *retry.Call, status int, body []byte, reason string, err error) *ResponseError {
	call.MaybeApplied = call.MaybeApplied || call.Write
	body = redact(body, c.secretKey)
	body = body[:min(len(body), 1<<10)]
	return &ResponseError{Operation: Operation(call.Op), StatusCode: status, Attempts: call.Attempts, MaybeApplied: call.MaybeApplied,
		Reason: reason, Body: body, Err: err}
}

// fromGenerated maps the invitations of an answer, each of which must carry what every
// invitation has; an answer with one that does not is a *ResponseError.
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
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
