package fakeclerk

import (
	"encoding/json"
	"fmt"
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

func newError(status int, code, message, long string) *apiError {
	return &apiError{status: status, errors: []generated.ClerkError{{Code: code, Message: message, LongMessage: long}}}
}

func errAuth(code, message, long string) *apiError {
	return newError(http.StatusUnauthorized, code, message, long)
}

// errNotFound is the answer for a path the API does not have.
func errNotFound() *apiError {
	return newError(http.StatusNotFound, "resource_not_found", "not found", "Resource not found")
}

// invitationNotFound is the entry for an invitation id the server does not hold (Clerk's error
// catalogue: InvitationNotFound).
func invitationNotFound(id string) generated.ClerkError {
	return generated.ClerkError{Code: "resource_not_found", Message: "not found", LongMessage: fmt.Sprintf("No invitation was found with id %s.", id)}
}

func errBodyInvalid(long string) *apiError {
	return newError(http.StatusBadRequest, "request_body_invalid", "Request body invalid", long)
}

// paramMessages are the short messages of the codes that name a parameter.
var paramMessages = map[string]string{
	"form_param_missing":              "missing required parameter",
	"form_param_unknown":              "is unknown",
	"form_param_format_invalid":       "is invalid",
	"form_param_value_invalid":        "is invalid",
	"form_param_exceeds_allowed_size": "is too large",
	"invalid_url_scheme":              "invalid URL scheme",
	"form_identifier_exists":          "That email address is taken. Please try another.",
}

// errParam is a 422 entry about one parameter, which meta.param_name names (as Clerk's SDKs read
// it and live answers carry it).
func errParam(code, param, long string) generated.ClerkError {
	return generated.ClerkError{Code: code, Message: paramMessages[code], LongMessage: long, Meta: generated.ClerkErrorMeta{"param_name": param}}
}

func errParams(entries ...generated.ClerkError) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, errors: entries}
}

// body returns the error body with a fresh trace id, which write also sends as a header.
func (e *apiError) body(trace string) generated.ClerkErrors {
	return generated.ClerkErrors{Errors: e.errors, ClerkTraceID: trace}
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
