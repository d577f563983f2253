package invitations

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/clerk-invitations/clerk-invitations-go/internal/retry"
)

// Requests are built here, from the generated request types encoded as JSON, against the base
// URL parsed once in New; every test checks them against openapi.yaml. (The generated client's
// own request builders parse the base URL and the operation's path on every call.)

// requestHeaders are the values every request carries, made once: each request gets its own
// header map, holding these shared, never-modified value slices.
type requestHeaders struct {
	authorization, apiVersion, userAgent []string
}

var (
	acceptJSON = []string{"application/json"}
	bodyJSON   = []string{"application/json"}
)

func newRequestHeaders(secretKey, apiVersion, userAgent string) requestHeaders {
	return requestHeaders{authorization: []string{"Bearer " + secretKey}, apiVersion: []string{apiVersion}, userAgent: []string{userAgent}}
}

// newRequest builds a request for path (below the base URL) with the raw query and a JSON body.
func (c *Client) newRequest(ctx context.Context, method, path, query string, body []byte) *http.Request {
	u := c.base
	u.Path += path
	u.RawPath = ""
	u.RawQuery = query
	h := make(http.Header, 5)
	h["Authorization"] = c.headers.authorization
	h["Clerk-Api-Version"] = c.headers.apiVersion
	h["User-Agent"] = c.headers.userAgent
	h["Accept"] = acceptJSON
	req := &http.Request{Method: method, URL: &u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h, Host: u.Host}
	if body != nil {
		h["Content-Type"] = bodyJSON
		req.ContentLength = int64(len(body))
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	return req.WithContext(ctx)
}

// send makes one call and returns the body of its 2xx answer. Any other status becomes an
// *APIError, no usable answer a *TransportError, a 2xx answer that is not JSON a *ResponseError.
func (c *Client) send(ctx context.Context, call *retry.Call, method, path, query string, params any) ([]byte, error) {
	if ctx == nil {
		return nil, fmt.Errorf("invitations: %s: nil context", call.Op)
	}
	var body []byte
	if params != nil {
		var err error
		if body, err = json.Marshal(params); err != nil {
			return nil, fmt.Errorf("invitations: %s: encoding the request: %w", call.Op, err)
		}
	}
	ans, err := c.doer.Send(c.newRequest(ctx, method, path, query, body), call)
	if err != nil {
		var tooLarge *retry.BodyTooLargeError
		if errors.As(err, &tooLarge) {
			return nil, &ResponseError{Operation: call.Op, StatusCode: tooLarge.StatusCode, Attempts: call.Attempts, MaybeApplied: call.MaybeApplied,
				Reason: fmt.Sprintf("response body exceeds %d bytes", tooLarge.Limit)}
		}
		return nil, &TransportError{Operation: call.Op, Attempts: call.Attempts, MaybeApplied: call.MaybeApplied, Err: err}
	}
	if ans.StatusCode < 200 || ans.StatusCode > 299 {
		e := newAPIError(call.Op, ans.StatusCode, ans.Header, ans.Body, c.secretKey)
		e.Attempts, e.MaybeApplied = call.Attempts, call.MaybeApplied
		return nil, e
	}
	if ct := ans.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
		return nil, unusable(call, ans.Body, fmt.Sprintf("content type %q is not JSON", ct), nil)
	}
	return ans.Body, nil
}

// isJSON reports whether a Content-Type is application/json, parameters aside.
func isJSON(ct string) bool {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.EqualFold(strings.TrimSpace(ct), "application/json")
}

// one makes a call whose success answer is one invitation.
func (c *Client) one(ctx context.Context, call *retry.Call, method, path, query string, params any) (*Invitation, error) {
	body, err := c.send(ctx, call, method, path, query, params)
	if err != nil {
		return nil, err
	}
	inv, err := decodeInvitation(body)
	if err != nil {
		return nil, unusable(call, body, "the body does not decode", err)
	}
	return &inv, nil
}
