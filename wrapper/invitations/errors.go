package invitations

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/retry"
)

// Sentinel errors for the cases callers branch on. An [*APIError] matches them with errors.Is,
// as do the other error types where documented; none of them is ever returned bare.
var (
	// ErrDuplicate: a pending invitation already exists for the address (code duplicate_record).
	ErrDuplicate = errors.New("invitations: a pending invitation already exists")
	// ErrAlreadyRevoked: the invitation was revoked before (code invitation_already_revoked).
	ErrAlreadyRevoked = errors.New("invitations: invitation already revoked")
	// ErrAlreadyAccepted: the invitation was accepted and can no longer be revoked
	// (code invitation_already_accepted).
	ErrAlreadyAccepted = errors.New("invitations: invitation already accepted")
	// ErrNotFound: no invitation has the id (status 404 or code resource_not_found), or a
	// helper (Get, Reissue) found none.
	ErrNotFound = errors.New("invitations: not found")
	// ErrRateLimited: a rate limit is exhausted (status 429 or code too_many_requests);
	// APIError.RetryAfter says how long to wait.
	ErrRateLimited = errors.New("invitations: rate limited")
	// ErrUnauthorized: the secret key was missing, malformed or rejected (status 401).
	ErrUnauthorized = errors.New("invitations: unauthorized")
	// ErrInvalidRequest: the server rejected a parameter (status 422, or a form_* code such as
	// form_param_format_invalid); each entry's ParamName names the parameter.
	ErrInvalidRequest = errors.New("invitations: invalid request")
	// ErrOutcomeUnknown: a create, bulk create, revoke or delete was sent and no usable answer
	// came back, and the client could not find out from the server whether it took effect (the
	// call's context ended, or the lookup failed or found nothing). Matched by an *APIError,
	// *TransportError or *ResponseError whose MaybeApplied is true. Look the invitation up
	// before sending the call again.
	ErrOutcomeUnknown = errors.New("invitations: outcome unknown")
	// ErrUnexpectedResponse: a 2xx answer the client cannot use (not JSON, undecodable, over the
	// size limit, or not what the call asked for); matched by *ResponseError.
	ErrUnexpectedResponse = errors.New("invitations: unexpected response")
)

// ErrorDetail is one entry of the errors list in Clerk's error body.
type ErrorDetail struct {
	Code        string // machine-readable, e.g. "duplicate_record"
	Message     string // short, e.g. "duplicate invitation"
	LongMessage string // a full sentence meant for people
	// ParamName is the request parameter the entry is about, such as "email_address" or
	// "redirect_url", from meta.param_name; "" when Clerk names none. Every 422 entry names one.
	ParamName string
	// Meta is the entry's meta object as Clerk sent it, param_name included: for example
	// {"email_addresses": [...]} for duplicate_record. Nil when there was none.
	Meta map[string]any
}

// APIError is returned for every response whose status is not 2xx. It carries whatever the
// response held, also when the body is empty, HTML or cut short: then Errors is empty and Body
// holds the raw bytes.
//
// It matches [ErrDuplicate], [ErrAlreadyRevoked], [ErrAlreadyAccepted], [ErrNotFound],
// [ErrRateLimited], [ErrUnauthorized] and [ErrInvalidRequest] with errors.Is as documented on
// each; use errors.As to read the fields.
type APIError struct {
	StatusCode int           // HTTP status, e.g. 400
	Errors     []ErrorDetail // Clerk's entries; empty when the body was not Clerk's error JSON
	TraceID    string        // clerk_trace_id from the body, else the Clerk-Trace-Id header
	RetryAfter time.Duration // from the Retry-After header; 0 when absent or unreadable
	Body       []byte        // the raw response body, possibly truncated at the client's limit
	Operation  Operation     // which call failed, e.g. OpCreate
	Attempts   int           // how many times the request was sent, retries included
	// MaybeApplied is true when the call was a write that an earlier attempt, or the server
	// behind a proxy's 502/503/504, may have carried out; it then matches ErrOutcomeUnknown.
	MaybeApplied bool
}

// Error returns one line: the operation, the status and Clerk's long message(s), then the first
// code, the Retry-After delay, the trace id, the number of attempts and whether the call may have
// taken effect, when there is something to say. It never contains the raw body, and
// email addresses in Clerk's messages (a duplicate_record names them) are shown as "[email]", so
// that the line can be logged; Errors keeps the messages as Clerk sent them.
func (e *APIError) Error() string {
	msg := "invitations: "
	if e.Operation != "" {
		msg += string(e.Operation) + ": "
	}
	msg += strings.TrimSpace(strconv.Itoa(e.StatusCode) + " " + strings.ToLower(http.StatusText(e.StatusCode)))
	var msgs []string
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
	var extra []string
	if code := e.Code(); code != "" {
		extra = append(extra, "code "+oneLine(code))
	}
	if e.RetryAfter > 0 {
		extra = append(extra, "retry after "+e.RetryAfter.String())
	}
	if e.TraceID != "" {
		extra = append(extra, "trace "+oneLine(e.TraceID))
	}
	if e.Attempts > 1 {
		extra = append(extra, fmt.Sprintf("%d attempts", e.Attempts))
	}
	if e.MaybeApplied {
		extra = append(extra, "may have taken effect")
	}
	if len(extra) > 0 {
		msg += " [" + strings.Join(extra, ", ") + "]"
	}
	return msg
}

