package invitations

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/retry"
)

// Sentinel errors for the cases callers branch on, matched with errors.Is by the error types
// below as each says; never returned bare.
var (
	ErrDuplicate       = errors.New("invitations: a pending invitation already exists") // code duplicate_record
	ErrAlreadyRevoked  = errors.New("invitations: invitation already revoked")          // code invitation_already_revoked
	ErrAlreadyAccepted = errors.New("invitations: invitation already accepted")         // code invitation_already_accepted
	ErrNotFound        = errors.New("invitations: not found")                           // status 404 or code resource_not_found; Get found none
	ErrRateLimited     = errors.New("invitations: rate limited")                        // status 429 or code too_many_requests; see APIError.RetryAfter
	ErrUnauthorized    = errors.New("invitations: unauthorized")                        // status 401: the key was missing or refused
	ErrInvalidRequest  = errors.New("invitations: invalid request")                     // status 422 or a form_* code; see ErrorDetail.ParamName
	// ErrOutcomeUnknown: a write was sent, no usable answer came back, and the client could not
	// find out whether it took effect (the context ended, or the lookup failed or found
	// nothing). Matched by an error whose MaybeApplied is true: look the invitation up before
	// sending the call again.
	ErrOutcomeUnknown = errors.New("invitations: outcome unknown")
	// ErrUnexpectedResponse: a 2xx answer the client cannot use; matched by *ResponseError.
	ErrUnexpectedResponse = errors.New("invitations: unexpected response")
)

// ErrorDetail is one entry of Clerk's error body.
type ErrorDetail struct {
	Code, Message, LongMessage string         // "duplicate_record", a short text, a sentence for people
	ParamName                  string         // meta.param_name: the parameter a 422 entry is about
	Meta                       map[string]any // the meta object as sent, e.g. {"email_addresses": [...]}
}

// APIError is returned for every answer whose status is not 2xx, also when its body is empty,
// HTML or cut short (then Errors is empty and Body holds what came). It matches ErrDuplicate,
// ErrAlreadyRevoked, ErrAlreadyAccepted, ErrNotFound, ErrRateLimited, ErrUnauthorized,
// ErrInvalidRequest and ErrOutcomeUnknown as documented on each.
type APIError struct {
	StatusCode int           // e.g. 400
	Errors     []ErrorDetail // Clerk's entries
	TraceID    string        // clerk_trace_id from the body, else the Clerk-Trace-Id header
	RetryAfter time.Duration // from Retry-After, in seconds or as a date; 0 when absent
	Body       []byte        // the raw body, at most 16 MiB
	Operation  Operation     // the call that failed
	Attempts   int           // how many times the request was sent
	// MaybeApplied: the call was a write that an earlier attempt, or the server behind a
	// proxy's 502/503/504, may have carried out; the error then matches ErrOutcomeUnknown.
	MaybeApplied bool
}

// Error returns one line safe to log: the operation, the status and Clerk's long messages
// (email addresses in them shown as "[email]"), then the first code, the Retry-After, the trace
// id, the attempts and whether the call may have taken effect. It never holds the body.
func (e *APIError) Error() string {
	msg := "invitations: "
	if e.Operation != "" {
		msg += string(e.Operation) + ": "
	}
	msg += strings.TrimSpace(fmt.Sprint(e.StatusCode, " ", strings.ToLower(http.StatusText(e.StatusCode))))
	var msgs, extra []string
	for _, d := range e.Errors {
		if m := maskEmails(oneLine(cmp.Or(d.LongMessage, d.Message))); m != "" {
			msgs = append(msgs, m)
		}
	}
	switch {
	case len(msgs) > 0:
		msg += ": " + strings.Join(msgs, "; ")
	case len(e.Body) == 0:
		msg += " (empty body)"
	default:
		msg += fmt.Sprintf(" (unrecognized %d-byte body)", len(e.Body))
	}
	for _, x := range []struct {
		show bool
		text string
	}{{e.Code() != "", "code " + oneLine(e.Code())}, {e.RetryAfter > 0, "retry after " + e.RetryAfter.String()},
		{e.TraceID != "", "trace " + oneLine(e.TraceID)}, {e.Attempts > 1, fmt.Sprint(e.Attempts, " attempts")}, {e.MaybeApplied, "may have taken effect"}} {
		if x.show {
			extra = append(extra, x.text)
		}
	}
	if len(extra) > 0 {
		msg += " [" + strings.Join(extra, ", ") + "]"
	}
	return msg
}

// Code returns the first entry's code, or "".
func (e *APIError) Code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// HasCode reports whether any entry has code.
func (e *APIError) HasCode(code string) bool {
	return slices.ContainsFunc(e.Errors, func(d ErrorDetail) bool { return d.Code == code })
}

