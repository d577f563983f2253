package invitations

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/retry"
)

// Every call goes out through the generated client (package generated, made from openapi.yaml):
// it builds the method, path, query and body, and decodes the answers into the generated types.
// This file adds what it lacks: the headers, the retry layer underneath it as its
// HttpRequestDoer, typed errors for everything but a usable 2xx, and the mapping from the
// generated types to this package's.

// newAPI returns the generated client for baseURL, sending through doer with the headers every
// request carries.
func newAPI(baseURL string, doer generated.HttpRequestDoer, secretKey, apiVersion, userAgent string) (*generated.Client, error) {
	// Made once and shared by every request: nothing modifies a header's values in place.
	auth, version, agent, accept := []string{"Bearer " + secretKey}, []string{apiVersion}, []string{userAgent}, []string{"application/json"}
	return generated.NewClient(baseURL, generated.WithHTTPClient(doer),
		generated.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header["Authorization"], req.Header["Clerk-Api-Version"], req.Header["User-Agent"], req.Header["Accept"] = auth, version, agent, accept
			return nil
		}))
}

// send makes one call through the generated client: request sends it (with call in its
// context, for the retry layer), parse is the operation's generated Parse…Response and json200
// picks its 200 answer. It returns that answer and the raw body. Any status but 2xx is an
// *APIError, no usable answer a *TransportError, and a 2xx the generated code cannot decode, or
// that is not JSON, a *ResponseError.
func send[R, B any](ctx context.Context, c *Client, call *retry.Call, request func(context.Context) (*http.Response, error),
	parse func(*http.Response) (*R, error), json200 func(R) *B) (*B, []byte, error) {
	if ctx == nil {
		return nil, nil, fmt.Errorf("invitations: %s: nil context", call.Op)
	}
	resp, err := request(retry.With(ctx, call))
	if err != nil {
		var tooLarge *retry.BodyTooLargeError
		if errors.As(err, &tooLarge) {
			return nil, nil, &ResponseError{Operation: call.Op, StatusCode: tooLarge.StatusCode, Attempts: call.Attempts, MaybeApplied: call.MaybeApplied,
				Reason: fmt.Sprintf("response body exceeds %d bytes", tooLarge.Limit)}
		}
		return nil, nil, &TransportError{Operation: call.Op, Attempts: call.Attempts, MaybeApplied: call.MaybeApplied, Err: err}
	}
	body := retry.Bytes(resp) // read whole by the retry layer
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := newAPIError(call.Op, resp.StatusCode, resp.Header, body, c.secretKey)
		e.Attempts, e.MaybeApplied = call.Attempts, call.MaybeApplied
		return nil, nil, e
	}
	parsed, err := parse(resp)
	body = redact(body, c.secretKey) // kept only for a *ResponseError
	if err != nil {
		return nil, body, unusable(call, body, "the body does not decode", err)
	}
	out := json200(*parsed)
	if out == nil {
		return nil, body, unusable(call, body, fmt.Sprintf("a %d answer with content type %q is not the JSON the call expects", resp.StatusCode, resp.Header.Get("Content-Type")), nil)
	}
	return out, body, nil
}

// unusable is the *ResponseError for a 2xx answer; a write's answer says it acted.
func unusable(call *retry.Call, body []byte, reason string, err error) *ResponseError {
	return &ResponseError{Operation: call.Op, StatusCode: http.StatusOK, Attempts: call.Attempts, MaybeApplied: call.Write,
		Reason: reason, Body: body[:min(len(body), 1<<10)], Err: err}
}

// fromGenerated maps the invitations of an answer, each of which must carry what every
// invitation has; an answer with one that does not is a *ResponseError.
func fromGenerated(call *retry.Call, raw []byte, list ...generated.Invitation) ([]Invitation, error) {
	out := make([]Invitation, len(list))
	for i, g := range list {
		if g.ID == "" || g.EmailAddress == "" || g.Status == "" || g.Object != generated.InvitationObjectInvitation {
			return nil, unusable(call, raw, fmt.Sprintf("invitation %d lacks its object, id, email_address or status", i), nil)
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
