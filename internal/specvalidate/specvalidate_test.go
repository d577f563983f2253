package specvalidate_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	clerkinvitations "github.com/clerk-invitations/clerk-invitations-go"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
	"github.com/clerk-invitations/clerk-invitations-go/internal/specvalidate"
)

const base = "http://127.0.0.1:1/v1"

const invitation = `{"object":"invitation","id":"inv_1","email_address":"ada@example.com","public_metadata":{},
"status":"pending","expires_at":null,"created_at":1,"updated_at":1}`

func TestSpecIsValidAndComplete(t *testing.T) {
	t.Parallel()
	doc, err := specvalidate.Load(clerkinvitations.Spec)
	require.NoError(t, err)
	assert.Equal(t, "3.0.3", doc.OpenAPI)

	ops := map[string]*openapi3.Operation{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ops[op.OperationID] = op
		}
	}
	require.Len(t, ops, 5)
	for _, id := range []string{"CreateInvitation", "ListInvitations", "CreateBulkInvitations", "RevokeInvitation", "DeleteInvitation"} {
		op := ops[id]
		require.NotNil(t, op, id)
		for _, status := range []int{400, 401, 403, 422, 429, 500, 502, 503} {
			assert.NotNil(t, op.Responses.Status(status), "%s must document %d", id, status)
		}
		assert.NotNil(t, op.Responses.Status(429).Value.Headers["Retry-After"], "%s 429 must carry Retry-After", id)
	}
	assert.NotNil(t, ops["RevokeInvitation"].Responses.Status(404))
	assert.NotNil(t, ops["DeleteInvitation"].Responses.Status(404))
	assert.Equal(t, "#/components/schemas/DeletedObject", ops["DeleteInvitation"].Responses.Status(200).Value.Content.Get("application/json").Schema.Ref)
	assert.Equal(t, "#/components/schemas/RevokedInvitation", ops["RevokeInvitation"].Responses.Status(200).Value.Content.Get("application/json").Schema.Ref)

	list := doc.Components.Schemas["InvitationListResponse"].Value
	require.Len(t, list.AllOf, 1)
	require.Len(t, list.AllOf[0].Value.OneOf, 2, "the list answers a bare array or a page")
	assert.True(t, doc.Components.Schemas["Invitation"].Value.Properties["expires_at"].Value.Nullable)
	bulk := ops["CreateBulkInvitations"].RequestBody.Value.Content.Get("application/json").Schema.Value
	assert.Equal(t, uint64(1), bulk.MinItems)
	assert.Equal(t, uint64(10), *bulk.MaxItems)
	// As Clerk publishes them: only a bulk item may carry null metadata or redirect_url, and only
	// there does template_slug have a default.
	assert.Equal(t, "#/components/schemas/BulkInvitationParams", bulk.Items.Ref)
	single := ops["CreateInvitation"].RequestBody.Value.Content.Get("application/json").Schema
	assert.Equal(t, "#/components/schemas/CreateInvitationParams", single.Ref)
	for _, field := range []string{"public_metadata", "redirect_url"} {
		assert.False(t, single.Value.Properties[field].Value.Nullable, "single create %s", field)
		assert.True(t, bulk.Items.Value.Properties[field].Value.Nullable, "bulk item %s", field)
	}
	assert.Nil(t, single.Value.Properties["template_slug"].Value.Default)
	assert.Equal(t, "invitation", bulk.Items.Value.Properties["template_slug"].Value.Default)
	orderBy := ops["ListInvitations"].Parameters.GetByInAndName("query", "order_by")
	assert.Equal(t, "-created_at", orderBy.Schema.Value.Default)
}

