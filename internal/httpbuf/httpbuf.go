// Package httpbuf holds a handler's answer in memory, for the layers that must see a whole
// answer before passing it on: the spec validator in front of a server, and faults that carry a
// call out before losing or replacing its answer.
package httpbuf

import (
	"bytes"
	"fmt"
	"net/http"
)

// Answer is an http.ResponseWriter that keeps the status, headers and body it is given.
type Answer struct {
	Headers http.Header // Header returns it, creating it when nil
	Status  int         // the status; 200 once the body is written without one, 0 before
	Body    bytes.Buffer
	// Limit, when positive, bounds the body: a write past it fails and keeps nothing of itself.
	Limit int
}

// Header implements http.ResponseWriter.
func (a *Answer) Header() http.Header {
	if a.Headers == nil {
		a.Headers = http.Header{}
	}
	return a.Headers
}

// WriteHeader keeps the first status it is given.
func (a *Answer) WriteHeader(status int) {
	if a.Status == 0 {
		a.Status = status
	}
}

// Write appends p to the body.
func (a *Answer) Write(p []byte) (int, error) {
	if a.Status == 0 {
		a.Status = http.StatusOK
	}
	if a.Limit > 0 && a.Body.Len()+len(p) > a.Limit {
		return 0, fmt.Errorf("httpbuf: the answer is larger than %d bytes", a.Limit)
	}
	return a.Body.Write(p)
}
