package specvalidate

import (
	"bytes"
	"io"
	"net/http"

	"github.com/clerk-invitations/clerk-invitations-go/internal/httpbuf"
)

// maxBody bounds how much of a response Middleware buffers.
const maxBody = 8 << 20

// Transport is an http.RoundTripper that checks every request it sends and every response it
// receives against the document, passing each Finding to Report. Traffic is passed on unchanged:
// the caller sees the same request, status, headers and body (or body read error) as without it.
type Transport struct {
	Validator *Validator
	Next      http.RoundTripper // http.DefaultTransport when nil
	Report    func(Finding)
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	v := t.Validator
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		reqBody, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		v.report(t.Report, v.requestFinding(req, reqBody))
		return resp, err
	}
	body, readErr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if readErr != nil {
		// A body cut short is not the document's concern; hand the same failure to the client.
		v.report(t.Report, v.requestFinding(req, reqBody))
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{readErr}))
		return resp, nil
	}
	v.checkExchange(req, reqBody, resp.StatusCode, resp.Header, body, t.Report)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Middleware returns a handler that checks each request before passing it to next, and each
// response next writes before sending it on. Responses are buffered, so next must not hijack the
// connection or rely on flushing; put fault injection outside the middleware.
func (v *Validator) Middleware(next http.Handler, report func(Finding)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only the first maxBody bytes are validated; the handler still reads the whole body, so
		// its own size limit applies as without the middleware.
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			http.Error(w, "reading request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		rec := &httpbuf.Answer{Limit: maxBody}
		next.ServeHTTP(rec, r)
		if rec.Status == 0 {
			rec.Status = http.StatusOK
		}
		v.checkExchange(r, body, rec.Status, rec.Header(), rec.Body.Bytes(), report)
		for k, vals := range rec.Header() {
			w.Header()[k] = vals
		}
		w.WriteHeader(rec.Status)
		_, _ = w.Write(rec.Body.Bytes())
	})
}