func request(method, path, body string) *http.Request {
	req := httptest.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer sk_test_x")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func TestCheckRequest(t *testing.T) {
	t.Parallel()
	v, err := specvalidate.New(base, specvalidate.Strict)
	require.NoError(t, err)

	ok := []struct{ method, path, body string }{
		{"POST", "/invitations", `{"email_address":"ada@example.com","notify":false}`},
		{"POST", "/invitations/bulk", `[{"email_address":"ada@example.com"}]`},
		{"GET", "/invitations?status=pending&status=expired&order_by=%2Bemail_address&limit=500&offset=0&paginated=true", ""},
		{"POST", "/invitations/inv_1/revoke", ""},
		{"DELETE", "/invitations/inv_1", ""},
	}
	for _, tc := range ok {
		req := request(tc.method, tc.path, tc.body)
		assert.NoError(t, v.CheckRequest(req, []byte(tc.body)), tc.path)
	}

	bad := []struct{ name, method, path, body, want string }{
		{"unknown field", "POST", "/invitations", `{"email_address":"ada@example.com","nope":1}`, "nope"},
		{"missing email", "POST", "/invitations", `{}`, "email_address"},
		{"bad email", "POST", "/invitations", `{"email_address":"ada"}`, "email"},
		{"days out of range", "POST", "/invitations", `{"email_address":"ada@example.com","expires_in_days":366}`, "expires_in_days"},
		{"bad template", "POST", "/invitations", `{"email_address":"ada@example.com","template_slug":"x"}`, "template_slug"},
		{"empty bulk", "POST", "/invitations/bulk", `[]`, "minimum"},
		{"limit too big", "GET", "/invitations?limit=501", "", "limit"},
		{"negative offset", "GET", "/invitations?offset=-1", "", "offset"},
		{"bad order", "GET", "/invitations?order_by=updated_at", "", "order_by"},
		{"bad status", "GET", "/invitations?status=gone", "", "status"},
		{"unknown path", "GET", "/users", "", "no operation"},
	}
	for _, tc := range bad {
		req := request(tc.method, tc.path, tc.body)
		err := v.CheckRequest(req, []byte(tc.body))
		require.Error(t, err, tc.name)
		assert.Contains(t, err.Error(), tc.want, tc.name)
	}

	outside := httptest.NewRequest("GET", "http://127.0.0.1:1/v2/invitations", nil)
	outside.Header.Set("Authorization", "Bearer sk_test_x")
	assert.ErrorContains(t, v.CheckRequest(outside, nil), "not below the base path")

	noAuth := request("POST", "/invitations/inv_1/revoke", "")
	noAuth.Header.Del("Authorization")
	assert.ErrorContains(t, v.CheckRequest(noAuth, nil), "bearer")
}

func TestCheckResponseStrictAndTolerant(t *testing.T) {
	t.Parallel()
	strict, err := specvalidate.New(base, specvalidate.Strict)
	require.NoError(t, err)
	tolerant, err := specvalidate.New(base, specvalidate.Tolerant)
	require.NoError(t, err)
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	create := request("POST", "/invitations", `{"email_address":"ada@example.com"}`)

	cases := []struct {
		name                     string
		status                   int
		header                   http.Header
		body                     string
		strictFails, tolerantErr bool // tolerantErr: a violation (not drift) in Tolerant mode
		drift                    bool
	}{
		{name: "valid", status: 200, header: jsonCT, body: invitation},
		{name: "new field", status: 200, header: jsonCT, body: strings.Replace(invitation, `"id"`, `"brand_new":1,"id"`, 1), strictFails: true, drift: true},
		{name: "new status", status: 200, header: jsonCT, body: strings.Replace(invitation, `"pending"`, `"archived"`, 1), strictFails: true, drift: true},
		{name: "missing id", status: 200, header: jsonCT, body: strings.Replace(invitation, `"id":"inv_1",`, ``, 1), strictFails: true, tolerantErr: true},
		{name: "seconds as string", status: 200, header: jsonCT, body: strings.Replace(invitation, `"created_at":1`, `"created_at":"1"`, 1), strictFails: true, tolerantErr: true},
		{name: "undocumented status", status: 409, header: jsonCT, body: `{"errors":[]}`, strictFails: true, tolerantErr: true},
		{name: "429 with Retry-After", status: 429, header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"3"}}, body: `{"errors":[]}`},
		{name: "429 without Retry-After", status: 429, header: jsonCT, body: `{"errors":[]}`, strictFails: true, tolerantErr: true},
		{name: "429 with a date", status: 429, header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"Wed, 21 Oct 2026 07:28:00 GMT"}}, body: `{"errors":[]}`, strictFails: true, tolerantErr: true},
		{name: "error without errors", status: 404, header: jsonCT, body: `{}`, strictFails: true, tolerantErr: true},
		{name: "html 502", status: 502, header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, body: "<html></html>"},
	}
	for _, tc := range cases {
		violation, drift := strict.CheckResponse(create, tc.status, tc.header, []byte(tc.body))
		assert.Equal(t, tc.strictFails, violation != nil, "%s strict: %v", tc.name, violation)
		assert.NoError(t, drift, "strict mode never reports drift")

		violation, drift = tolerant.CheckResponse(create, tc.status, tc.header, []byte(tc.body))
		assert.Equal(t, tc.tolerantErr, violation != nil, "%s tolerant: %v", tc.name, violation)
		assert.Equal(t, tc.drift, drift != nil, "%s drift: %v", tc.name, drift)
	}
}

