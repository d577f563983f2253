package invitations_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

var sentinels = map[string]error{
	"duplicate":        invitations.ErrDuplicate,
	"already revoked":  invitations.ErrAlreadyRevoked,
	"already accepted": invitations.ErrAlreadyAccepted,
	"not found":        invitations.ErrNotFound,
	"rate limited":     invitations.ErrRateLimited,
	"unauthorized":     invitations.ErrUnauthorized,
	"invalid":          invitations.ErrInvalidRequest,
	"outcome unknown":  invitations.ErrOutcomeUnknown,
	"unexpected":       invitations.ErrUnexpectedResponse,
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		matches    []string // sentinel names errors.Is must match; every other must not
		code       string
		trace      string
		retryAfter time.Duration
		message    string // in Error()
		offSpec    bool   // the response breaks openapi.yaml on purpose
	}{
		{name: "duplicate", status: 400, body: errorJSON(400, "duplicate_record", "There are already pending invitations for the following email addresses: ada@example.com, o'brien+x@sub.example.org"),
			matches: []string{"duplicate"}, code: "duplicate_record", trace: "trace-400", message: "for the following email addresses: [email], [email] [code"},
		{name: "already revoked", status: 400, body: errorJSON(400, "invitation_already_revoked", "This invitation was already revoked."),
			matches: []string{"already revoked"}, code: "invitation_already_revoked", trace: "trace-400", message: "already revoked"},
		{name: "already accepted", status: 400, body: errorJSON(400, "invitation_already_accepted", "This invitation was already accepted."),
			matches: []string{"already accepted"}, code: "invitation_already_accepted", trace: "trace-400", message: "already accepted"},
		{name: "malformed body", status: 400, body: errorJSON(400, "request_body_invalid", "The request body is invalid."),
			code: "request_body_invalid", trace: "trace-400", message: "request body is invalid"},
		{name: "not found", status: 404, body: errorJSON(404, "resource_not_found", "Resource not found"),
			matches: []string{"not found"}, code: "resource_not_found", trace: "trace-404", message: "Resource not found"},
		{name: "unauthorized", status: 401, body: errorJSON(401, "authentication_invalid", "Unauthorized request"),
			matches: []string{"unauthorized"}, code: "authentication_invalid", trace: "trace-401"},
		{name: "forbidden", status: 403, body: errorJSON(403, "authorization_invalid", "Forbidden"),
			code: "authorization_invalid", trace: "trace-403"},
		{name: "unprocessable", status: 422, body: `{"errors":[{"message":"is invalid","long_message":"email_address must be a valid email address.","code":"form_param_format_invalid","meta":{"param_name":"email_address"}}]}`,
			matches: []string{"invalid"}, code: "form_param_format_invalid", message: "email_address must be a valid email address."},
		{name: "form code on a 400", status: 400, body: errorJSON(400, "form_param_unknown", "role is not a valid parameter."),
			matches: []string{"invalid"}, code: "form_param_unknown", trace: "trace-400", message: "role is not a valid parameter."},
		{name: "identifier exists", status: 422, body: errorJSON(422, "form_identifier_exists", "That email address is taken."),
			matches: []string{"invalid"}, code: "form_identifier_exists", trace: "trace-422"},
		{name: "rate limited", status: 429, header: map[string]string{"Retry-After": "7", "Clerk-Trace-Id": "hdr"},
			body: errorJSON(429, "too_many_requests", "Too many requests"), matches: []string{"rate limited"},
			code: "too_many_requests", trace: "trace-429", retryAfter: 7 * time.Second, message: "retry after 7s"},
		{name: "trace id from header", status: 404, header: map[string]string{"Clerk-Trace-Id": "from-header"},
			body:    `{"errors":[{"message":"not found","long_message":"Not found","code":"resource_not_found"}]}`,
			matches: []string{"not found"}, code: "resource_not_found", trace: "from-header", message: "trace from-header"},
		{name: "server error", status: 500, body: errorJSON(500, "internal_clerk_error", "Something went wrong"),
			code: "internal_clerk_error", trace: "trace-500", message: "500 internal server error: Something went wrong"},
		// A proxy's 502/503 may stand in front of a server that revoked: the client looks the
		// invitation up (finding nothing here) and says the revoke may have taken effect.
		{name: "html from a proxy", status: 502, header: map[string]string{"Content-Type": "text/html"},
			body: "<html><body><h1>502 Bad Gateway</h1></body></html>", matches: []string{"outcome unknown"}, message: "502 bad gateway (unrecognized 50-byte body) [may have taken effect]"},
		{name: "plain text", status: 503, header: map[string]string{"Content-Type": "text/plain"},
			body: "upstream connect error", matches: []string{"outcome unknown"}, message: "503 service unavailable (unrecognized"},
		{name: "empty 503", status: 503, header: map[string]string{"Content-Type": "application/json"},
			matches: []string{"outcome unknown"}, message: "503 service unavailable (empty body)", offSpec: true},
		{name: "truncated json", status: 400, body: `{"errors":[{"message":"dup`, message: "400 bad request (unrecognized", offSpec: true},
		{name: "429 without Retry-After", status: 429, body: errorJSON(429, "too_many_requests", "Slow down"),
			matches: []string{"rate limited"}, code: "too_many_requests", trace: "trace-429", offSpec: true},
		{name: "undocumented status", status: 418, body: errorJSON(418, "teapot", "I'm a teapot"), code: "teapot", trace: "trace-418", offSpec: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, invitations.WithRetries(0))
			f.handle("POST /invitations/{id}/revoke", tc.status, tc.header, tc.body)
			f.handle("GET /invitations", 200, nil, `{"data":[],"total_count":0}`)

			inv, err := f.client.Revoke(t.Context(), "inv_1")
			assert.Nil(t, inv)
			var apiErr *invitations.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.Equal(t, tc.code, apiErr.Code())
			assert.Equal(t, tc.trace, apiErr.TraceID)
			assert.Equal(t, tc.retryAfter, apiErr.RetryAfter)
			assert.Equal(t, tc.body, string(apiErr.Body))
			assert.Equal(t, invitations.OpRevoke, apiErr.Operation)
			assert.Equal(t, 1, apiErr.Attempts)
			for name, sentinel := range sentinels {
				want := false
				for _, m := range tc.matches {
					want = want || m == name
				}
				assert.Equal(t, want, errors.Is(err, sentinel), "errors.Is(err, %s)", name)
			}
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "invitations: revoke: "), msg)
			assert.NotContains(t, msg, "@", "Error() must not show an email address")
			assert.Contains(t, msg, tc.message)
			assert.NotContains(t, msg, "\n")
			assert.NotContains(t, msg, "{", "Error() must not print JSON")
			assert.NotContains(t, msg, "<html>", "Error() must not print the body")

			findings := f.findings.Take()
			if tc.offSpec {
				assert.NotEmpty(t, findings, "the validator must flag this response")
			} else {
				assert.Empty(t, findings)
			}
		})
	}
}

