package fakeclerk_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// maxErrorAnswer bounds every error answer the server makes, whatever the request.
const maxErrorAnswer = 8 << 10

// TestHostileInput throws malformed, oversized, deeply nested, non-UTF-8 and non-canonical
// requests at the server. Each must get a small 4xx in Clerk's error shape; afterwards the server
// must still list everything it accepted, and nothing else.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	valid := func(addr string) string { return fmt.Sprintf(`{"email_address":%q,"notify":false}`, addr) }
	manyUnknown := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"email_address":"a@example.com"`)
		for i := range n {
			fmt.Fprintf(&b, `,"f%06d":1`, i)
		}
		return b.String() + "}"
	}
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed", "POST", "/v1/invitations", `{"email_address":`, 400, "request_body_invalid"},
		{"two documents", "POST", "/v1/invitations", valid("x@example.com") + valid("y@example.com"), 400, "request_body_invalid"},
		{"not an object", "POST", "/v1/invitations", `"a@example.com"`, 400, "request_body_invalid"},
		{"invalid UTF-8 in the address", "POST", "/v1/invitations", "{\"email_address\":\"ad\xffa@example.com\"}", 400, "request_body_invalid"},
		{"invalid UTF-8 in metadata", "POST", "/v1/invitations", "{\"email_address\":\"u@example.com\",\"public_metadata\":{\"k\":\"\xc3\x28\"}}", 400, "request_body_invalid"},
		{"escaped lone surrogate", "POST", "/v1/invitations", `{"email_address":"\udc00a@example.com"}`, 422, "form_param_format_invalid"},
		{"UTF-16 byte order mark", "POST", "/v1/invitations", "\xff\xfe{\x00}\x00", 400, "request_body_invalid"},
		{"a megabyte of unknown fields", "POST", "/v1/invitations", manyUnknown(60_000), 422, "form_param_unknown"},
		{"a field name of 200 KB", "POST", "/v1/invitations", `{"email_address":"a@example.com","` + strings.Repeat("k", 200<<10) + `":1}`, 422, "form_param_unknown"},
		{"over the body limit", "POST", "/v1/invitations", `{"email_address":"a@example.com","public_metadata":{"k":"` + strings.Repeat("x", 2<<20) + `"}}`, 400, "request_body_invalid"},
		{"nested past the decoder's limit", "POST", "/v1/invitations", `{"email_address":"a@example.com","public_metadata":{"a":` + strings.Repeat("[", 10_001) + strings.Repeat("]", 10_001) + `}}`, 400, "request_body_invalid"},
		{"nested 9,000 deep", "POST", "/v1/invitations", `{"email_address":"a@example.com","public_metadata":{"a":` + strings.Repeat("[", 9_000) + strings.Repeat("]", 9_000) + `}}`, 422, "form_param_exceeds_allowed_size"},
		{"bulk of unknown fields", "POST", "/v1/invitations/bulk", "[" + strings.Repeat(manyUnknown(500)+",", 9) + manyUnknown(500) + "]", 422, "form_param_unknown"},
		{"bulk of a thousand", "POST", "/v1/invitations/bulk", "[" + strings.Repeat(valid("z@example.com")+",", 999) + valid("z@example.com") + "]", 400, "bulk_size_exceeded"},
		{"limit beyond int64", "GET", "/v1/invitations?limit=99999999999999999999999", "", 422, "form_param_format_invalid"},
		{"status of 10 KB", "GET", "/v1/invitations?status=" + strings.Repeat("p", 10<<10), "", 422, "form_param_value_invalid"},
		{"a URI of a megabyte", "GET", "/v1/invitations?status=" + strings.Repeat("p", 1<<20), "", 414, "request_uri_too_long"},
		// Paths a client library would clean into a route are no route: Clerk's 404, never a
		// redirect that a client would follow with its POST.
		{"dot-dot into bulk", "POST", "/v1/invitations/x/../bulk", `[]`, 404, "resource_not_found"},
		{"doubled slash", "POST", "//v1/invitations", valid("d@example.com"), 404, "resource_not_found"},
		{"dot segment", "POST", "/v1/./invitations", valid("d@example.com"), 404, "resource_not_found"},
		{"trailing slash", "POST", "/v1/invitations/", valid("d@example.com"), 404, "resource_not_found"},
		{"trailing slash on bulk", "POST", "/v1/invitations/bulk/", `[]`, 404, "resource_not_found"},
		{"encoded dot-dot as the id", "POST", "/v1/invitations/%2e%2e/revoke", ``, 404, "resource_not_found"},
		{"encoded slash in the id", "POST", "/v1/invitations/a%2fb/revoke", ``, 404, "resource_not_found"},
		{"empty id", "DELETE", "/v1/invitations//", ``, 404, "resource_not_found"},
		{"upper-case route", "GET", "/V1/invitations", ``, 404, "resource_not_found"},
		{"wrong method", "PUT", "/v1/invitations", valid("d@example.com"), 404, "resource_not_found"},
		{"revoke with GET", "GET", "/v1/invitations/inv_1/revoke", ``, 404, "resource_not_found"},
	}
	accepted := map[string]bool{}
	for i, tc := range cases {
		r := e.call(tc.method, tc.path, tc.body)
		assert.Equal(t, tc.status, r.status, "%s: %.300s", tc.name, r.raw)
		assert.Equal(t, "application/json", r.header.Get("Content-Type"), tc.name)
		assert.LessOrEqual(t, len(r.raw), maxErrorAnswer, "%s: a %d-byte answer", tc.name, len(r.raw))
		require.NotEmpty(t, r.errorCodes(), "%s: Clerk's error shape: %.300s", tc.name, r.raw)
		assert.Equal(t, tc.code, strings.SplitN(r.errorCodes()[0], ":", 2)[0], tc.name)
		assert.Empty(t, r.header.Get("Location"), "%s: no redirect", tc.name)

		// Something valid between the hostile ones, which the server must keep.
		addr := fmt.Sprintf("ok%02d@example.com", i)
		inv := e.create(addr, `,"notify":false`)
		accepted[inv["id"].(string)] = true
	}

	r := e.call("GET", "/v1/invitations?paginated=true&limit=500&status=pending&status=accepted&status=revoked&status=expired", "")
	require.Equal(t, 200, r.status)
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
		TotalCount int `json:"total_count"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.raw), &page))
	assert.Equal(t, len(accepted), page.TotalCount, "exactly what was accepted, nothing the hostile requests left behind")
	for _, inv := range page.Data {
		assert.True(t, accepted[inv.ID], "listed %s, which was never accepted", inv.ID)
	}
	assert.Equal(t, len(accepted), e.fake.Len())
}