// TestRevokeAndDeleteAnswers checks the shapes Clerk describes for the two answers that are not a
// plain invitation: a revoke answers an invitation that is revoked, a delete a DeletedObject.
func TestRevokeAndDeleteAnswers(t *testing.T) {
	t.Parallel()
	strict, err := specvalidate.New(base, specvalidate.Strict)
	require.NoError(t, err)
	tolerant, err := specvalidate.New(base, specvalidate.Tolerant)
	require.NoError(t, err)
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	revoked := strings.NewReplacer(`"status":"pending"`, `"status":"revoked","revoked":true`).Replace(invitation)
	revoke := request("POST", "/invitations/inv_1/revoke", "")
	del := request("DELETE", "/invitations/inv_1", "")
	require.NoError(t, strict.CheckRequest(del, nil))

	cases := []struct {
		name        string
		req         *http.Request
		body        string
		strictFails bool
		drift       bool
	}{
		{name: "revoked", req: revoke, body: revoked},
		{name: "revoke answering a pending invitation", req: revoke, body: invitation, strictFails: true},
		{name: "revoke answering revoked:false", req: revoke, body: strings.Replace(revoked, `"revoked":true`, `"revoked":false`, 1), strictFails: true},
		{name: "revoke answer with a new field", req: revoke, body: strings.Replace(revoked, `"id"`, `"brand_new":1,"id"`, 1), strictFails: true, drift: true},
		{name: "deleted", req: del, body: `{"object":"invitation","id":"inv_1","deleted":true}`},
		{name: "deleted without id", req: del, body: `{"object":"invitation","deleted":true}`},
		{name: "delete answering an invitation", req: del, body: invitation, strictFails: true},
		{name: "delete answer with a new field", req: del, body: `{"object":"invitation","id":"inv_1","deleted":true,"purged_at":1}`, strictFails: true, drift: true},
	}
	for _, tc := range cases {
		violation, _ := strict.CheckResponse(tc.req, 200, jsonCT, []byte(tc.body))
		assert.Equal(t, tc.strictFails, violation != nil, "%s strict: %v", tc.name, violation)
		violation, drift := tolerant.CheckResponse(tc.req, 200, jsonCT, []byte(tc.body))
		assert.Equal(t, tc.strictFails && !tc.drift, violation != nil, "%s tolerant: %v", tc.name, violation)
		assert.Equal(t, tc.drift, drift != nil, "%s drift: %v", tc.name, drift)
	}
}

func TestTransportPassesTrafficThroughUnchanged(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if !bytes.Contains(body, []byte("ada@example.com")) {
			w.WriteHeader(500)
			return
		}
		_, _ = io.WriteString(w, strings.Replace(invitation, `"id"`, `"extra":true,"id"`, 1))
	}))
	defer srv.Close()
	v, err := specvalidate.New(srv.URL+"/v1", specvalidate.Strict)
	require.NoError(t, err)
	rec := &specvalidate.Recorder{}
	client := &http.Client{Transport: &specvalidate.Transport{Validator: v, Report: rec.Report}}

	req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/v1/invitations", strings.NewReader(`{"email_address":"ada@example.com"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk_test_x")
	resp, err := client.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(body), `"extra":true`, "the body reaches the caller intact")

	findings := rec.Take()
	require.Len(t, findings, 1)
	assert.Equal(t, specvalidate.ResponseViolation, findings[0].Kind)
	assert.Equal(t, "/invitations", findings[0].Path)
	assert.Contains(t, findings[0].String(), "response violation: POST /invitations -> 200")
}

func TestMiddlewareChecksBothDirections(t *testing.T) {
	t.Parallel()
	v, err := specvalidate.New("/v1", specvalidate.Strict)
	require.NoError(t, err)
	rec := &specvalidate.Recorder{}
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(404)
		_, _ = io.WriteString(w, `{"errors":"not a list"}`)
	}), rec.Report)

	req := httptest.NewRequest("POST", "/v1/invitations/inv_1/revoke", nil) // no Authorization
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	assert.Equal(t, 404, w.Code, "the handler's answer is sent on")
	assert.Equal(t, `{"errors":"not a list"}`, w.Body.String())
	kinds := map[specvalidate.Kind]bool{}
	for _, f := range rec.Take() {
		kinds[f.Kind] = true
	}
	assert.Equal(t, map[specvalidate.Kind]bool{specvalidate.RequestViolation: true, specvalidate.ResponseViolation: true}, kinds)
}

// TestControlSpecIsValid: control.yaml loads, its references into openapi.yaml resolve, and every
// operation takes the key and answers a refused one with Clerk's error body.
func TestControlSpecIsValid(t *testing.T) {
	t.Parallel()
	doc, err := specvalidate.Load(clerkinvitations.ControlSpec)
	require.NoError(t, err)
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			n++
			unauthorized := op.Responses.Status(401)
			require.NotNil(t, unauthorized, "%s %s", method, path)
			assert.Contains(t, unauthorized.Value.Content.Get("application/json").Schema.Value.Properties, "errors", "%s %s", method, path)
		}
	}
	assert.Equal(t, 14, n, "the control plane's operations")
}

// TestControlPlaneOperationsAreTheOperations: the operations control.yaml lets a fault name
// are the project's one list of operation names (internal/rules), which the client exports
// and the embedded Clerk routes by.
func TestControlPlaneOperationsAreTheOperations(t *testing.T) {
	t.Parallel()
	doc, err := specvalidate.Load(clerkinvitations.ControlSpec)
	require.NoError(t, err)
	var enum []string
	for _, v := range doc.Components.Schemas["FaultInjection"].Value.Properties["operation"].Value.Enum {
		enum = append(enum, v.(string))
	}
	assert.ElementsMatch(t, rules.Ops, enum)
}
