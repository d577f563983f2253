package fakeclerk

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
)

// apiError is an error answer in Clerk's shape.
type apiError struct {
	status     int
	errors     []generated.ClerkError
	retryAfter int // seconds; sent as Retry-After when status is 429
}

func newError(status int, code, message, long string, meta map[string]any) *apiError {
	return &apiError{status: status, errors: []generated.ClerkError{{Code: code, Message: message, LongMessage: long, Meta: meta}}}
}

func errAuth(code, message, long string) *apiError {
	return newError(http.StatusUnauthorized, code, message, long, nil)
}

func errNotFound() *apiError {
	return newError(http.StatusNotFound, "resource_not_found", "not found", "Resource not found", nil)
}

func errBodyInvalid(long string) *apiError {
	return newError(http.StatusBadRequest, "request_body_invalid", "Request body invalid", long, nil)
}

// errParam is a 422 entry for one parameter; meta.name names it.
func errParam(code, name, long string) generated.ClerkError {
	messages := map[string]string{
		"form_param_missing":        "missing required parameter",
		"form_param_unknown":        "is unknown",
		"form_param_format_invalid": "is invalid",
		"form_param_value_invalid":  "is invalid",
		"form_identifier_exists":    "That email address is taken. Please try another.",
	}
	return generated.ClerkError{Code: code, Message: messages[code], LongMessage: long, Meta: map[string]any{"name": name}}
}

func errParams(entries ...generated.ClerkError) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, errors: entries}
}

// body returns the error body with a fresh trace id, which write also sends as a header.
func (e *apiError) body(trace string) generated.ClerkErrors {
	return generated.ClerkErrors{Errors: e.errors, ClerkTraceID: &trace}
}

// write sends e. The strict handlers return typed responses instead; write serves the layers in
// front of them (auth, rate limits, body checks, faults) and the generated wrapper's errors.
func (e *apiError) write(w http.ResponseWriter) {
	trace := traceID()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Clerk-Trace-Id", trace)
	if e.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(e.body(trace))
}