// Is makes errors.Is match the sentinels as each documents.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrDuplicate:
		return e.HasCode("duplicate_record")
	case ErrAlreadyRevoked:
		return e.HasCode("invitation_already_revoked")
	case ErrAlreadyAccepted:
		return e.HasCode("invitation_already_accepted")
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound || e.HasCode("resource_not_found")
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests || e.HasCode("too_many_requests")
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrInvalidRequest:
		return e.StatusCode == http.StatusUnprocessableEntity || slices.ContainsFunc(e.Errors, func(d ErrorDetail) bool { return strings.HasPrefix(d.Code, "form_") })
	case ErrOutcomeUnknown:
		return e.MaybeApplied
	}
	return false
}

// newAPIError builds the error for a non-2xx answer, with secret removed from every field,
// the body and every string of meta included: a proxy echoing the Authorization header cannot
// leak it into a log or a printed value.
func newAPIError(op Operation, status int, header http.Header, body []byte, secret string) *APIError {
	e := &APIError{Operation: op, StatusCode: status, Body: retry.Redact(body, secret), TraceID: header.Get("Clerk-Trace-Id"),
		RetryAfter: retry.ParseRetryAfter(header.Get("Retry-After"), time.Now())}
	// Clerk's error body, decoded, encoded again, redacted and decoded once more: escapes in the
	// body (\u0073k_…) cannot hide the key from redaction.
	var errs generated.ClerkErrors
	if json.Unmarshal(body, &errs) == nil {
		clean, _ := json.Marshal(errs)
		errs = generated.ClerkErrors{}
		_ = json.Unmarshal(retry.Redact(clean, secret), &errs)
		for _, d := range errs.Errors {
			name, _ := d.Meta["param_name"].(string)
			e.Errors = append(e.Errors, ErrorDetail{Code: d.Code, Message: d.Message, LongMessage: d.LongMessage, ParamName: name, Meta: d.Meta})
		}
		e.TraceID = cmp.Or(errs.ClerkTraceID, e.TraceID)
	}
	e.TraceID = string(retry.Redact([]byte(e.TraceID), secret))
	return e
}

// maskEmails replaces every word of s that looks like an email address with "[email]". Words
// end at spaces and at the punctuation Clerk's messages put around addresses.
func maskEmails(s string) string { return emailWord.ReplaceAllString(s, "[email]") }

var emailWord = regexp.MustCompile(`[^\s,;:"()<>\[\]{}]+@[^\s,;:"()<>\[\]{}]*\.[^\s,;:"()<>\[\]{}]*`)

// oneLine folds control characters (newlines included) into spaces and trims the result.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}

// ValidationError reports input refused before anything was sent. Field is the parameter's
// wire name, e.g. "email_address" or "items[2].expires_in_days"; Reason never quotes the value.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return "invitations: invalid " + e.Field + ": " + e.Reason }

// TransportError is returned when a call got no usable answer: no connection, a broken one, a
// timeout, the context ended, a body cut short. Err is the cause (errors.Is(err,
// context.DeadlineExceeded) works); the text leaves out the URL, whose query can hold an address.
type TransportError struct {
	Operation    Operation // the call that failed
	Attempts     int       // how many times the request was sent
	MaybeApplied bool      // a write that was sent and may have taken effect: matches ErrOutcomeUnknown
	Err          error
}

func (e *TransportError) Error() string {
	msg := "invitations: " + string(e.Operation) + ": " + oneLine(retry.ScrubError(e.Err))
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" (%d attempts)", e.Attempts)
	}
	if e.MaybeApplied {
		msg += "; it may have taken effect"
	}
	return msg
}

func (e *TransportError) Unwrap() error { return e.Err }

// Is matches ErrOutcomeUnknown when MaybeApplied.
func (e *TransportError) Is(target error) bool { return target == ErrOutcomeUnknown && e.MaybeApplied }

// ResponseError is returned for a 2xx answer the client cannot use: not the JSON expected, over
// 16 MiB, or no answer to the call (an invitation without its id, a bulk answer short of an
// item). It matches ErrUnexpectedResponse, and ErrOutcomeUnknown when MaybeApplied: a write's
// effect the client looked up and could not confirm.
type ResponseError struct {
	Operation    Operation // the call that failed
	StatusCode   int       // the 2xx status
	Attempts     int       // how many times the request was sent
	MaybeApplied bool
	Reason       string // what is wrong with the answer
	Body         []byte // the body's first KiB, without the secret key
	Err          error  // the decoding error, if any
}

func (e *ResponseError) Error() string {
	msg := fmt.Sprintf("invitations: %s: unusable %d response: %s", e.Operation, e.StatusCode, oneLine(e.Reason))
	if e.Err != nil {
		msg += ": " + oneLine(e.Err.Error())
	}
	if e.MaybeApplied {
		msg += "; it may have taken effect"
	}
	return msg
}

func (e *ResponseError) Unwrap() error { return e.Err }

// Is matches ErrUnexpectedResponse, and ErrOutcomeUnknown when MaybeApplied.
func (e *ResponseError) Is(target error) bool {
	return target == ErrUnexpectedResponse || target == ErrOutcomeUnknown && e.MaybeApplied
}