// TestHeadersOverTheLimit get Clerk's error body, not whatever net/http would answer.
func TestHeadersOverTheLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req, err := http.NewRequestWithContext(t.Context(), "GET", e.url+"/v1/invitations", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("X-Padding", strings.Repeat("x", fakeclerk.MaxHeaderBytes))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
	assert.Contains(t, string(body), `"code":"request_header_fields_too_large"`)
}

// TestOneRouteForDispatchLimitsAndFaults checks that the route the server dispatches on is the
// one its rate limits and fault injection see, however the path is spelt.
func TestOneRouteForDispatchLimitsAndFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.InjectFault(fakeclerk.OpRevoke, 1, fakeclerk.Fault{Status: 503, Header: http.Header{"Content-Type": {"text/plain"}}, Body: "down"})
	r := e.call("POST", "/v1/invitations/a%2fb/revoke", "")
	assert.Equal(t, 503, r.status, "an encoded slash in the id is still a revoke, for faults too")
	r = e.call("POST", "/v1/invitations/a%2fb/revoke", "")
	assert.Equal(t, 404, r.status)

	limits := rules.Budgets{Overall: rules.Budget{Calls: 3, Per: 10 * time.Second}}
	l := newEnv(t, func(o *fakeclerk.Options) { o.RateLimits = &limits })
	for _, path := range []string{"/v1/invitations/a%2fb/revoke", "/v1/invitations/x/../bulk", "/v1/users"} {
		assert.Equal(t, 404, l.call("POST", path, "").status, path)
	}
	r = l.call("POST", "/v1/invitations/a%2fb/revoke", "")
	assert.Equal(t, 429, r.status, "every call spends the overall budget, whatever its path")
}

func TestStoreIsBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *fakeclerk.Options) { o.MaxInvitations = 3 })
	e.create("a@example.com")
	e.create("b@example.com")
	r := e.call("POST", "/v1/invitations/bulk", `[{"email_address":"c@example.com"},{"email_address":"d@example.com"}]`)
	assert.Equal(t, 403, r.status)
	assert.Equal(t, []string{"quota_exceeded"}, r.errorCodes())
	assert.Contains(t, r.raw, "at most 3 invitations")
	id := e.create("c@example.com")["id"].(string)
	r = e.call("POST", "/v1/invitations", `{"email_address":"d@example.com"}`)
	assert.Equal(t, 403, r.status)
	assert.Equal(t, 3, e.fake.Len())
	require.Equal(t, 200, e.call("DELETE", "/v1/invitations/"+id, "").status)
	e.create("d@example.com")
}

func TestCommitFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	// Carried out, then the connection dropped: the invitation exists, the client saw nothing.
	e.fake.InjectFault(fakeclerk.OpCreate, 1, fakeclerk.Fault{Commit: true, Drop: true})
	req, _ := http.NewRequest("POST", e.url+"/v1/invitations", strings.NewReader(`{"email_address":"a@example.com"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	_, err := http.DefaultClient.Do(req)
	require.Error(t, err)
	assert.Equal(t, 1, e.fake.Len())

	// Carried out, answered with half a body.
	e.fake.InjectFault(fakeclerk.OpCreate, 1, fakeclerk.Fault{Commit: true, Truncate: true})
	req, _ = http.NewRequest("POST", e.url+"/v1/invitations", strings.NewReader(`{"email_address":"b@example.com"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, 2, e.fake.Len())

	// Carried out, answered by a proxy's 502 page.
	e.fake.InjectFault(fakeclerk.OpDelete, 1, fakeclerk.Fault{Commit: true, Status: 502, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<h1>bad gateway</h1>"})
	list := e.call("GET", "/v1/invitations", "")
	id := list.body.([]any)[0].(map[string]any)["id"].(string)
	r := e.call("DELETE", "/v1/invitations/"+id, "")
	assert.Equal(t, 502, r.status)
	assert.Equal(t, "<h1>bad gateway</h1>", r.raw)
	assert.Equal(t, 1, e.fake.Len(), "the delete was carried out behind the 502")

	// Without Commit, a truncated answer stands in for the call.
	e.fake.InjectFault(fakeclerk.OpCreate, 1, fakeclerk.Fault{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: `{"id":"inv_x","object":"invitation"}`, Truncate: true})
	req, _ = http.NewRequest("POST", e.url+"/v1/invitations", strings.NewReader(`{"email_address":"c@example.com"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Error(t, err)
	assert.Equal(t, 1, e.fake.Len())
}