func TestErrorCarriesEveryEntry(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /invitations", 422, nil, `{"errors":[
		{"message":"is unknown","long_message":"foo is not a valid parameter.","code":"form_param_unknown","meta":{"param_name":"foo"}},
		{"message":"missing","long_message":"email_address is missing.","code":"form_param_missing","meta":{"param_name":"email_address","extra":[1]}},
		{"message":"odd","long_message":"A server sent a number.","code":"form_param_value_invalid","meta":{"param_name":7}},
		{"message":"bare","long_message":"No meta at all.","code":"some_code"}
	],"meta":{},"clerk_trace_id":"t-1"}`)
	_, err := f.client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com"})
	var apiErr *invitations.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Len(t, apiErr.Errors, 4)
	assert.Equal(t, invitations.ErrorDetail{Code: "form_param_unknown", Message: "is unknown", LongMessage: "foo is not a valid parameter.",
		ParamName: "foo", Meta: map[string]any{"param_name": "foo"}}, apiErr.Errors[0])
	assert.Equal(t, "email_address", apiErr.Errors[1].ParamName)
	assert.Equal(t, []any{float64(1)}, apiErr.Errors[1].Meta["extra"], "meta keeps the keys it has no field for")
	assert.Equal(t, "", apiErr.Errors[2].ParamName, "a param_name that is not a string names nothing, and costs no other entry")
	assert.Equal(t, float64(7), apiErr.Errors[2].Meta["param_name"])
	assert.Nil(t, apiErr.Errors[3].Meta)
	assert.True(t, apiErr.HasCode("form_param_missing"))
	assert.False(t, apiErr.HasCode("duplicate_record"))
	assert.Equal(t, "invitations: create: 422 unprocessable entity: foo is not a valid parameter.; email_address is missing.; A server sent a number.; No meta at all. [code form_param_unknown, trace t-1]", err.Error())
	assert.NotEmpty(t, f.findings.Take(), "a number as param_name breaks openapi.yaml: the validator says so")
}

// TestParamNameIsReadFromParamName pins the key: Clerk's SDKs and live answers carry the
// parameter in meta.param_name; a meta.name (what this client once expected) names nothing.
func TestParamNameIsReadFromParamName(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /invitations", 422, nil, `{"errors":[
		{"message":"invalid URL scheme","long_message":"Please provide a URL with one of the following schemes: https, http","code":"invalid_url_scheme","meta":{"param_name":"redirect_url"}},
		{"message":"is invalid","long_message":"Old shape.","code":"form_param_value_invalid","meta":{"name":"expires_in_days"}}
	]}`)
	_, err := f.client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com"})
	var apiErr *invitations.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Len(t, apiErr.Errors, 2)
	assert.Equal(t, "redirect_url", apiErr.Errors[0].ParamName)
	assert.Equal(t, "", apiErr.Errors[1].ParamName)
	assert.ErrorIs(t, err, invitations.ErrInvalidRequest)
}

func TestErrorNeverContainsTheSecretKey(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// A misbehaving proxy echoes the Authorization header back in every field.
	echo := "Bearer " + testKey
	f.mux.HandleFunc("POST /v1/invitations", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Clerk-Trace-Id", r.Header.Get("Authorization"))
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"errors":[{"message":"` + echo + `","long_message":"bad key ` + echo + "\\nsecond line" + `","code":"` + testKey + `"}]}`))
	})
	_, err := f.client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com"})
	var apiErr *invitations.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.NotContains(t, err.Error(), testKey)
	assert.NotContains(t, apiErr.TraceID, testKey)
	assert.NotContains(t, apiErr.Errors[0].LongMessage, testKey)
	assert.NotContains(t, apiErr.Errors[0].Code, testKey)
	assert.Contains(t, err.Error(), "bad key Bearer [redacted] second line")
	assert.ErrorIs(t, err, invitations.ErrUnauthorized)

	// Escaped in the JSON, and in meta's keys and values, the key is still the key.
	escaped := `\u0073` + testKey[1:]
	f.mux.HandleFunc("POST /v1/invitations/bulk", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"errors":[{"message":"m","long_message":"` + escaped + `","code":"c","meta":{"param_name":"` + escaped + `","` + escaped + `":["` + escaped + `"]}}],"clerk_trace_id":"` + escaped + `"}`))
	})
	_, err = f.client.BulkCreate(t.Context(), []invitations.CreateParams{{EmailAddress: "ada@example.com"}})
	require.ErrorAs(t, err, &apiErr)
	assert.NotContains(t, fmt.Sprintf("%+v %#v", apiErr.Errors, apiErr.TraceID), testKey)
	assert.Equal(t, "[redacted]", apiErr.Errors[0].ParamName)
	f.findings.Take()
}

func TestRetryAfterAsHTTPDate(t *testing.T) {
	t.Parallel()
	f := setup(t)
	when := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	f.handle("GET /invitations", 429, map[string]string{"Retry-After": when}, errorJSON(429, "too_many_requests", "Too many requests"))
	_, err := f.client.List(t.Context(), invitations.ListParams{})
	var apiErr *invitations.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.InDelta(t, 90, apiErr.RetryAfter.Seconds(), 2)
	// An HTTP date is not the integer openapi.yaml promises: the validator must say so.
	assert.NotEmpty(t, f.findings.Take())
}

func TestErrorWithoutStatusTextOrEntries(t *testing.T) {
	t.Parallel()
	e := &invitations.APIError{StatusCode: 599}
	assert.Equal(t, "invitations: 599 (empty body)", e.Error())
	assert.Equal(t, "", e.Code())
	assert.False(t, errors.Is(e, invitations.ErrNotFound))
}
