package specvalidate

import (
	"bytes"
	"errors"
	"io"
	"net/http"
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
		rec := &recorder{header: http.Header{}}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		v.checkExchange(r, body, rec.status, rec.header, rec.body.Bytes(), report)
		for k, vals := range rec.header {
			w.Header()[k] = vals
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
	})
}

// recorder buffers a handler's response.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.body.Len()+len(p) > maxBody {
		return 0, errors.New("specvalidate: response body too large to validate")
	}
	return r.body.Write(p)
}