// Code returns the code of the first error entry, or "" when there is none.
func (e *APIError) Code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// HasCode reports whether any error entry has the given code.
func (e *APIError) HasCode(code string) bool {
	for _, d := range e.Errors {
		if d.Code == code {
			return true
		}
	}
	return false
}

// Is makes errors.Is(err, ErrNotFound) and the other sentinels work; see each sentinel.
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
		if e.StatusCode == http.StatusUnprocessableEntity {
			return true
		}
		for _, d := range e.Errors {
			if strings.HasPrefix(d.Code, "form_") {
				return true
			}
		}
	case ErrOutcomeUnknown:
		return e.MaybeApplied
	}
	return false
}

// newAPIError builds the error for a non-2xx response. secret is removed from every field, the
// raw body and every string in meta included, so that a server or proxy echoing the
// Authorization header cannot leak it into logs or a printed value.
func newAPIError(op Operation, status int, header http.Header, body []byte, secret string) *APIError {
	e := &APIError{
		Operation:  op,
		StatusCode: status,
		Body:       redact(body, secret),
		TraceID:    header.Get("Clerk-Trace-Id"),
		RetryAfter: retry.ParseRetryAfter(header.Get("Retry-After"), time.Now()),
	}
	// Clerk's error body (generated.ClerkErrors), decoded, encoded again and redacted, and
	// decoded once more: escapes in the body (\u0073k_…) cannot hide the key from redaction.
	var errs generated.ClerkErrors
	if json.Unmarshal(body, &errs) == nil {
		clean, _ := json.Marshal(errs)
		errs = generated.ClerkErrors{}
		_ = json.Unmarshal(redact(clean, secret), &errs)
		for _, d := range errs.Errors {
			name, _ := d.Meta["param_name"].(string)
			e.Errors = append(e.Errors, ErrorDetail{Code: d.Code, Message: d.Message, LongMessage: d.LongMessage, ParamName: name, Meta: d.Meta})
		}
		e.TraceID = cmp.Or(errs.ClerkTraceID, e.TraceID)
	}
	e.TraceID = string(redact([]byte(e.TraceID), secret))
	return e
}

func redact(b []byte, secret string) []byte {
	if secret == "" || !bytes.Contains(b, []byte(secret)) {
		return b
	}
	return bytes.ReplaceAll(b, []byte(secret), []byte("[redacted]"))
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

// ValidationError reports input rejected before any request was sent. Field names the offending
// parameter with its wire name, e.g. "email_address" or "items[2].expires_in_days".
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string {
	return "invitations: invalid " + e.Field + ": " + e.Reason
}

// TransportError is returned when a call got no answer it could use: the connection could not be
// made or broke, an attempt timed out, the context ended, or an answer's body was cut short. Err
// is the cause, wrapped: errors.Is(err, context.DeadlineExceeded) works through it. Its text
// leaves out the request's URL, whose query can hold an email address.
type TransportError struct {
	Operation Operation // which call failed, e.g. OpCreate
	Attempts  int       // how many times the request was sent, retries included
	// MaybeApplied is true when the call was a write that was sent and may have taken effect;
	// the error then matches ErrOutcomeUnknown.
	MaybeApplied bool
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

// Is makes errors.Is(err, ErrOutcomeUnknown) report MaybeApplied.
func (e *TransportError) Is(target error) bool { return target == ErrOutcomeUnknown && e.MaybeApplied }

// ResponseError is returned for a 2xx answer the client cannot use: a body that is not JSON,
// does not decode, exceeds the client's size limit, or does not answer the call (a delete that
// does not confirm the deletion, a bulk create answering a different number of invitations). It
// matches ErrUnexpectedResponse, and ErrOutcomeUnknown when MaybeApplied.
type ResponseError struct {
	Operation  Operation // which call failed, e.g. OpCreate
	StatusCode int       // the 2xx status
	Attempts   int       // how many times the request was sent, retries included
	// MaybeApplied is true for a write: the server said it acted, but the client could not
	// confirm what it did.
	MaybeApplied bool
	Reason       string // what is wrong with the answer
	Body         []byte // the first bytes of the body, at most 1 KiB, without the secret key
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

// Is matches ErrUnexpectedResponse always, and ErrOutcomeUnknown when MaybeApplied.
func (e *ResponseError) Is(target error) bool {
	return target == ErrUnexpectedResponse || target == ErrOutcomeUnknown && e.MaybeApplied
}
