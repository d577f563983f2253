package fakeclerk_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
	"github.com/clerk-invitations/clerk-invitations-go/internal/specvalidatetest"
)

const key = "sk_test_fakeclerkkey"

var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type env struct {
	t    *testing.T
	fake *fakeclerk.Server
	url  string
}

// newEnv starts a server with a frozen clock behind the strict validator: any answer that breaks
// openapi.yaml fails the test.
func newEnv(t *testing.T, opts ...func(*fakeclerk.Options)) *env {
	t.Helper()
	o := fakeclerk.Options{SecretKey: key, Start: start, Inner: specvalidatetest.ServerAnswers(t)}
	for _, opt := range opts {
		opt(&o)
	}
	fake := fakeclerk.New(o)
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, fake: fake, url: srv.URL}
}

type reply struct {
	status int
	header http.Header
	raw    string
	body   any
}

func (r reply) errorCodes() []string {
	var codes []string
	m, _ := r.body.(map[string]any)
	list, _ := m["errors"].([]any)
	for _, e := range list {
		entry := e.(map[string]any)
		code := entry["code"].(string)
		// Clerk names the parameter in meta.param_name (its SDKs read that key).
		if meta, ok := entry["meta"].(map[string]any); ok && meta["param_name"] != nil {
			code += ":" + fmt.Sprint(meta["param_name"])
		}
		codes = append(codes, code)
	}
	return codes
}

func (r reply) object() map[string]any {
	m, _ := r.body.(map[string]any)
	return m
}

func (e *env) call(method, path, body string, header ...string) reply {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (e *env) create(addr string, extra ...string) map[string]any {
	e.t.Helper()
	body := fmt.Sprintf(`{"email_address":%q%s}`, addr, strings.Join(extra, ""))
	r := e.call("POST", "/v1/invitations", body)
	require.Equal(e.t, 200, r.status, r.raw)
	return r.object()
}

func TestAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name, auth, code string
	}{
		{"missing", "", "authentication_invalid"},
		{"not bearer", "Basic abc", "authorization_header_format_invalid"},
		{"empty bearer", "Bearer ", "authorization_header_format_invalid"},
		{"wrong key", "Bearer sk_test_wrong", "clerk_key_invalid"},
	}
	for _, tc := range cases {
		for _, call := range [][2]string{{"GET", "/v1/invitations"}, {"POST", "/v1/invitations/inv_x/revoke"}} {
			r := e.call(call[0], call[1], "", "Authorization", tc.auth)
			assert.Equal(t, 401, r.status, tc.name)
			assert.Equal(t, []string{tc.code}, r.errorCodes(), tc.name)
			assert.NotEmpty(t, r.header.Get("Clerk-Trace-Id"))
			assert.NotContains(t, r.raw, key)
		}
	}
	assert.Equal(t, 0, e.fake.Len())
}

func TestCreateShapesTheInvitation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inv := e.create("Ada@Example.com", `,"public_metadata":{"plan":"pro"},"notify":false,"expires_in_days":7,"template_slug":"waitlist_invitation","redirect_url":"https://app.test/x"`)
	assert.Regexp(t, `^inv_[0-9A-Za-z]{27}$`, inv["id"])
	assert.Equal(t, "invitation", inv["object"])
	assert.Equal(t, "Ada@Example.com", inv["email_address"])
	assert.Equal(t, "pending", inv["status"])
	assert.Equal(t, false, inv["revoked"])
	assert.Equal(t, map[string]any{"plan": "pro"}, inv["public_metadata"])
	assert.Contains(t, inv["url"], "ticket=")
	assert.Equal(t, float64(start.UnixMilli()), inv["created_at"])
	assert.Equal(t, float64(start.UnixMilli()), inv["updated_at"])
	assert.Equal(t, float64(start.Add(7*24*time.Hour).UnixMilli()), inv["expires_at"])

	d, ok := e.fake.Lookup(inv["id"].(string))
	require.True(t, ok)
	assert.False(t, d.Notified)
	assert.Equal(t, "waitlist_invitation", d.TemplateSlug)
	assert.Equal(t, "https://app.test/x", d.RedirectURL)

	def := e.create("grace@example.com")
	assert.Equal(t, float64(start.Add(30*24*time.Hour).UnixMilli()), def["expires_at"], "30 days by default")
	assert.Equal(t, map[string]any{}, def["public_metadata"])
	d, _ = e.fake.Lookup(def["id"].(string))
	assert.True(t, d.Notified, "notify defaults to true")
	assert.Equal(t, "invitation", d.TemplateSlug)
}

func TestCreateDuplicatesAndUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.create("ada@example.com")

	r := e.call("POST", "/v1/invitations", `{"email_address":"ADA@example.com"}`)
	assert.Equal(t, 400, r.status)
	assert.Equal(t, []string{"duplicate_record"}, r.errorCodes())
	assert.Contains(t, r.raw, "ADA@example.com")

	second := e.create("ada@example.com", `,"ignore_existing":true`)
	assert.NotEqual(t, first["id"], second["id"])

	// Once no pending invitation is left, the address can be invited again.
	e.call("POST", "/v1/invitations/"+first["id"].(string)+"/revoke", "")
	require.NoError(t, e.fake.Expire(second["id"].(string)))
	e.create("ada@example.com")

	e.fake.RegisterUser("user@example.com")
	r = e.call("POST", "/v1/invitations", `{"email_address":"user@example.com"}`)
	assert.Equal(t, 422, r.status)
	assert.Equal(t, []string{"form_identifier_exists:email_address"}, r.errorCodes())
	e.create("user@example.com", `,"ignore_existing":true`)
	assert.Equal(t, 4, e.fake.Len())
}

func TestCreateRejectsBadBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name, body string
		status     int
		codes      []string
	}{
		{"malformed", `{"email_address":`, 400, []string{"request_body_invalid"}},
		{"trailing garbage", `{"email_address":"a@example.com"} x`, 400, []string{"request_body_invalid"}},
		{"empty", ``, 400, []string{"request_body_invalid"}},
		{"array", `[{"email_address":"a@example.com"}]`, 400, []string{"request_body_invalid"}},
		{"missing email", `{}`, 422, []string{"form_param_missing:email_address"}},
		{"null email", `{"email_address":null}`, 422, []string{"form_param_missing:email_address"}},
		{"email not string", `{"email_address":5}`, 422, []string{"form_param_format_invalid:email_address"}},
		{"bad email", `{"email_address":"nope"}`, 422, []string{"form_param_format_invalid:email_address"}},
		{"unknown field", `{"email_address":"a@example.com","role":"admin"}`, 422, []string{"form_param_unknown:role"}},
		{"days zero", `{"email_address":"a@example.com","expires_in_days":0}`, 422, []string{"form_param_value_invalid:expires_in_days"}},
		{"days 366", `{"email_address":"a@example.com","expires_in_days":366}`, 422, []string{"form_param_value_invalid:expires_in_days"}},
		{"days fraction", `{"email_address":"a@example.com","expires_in_days":1.5}`, 422, []string{"form_param_format_invalid:expires_in_days"}},
		{"notify string", `{"email_address":"a@example.com","notify":"no"}`, 422, []string{"form_param_format_invalid:notify"}},
		{"ignore_existing number", `{"email_address":"a@example.com","ignore_existing":1}`, 422, []string{"form_param_format_invalid:ignore_existing"}},
		{"metadata array", `{"email_address":"a@example.com","public_metadata":[]}`, 422, []string{"form_param_format_invalid:public_metadata"}},
		{"redirect number", `{"email_address":"a@example.com","redirect_url":1}`, 422, []string{"form_param_format_invalid:redirect_url"}},
		{"bad template", `{"email_address":"a@example.com","template_slug":"hello"}`, 422, []string{"form_param_value_invalid:template_slug"}},
		{"several", `{"zzz":1,"email_address":"x","expires_in_days":900}`, 422, []string{"form_param_unknown:zzz", "form_param_format_invalid:email_address", "form_param_value_invalid:expires_in_days"}},
	}
	for _, tc := range cases {
		r := e.call("POST", "/v1/invitations", tc.body)
		assert.Equal(t, tc.status, r.status, tc.name)
		assert.Equal(t, tc.codes, r.errorCodes(), tc.name)
		assert.NotEmpty(t, r.object()["clerk_trace_id"], tc.name)
	}
	assert.Equal(t, 0, e.fake.Len(), "nothing is created by a rejected call")
}

func TestCreateBoundsTheBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *fakeclerk.Options) { o.MaxBodyBytes = 256 })
	r := e.call("POST", "/v1/invitations", `{"email_address":"a@example.com","public_metadata":{"x":"`+strings.Repeat("a", 300)+`"}}`)
	assert.Equal(t, 400, r.status)
	assert.Equal(t, []string{"request_body_invalid"}, r.errorCodes())
	assert.Contains(t, r.raw, "larger than 256 bytes")
}

func TestBulk(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.call("POST", "/v1/invitations/bulk", `[{"email_address":"a@example.com","notify":false},{"email_address":"b@example.com","expires_in_days":2}]`)
	require.Equal(t, 200, r.status, r.raw)
	list := r.body.([]any)
	require.Len(t, list, 2)
	assert.Equal(t, "a@example.com", list[0].(map[string]any)["email_address"])
	assert.Equal(t, float64(start.Add(48*time.Hour).UnixMilli()), list[1].(map[string]any)["expires_at"])

	items := func(n int) string {
		var parts []string
		for i := range n {
			parts = append(parts, fmt.Sprintf(`{"email_address":"n%d@example.com"}`, i))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	e.fake.RegisterUser("user@example.com")
	cases := []struct {
		name, body string
		status     int
		codes      []string
	}{
		{"eleven", items(11), 400, []string{"bulk_size_exceeded"}},
		{"empty", `[]`, 422, []string{"form_param_missing:invitations"}},
		{"object", `{"email_address":"c@example.com"}`, 400, []string{"request_body_invalid"}},
		{"item not object", `[{"email_address":"c@example.com"},"d@example.com"]`, 400, []string{"request_body_invalid"}},
		{"one bad item", `[{"email_address":"c@example.com"},{"email_address":"bad"}]`, 422, []string{"form_param_format_invalid:email_address"}},
		{"existing pending", `[{"email_address":"c@example.com"},{"email_address":"a@example.com"}]`, 400, []string{"duplicate_record"}},
		{"same address twice", `[{"email_address":"c@example.com"},{"email_address":"C@example.com"}]`, 400, []string{"duplicate_record"}},
		{"registered user even with ignore_existing", `[{"email_address":"c@example.com"},{"email_address":"user@example.com","ignore_existing":true}]`, 422, []string{"form_identifier_exists:email_address"}},
	}
	for _, tc := range cases {
		r := e.call("POST", "/v1/invitations/bulk", tc.body)
		assert.Equal(t, tc.status, r.status, tc.name)
		assert.Equal(t, tc.codes, r.errorCodes(), tc.name)
	}
	assert.Equal(t, 2, e.fake.Len(), "a rejected bulk call creates nothing")

	r = e.call("POST", "/v1/invitations/bulk", items(10))
	assert.Equal(t, 200, r.status)
	r = e.call("POST", "/v1/invitations/bulk", `[{"email_address":"a@example.com","ignore_existing":true}]`)
	assert.Equal(t, 200, r.status)
	assert.Equal(t, 13, e.fake.Len())
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pending := e.create("a@example.com")["id"].(string)
	accepted := e.create("b@example.com")["id"].(string)
	expired := e.create("c@example.com")["id"].(string)
	require.NoError(t, e.fake.Accept(accepted))
	require.NoError(t, e.fake.Expire(expired))

	e.fake.Advance(time.Minute)
	r := e.call("POST", "/v1/invitations/"+pending+"/revoke", "")
	require.Equal(t, 200, r.status, r.raw)
	assert.Equal(t, "revoked", r.object()["status"])
	assert.Equal(t, true, r.object()["revoked"])
	assert.Equal(t, float64(start.Add(time.Minute).UnixMilli()), r.object()["updated_at"])

	cases := []struct {
		id     string
		status int
		code   string
	}{
		{pending, 400, "invitation_already_revoked"},
		{accepted, 400, "invitation_already_accepted"},
		{expired, 400, "invitation_already_expired"},
		{"inv_doesnotexist", 404, "resource_not_found"},
		{"inv%2F..%2Fx", 404, "resource_not_found"},
	}
	for _, tc := range cases {
		r := e.call("POST", "/v1/invitations/"+tc.id+"/revoke", "")
		assert.Equal(t, tc.status, r.status, tc.id)
		assert.Equal(t, []string{tc.code}, r.errorCodes(), tc.id)
	}
	assert.ErrorIs(t, e.fake.Accept("inv_nope"), fakeclerk.ErrUnknownInvitation)
	assert.ErrorContains(t, e.fake.Expire(pending), "not pending")
}

func TestClockExpiresInvitations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.create("a@example.com", `,"expires_in_days":1`)["id"].(string)
	e.fake.Advance(23 * time.Hour)
	d, _ := e.fake.Lookup(id)
	assert.Equal(t, "pending", string(d.Invitation.Status))
	e.fake.Advance(time.Hour)
	d, _ = e.fake.Lookup(id)
	assert.Equal(t, "expired", string(d.Invitation.Status))
	// An expired invitation no longer blocks a new one.
	e.create("a@example.com")
}

func listIDs(r reply) []string {
	var items []any
	switch b := r.body.(type) {
	case []any:
		items = b
	case map[string]any:
		items, _ = b["data"].([]any)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.(map[string]any)["email_address"].(string))
	}
	return ids
}

func TestList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	addrs := []string{"carol@example.com", "alice@example.com", "bob@other.test", "dave@example.com"}
	ids := map[string]string{}
	for i, a := range addrs {
		ids[a] = e.create(a, fmt.Sprintf(`,"expires_in_days":%d`, 10-i))["id"].(string)
		e.fake.Advance(time.Second)
	}
	require.NoError(t, e.fake.Accept(ids["alice@example.com"]))
	e.call("POST", "/v1/invitations/"+ids["dave@example.com"]+"/revoke", "")

	// dave's invitation is revoked: only a status filter naming revoked lists it.
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{"bob@other.test", "alice@example.com", "carol@example.com"}},
		{"order_by=created_at", []string{"carol@example.com", "alice@example.com", "bob@other.test"}},
		{"order_by=%2Bemail_address", []string{"alice@example.com", "bob@other.test", "carol@example.com"}},
		{"order_by=-email_address", []string{"carol@example.com", "bob@other.test", "alice@example.com"}},
		{"order_by=expires_at", []string{"bob@other.test", "alice@example.com", "carol@example.com"}},
		{"order_by=expires_at&status=revoked&status=pending&status=accepted", []string{"dave@example.com", "bob@other.test", "alice@example.com", "carol@example.com"}},
		{"status=pending", []string{"bob@other.test", "carol@example.com"}},
		{"status=revoked", []string{"dave@example.com"}},
		{"status=accepted&status=revoked", []string{"dave@example.com", "alice@example.com"}},
		{"query=OTHER", []string{"bob@other.test"}},
		{"query=dave", nil},
		{"query=dave&status=revoked", []string{"dave@example.com"}},
		{"query=" + ids["carol@example.com"], []string{"carol@example.com"}},
		{"limit=2", []string{"bob@other.test", "alice@example.com"}},
		{"limit=2&offset=2", []string{"carol@example.com"}},
		{"offset=10", nil},
	}
	for _, tc := range cases {
		bare := e.call("GET", "/v1/invitations?"+tc.query, "")
		require.Equal(t, 200, bare.status, tc.query)
		_, isArray := bare.body.([]any)
		assert.True(t, isArray, "without paginated the answer is an array")
		assert.Equal(t, tc.want, listIDs(bare), tc.query)

		paged := e.call("GET", "/v1/invitations?paginated=true&"+tc.query, "")
		require.Equal(t, 200, paged.status, tc.query)
		assert.Equal(t, tc.want, listIDs(paged), tc.query)
		assert.Contains(t, paged.object(), "total_count")
	}
	total := e.call("GET", "/v1/invitations?paginated=true&limit=1&status=pending", "")
	assert.Equal(t, float64(2), total.object()["total_count"])
	assert.Len(t, listIDs(total), 1)
	unfiltered := e.call("GET", "/v1/invitations?paginated=true&limit=1", "")
	assert.Equal(t, float64(3), unfiltered.object()["total_count"], "the count leaves the revoked invitation out too")
}

func TestListDefaultsToTenNewestFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 12 {
		e.create(fmt.Sprintf("p%02d@example.com", i)) // same clock tick: order falls back to creation order
	}
	r := e.call("GET", "/v1/invitations?paginated=true", "")
	got := listIDs(r)
	require.Len(t, got, 10)
	assert.Equal(t, "p11@example.com", got[0])
	assert.Equal(t, float64(12), r.object()["total_count"])
}

func TestListRejectsBadParams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := map[string]string{
		"limit=0":              "form_param_value_invalid:limit",
		"limit=501":            "form_param_value_invalid:limit",
		"limit=ten":            "form_param_format_invalid:limit",
		"offset=-1":            "form_param_value_invalid:offset",
		"offset=x":             "form_param_format_invalid:offset",
		"status=gone":          "form_param_value_invalid:status",
		"order_by=updated_at":  "form_param_value_invalid:order_by",
		"order_by=created_at+": "form_param_value_invalid:order_by",
		"paginated=maybe":      "form_param_format_invalid:paginated",
	}
	for q, code := range cases {
		r := e.call("GET", "/v1/invitations?"+q, "")
		assert.Equal(t, 422, r.status, q)
		assert.Equal(t, []string{code}, r.errorCodes(), q)
	}
}

func TestAPIVersionHeader(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	assert.Equal(t, 200, e.call("GET", "/v1/invitations", "", "Clerk-API-Version", "2025-04-10").status)
	r := e.call("GET", "/v1/invitations", "", "Clerk-API-Version", "latest")
	assert.Equal(t, []string{"api_version_invalid"}, r.errorCodes())
	r = e.call("GET", "/v1/invitations?__clerk_api_version=2025-04-10", "", "Clerk-API-Version", "2025-04-10")
	assert.Equal(t, 400, r.status)
	assert.Equal(t, []string{"api_version_invalid"}, r.errorCodes())
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	limits := rules.Budgets{Create: rules.Budget{Calls: 2, Per: time.Hour}, Overall: rules.Budget{Calls: 5, Per: 10 * time.Second}}
	e := newEnv(t, func(o *fakeclerk.Options) { o.RateLimits = &limits })
	e.create("a@example.com")
	e.fake.Advance(10 * time.Minute)
	e.create("b@example.com")
	r := e.call("POST", "/v1/invitations", `{"email_address":"c@example.com"}`)
	assert.Equal(t, 429, r.status)
	assert.Equal(t, []string{"too_many_requests"}, r.errorCodes())
	assert.Equal(t, "3000", r.header.Get("Retry-After"), "the hour window opened with the first create, 50 minutes remain")
	assert.Equal(t, 2, e.fake.Len())

	// Lists count against the overall budget only: 5 per 10 s. The window restarted with the
	// second create; the refused create did not count.
	for range 4 {
		assert.Equal(t, 200, e.call("GET", "/v1/invitations", "").status)
	}
	r = e.call("GET", "/v1/invitations", "")
	assert.Equal(t, 429, r.status)
	assert.Equal(t, "10", r.header.Get("Retry-After"))

	e.fake.Advance(50 * time.Minute)
	e.create("c@example.com")
}

func TestRateLimitWindowsScale(t *testing.T) {
	t.Parallel()
	limits := rules.Budgets{Create: rules.Budget{Calls: 1, Per: 2 * time.Second}, Bulk: rules.Budget{Calls: 1, Per: 5 * time.Second}}
	e := newEnv(t, func(o *fakeclerk.Options) { o.RateLimits = &limits })
	e.create("a@example.com")
	r := e.call("POST", "/v1/invitations", `{"email_address":"b@example.com"}`)
	require.Equal(t, 429, r.status)
	assert.Equal(t, "2", r.header.Get("Retry-After"))
	require.Equal(t, 200, e.call("POST", "/v1/invitations/bulk", `[{"email_address":"c@example.com"}]`).status)
	r = e.call("POST", "/v1/invitations/bulk", `[{"email_address":"d@example.com"}]`)
	require.Equal(t, 429, r.status)
	assert.Equal(t, "5", r.header.Get("Retry-After"))
	e.fake.Advance(2 * time.Second)
	e.create("b@example.com")
	assert.Equal(t, 429, e.call("POST", "/v1/invitations/bulk", `[{"email_address":"d@example.com"}]`).status, "the bulk window is longer")
	e.fake.Advance(3 * time.Second)
	assert.Equal(t, 200, e.call("POST", "/v1/invitations/bulk", `[{"email_address":"d@example.com"}]`).status)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.InjectFault(fakeclerk.OpCreate, 2, fakeclerk.Fault{Status: 503, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<h1>down</h1>"})
	for range 2 {
		r := e.call("POST", "/v1/invitations", `{"email_address":"a@example.com"}`)
		assert.Equal(t, 503, r.status)
		assert.Equal(t, "<h1>down</h1>", r.raw)
	}
	assert.Equal(t, 0, e.fake.Len(), "a faulted call is not carried out")
	e.create("a@example.com")

	// Faults are per operation.
	e.fake.InjectFault(fakeclerk.OpRevoke, 1, fakeclerk.Fault{Drop: true})
	assert.Equal(t, 200, e.call("GET", "/v1/invitations", "").status)
	req, _ := http.NewRequest("POST", e.url+"/v1/invitations/inv_x/revoke", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	_, err := http.DefaultClient.Do(req)
	assert.Error(t, err, "a dropped connection is a transport error")

	e.fake.InjectFault(fakeclerk.OpList, 1, fakeclerk.Fault{Delay: 30 * time.Millisecond})
	began := time.Now()
	assert.Equal(t, 200, e.call("GET", "/v1/invitations", "").status, "a delay alone answers normally")
	assert.GreaterOrEqual(t, time.Since(began), 30*time.Millisecond)
}

func TestUnknownRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.call("GET", "/v1/users", "")
	assert.Equal(t, 404, r.status)
	assert.Equal(t, []string{"resource_not_found"}, r.errorCodes())
	// ServeMux would serve HEAD with the list's GET route; Clerk names no HEAD route.
	assert.Equal(t, 404, e.call("HEAD", "/v1/invitations", "").status)
}

func TestConcurrentCreatesOfOneAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for range 20 {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", e.url+"/v1/invitations", strings.NewReader(`{"email_address":"race@example.com"}`))
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				statuses <- resp.StatusCode
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	assert.Equal(t, map[int]int{200: 1, 400: 19}, counts, "exactly one pending invitation per address")
	assert.Equal(t, 1, e.fake.Len())
}

func TestDeleteAnyStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pending := e.create("a@example.com")["id"].(string)
	accepted := e.create("b@example.com")["id"].(string)
	expired := e.create("c@example.com")["id"].(string)
	revoked := e.create("d@example.com")["id"].(string)
	keep := e.create("e@example.com")["id"].(string)
	require.NoError(t, e.fake.Accept(accepted))
	require.NoError(t, e.fake.Expire(expired))
	require.Equal(t, 200, e.call("POST", "/v1/invitations/"+revoked+"/revoke", "").status)
	unfilteredCount := func() any { return e.call("GET", "/v1/invitations?paginated=true&limit=1", "").object()["total_count"] }
	require.Equal(t, float64(4), unfilteredCount(), "every status but revoked")

	for _, id := range []string{pending, accepted, expired, revoked} {
		r := e.call("DELETE", "/v1/invitations/"+id, "")
		require.Equal(t, 200, r.status, r.raw)
		assert.Equal(t, map[string]any{"object": "invitation", "id": id, "deleted": true}, r.object())
		_, found := e.fake.Lookup(id)
		assert.False(t, found, "a deleted invitation is gone")

		again := e.call("DELETE", "/v1/invitations/"+id, "")
		assert.Equal(t, 404, again.status)
		assert.Equal(t, []string{"resource_not_found"}, again.errorCodes())
		assert.Contains(t, again.raw, "No invitation was found with id "+id)
		revoke := e.call("POST", "/v1/invitations/"+id+"/revoke", "")
		assert.Equal(t, 404, revoke.status)
		assert.Equal(t, []string{"resource_not_found"}, revoke.errorCodes())
	}
	assert.Equal(t, 1, e.fake.Len())
	every := e.call("GET", "/v1/invitations?status=pending&status=accepted&status=revoked&status=expired", "")
	assert.Len(t, every.body, 1, "deleted invitations are listed under no status")
	_, found := e.fake.Lookup(keep)
	assert.True(t, found)

	// The address no longer counts as invited.
	e.create("a@example.com")
	assert.Equal(t, float64(2), unfilteredCount(), "deleting the revoked invitation keeps the count right")
	// The user an accepted invitation made stays: deleting touches only the invitation.
	r := e.call("POST", "/v1/invitations", `{"email_address":"b@example.com"}`)
	assert.Equal(t, []string{"form_identifier_exists:email_address"}, r.errorCodes())

	for _, id := range []string{"inv_doesnotexist", "inv%2F..%2Fx"} {
		r := e.call("DELETE", "/v1/invitations/"+id, "")
		assert.Equal(t, 404, r.status, id)
		assert.Equal(t, []string{"resource_not_found"}, r.errorCodes(), id)
	}
	assert.Equal(t, 404, e.call("DELETE", "/v1/invitations", "").status, "DELETE on the collection is no operation")
}

func TestDeleteOfOneOfTwoInvitationsOfAnAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.create("ada@example.com")["id"].(string)
	second := e.create("ada@example.com", `,"ignore_existing":true`)["id"].(string)
	require.Equal(t, 200, e.call("DELETE", "/v1/invitations/"+first, "").status)
	// The other invitation is still pending, so the address is still invited.
	r := e.call("POST", "/v1/invitations", `{"email_address":"ada@example.com"}`)
	assert.Equal(t, []string{"duplicate_record"}, r.errorCodes())
	require.Equal(t, 200, e.call("DELETE", "/v1/invitations/"+second, "").status)
	e.create("ada@example.com")
}

func TestCreateLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pad := func(n int) string { return `{"k":"` + strings.Repeat("x", n-8) + `"}` } // n bytes of JSON
	cases := []struct {
		name, body string
		codes      []string
	}{
		{"metadata one byte over 8 KB", `{"email_address":"a@example.com","public_metadata":` + pad(rules.MaxMetadataBytes+1) + `}`, []string{"form_param_exceeds_allowed_size:public_metadata"}},
		{"metadata counted as re-encoded, escapes included", `{"email_address":"a@example.com","public_metadata":{"k":"` + strings.Repeat("<", 1400) + `"}}`, []string{"form_param_exceeds_allowed_size:public_metadata"}},
		{"metadata nested 10,000 deep", `{"email_address":"a@example.com","public_metadata":{"a":` + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + `}}`, []string{"form_param_exceeds_allowed_size:public_metadata"}},
		{"redirect javascript", `{"email_address":"a@example.com","redirect_url":"javascript:alert(1)"}`, []string{"invalid_url_scheme:redirect_url"}},
		{"redirect ftp", `{"email_address":"a@example.com","redirect_url":"FTP://example.com"}`, []string{"invalid_url_scheme:redirect_url"}},
		{"single create: null metadata", `{"email_address":"a@example.com","public_metadata":null}`, []string{"form_param_format_invalid:public_metadata"}},
		{"single create: null redirect", `{"email_address":"a@example.com","redirect_url":null}`, []string{"form_param_format_invalid:redirect_url"}},
	}
	for _, tc := range cases {
		r := e.call("POST", "/v1/invitations", tc.body)
		assert.Equal(t, 422, r.status, tc.name)
		assert.Equal(t, tc.codes, r.errorCodes(), tc.name)
	}
	r := e.call("POST", "/v1/invitations", `{"email_address":"a@example.com","redirect_url":"javascript:x"}`)
	assert.Contains(t, r.raw, "Please provide a URL with one of the following schemes: https, http")
	assert.Equal(t, 0, e.fake.Len())

	// Bulk items may carry null for both; the limits apply to them as well.
	r = e.call("POST", "/v1/invitations/bulk", `[{"email_address":"n@example.com","public_metadata":null,"redirect_url":null}]`)
	assert.Equal(t, 200, r.status, r.raw)
	r = e.call("POST", "/v1/invitations/bulk", `[{"email_address":"o@example.com"},{"email_address":"p@example.com","redirect_url":"mailto:x@example.com"}]`)
	assert.Equal(t, []string{"invalid_url_scheme:redirect_url"}, r.errorCodes())
	assert.Contains(t, r.raw, `"index":1`, "a bulk entry says which item it is about")

	// At the limit and through lists: exactly 8 KB, and the deepest nesting 8 KB allows.
	exact := e.create("q@example.com", `,"public_metadata":`+pad(rules.MaxMetadataBytes))
	assert.Len(t, exact["public_metadata"].(map[string]any)["k"], rules.MaxMetadataBytes-8)
	depth := (rules.MaxMetadataBytes - len(`{"a":}`)) / 2
	e.create("r@example.com", `,"public_metadata":{"a":`+strings.Repeat("[", depth)+strings.Repeat("]", depth)+`}`)
	for _, path := range []string{"/v1/invitations", "/v1/invitations?paginated=true&limit=500"} {
		r := e.call("GET", path, "")
		assert.Equal(t, 200, r.status, "whatever the server stored, it can list: %.200s", r.raw)
	}
	for _, u := range []string{"https://app.test/x", "/welcome", "welcome"} {
		e.create(fmt.Sprintf("u%d@example.com", len(u)), `,"redirect_url":`+jsonString(u))
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestIdentifierErrorDoesNotEchoTheAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.RegisterUser("someone.registered@example.com")
	r := e.call("POST", "/v1/invitations", `{"email_address":"someone.registered@example.com"}`)
	assert.Equal(t, 422, r.status)
	assert.NotContains(t, r.raw, "someone.registered")
}

// Lists sorted by email or expiry come from a cached view; every write that changes the set
// of records or an expiry must show in the next list.
func TestListViewsFollowWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mid := e.create("m@example.com", `,"expires_in_days":5`)["id"].(string)
	e.create("x@example.com", `,"expires_in_days":9`)
	byEmail := func() []string { return listIDs(e.call("GET", "/v1/invitations?order_by=email_address", "")) }
	byExpiry := func() []string {
		return listIDs(e.call("GET", "/v1/invitations?order_by=expires_at&status=pending&status=expired", ""))
	}
	require.Equal(t, []string{"m@example.com", "x@example.com"}, byEmail())
	require.Equal(t, []string{"m@example.com", "x@example.com"}, byExpiry())

	first := e.create("a@example.com", `,"expires_in_days":7`)["id"].(string)
	assert.Equal(t, []string{"a@example.com", "m@example.com", "x@example.com"}, byEmail(), "after a create")
	assert.Equal(t, []string{"m@example.com", "a@example.com", "x@example.com"}, byExpiry(), "after a create")

	r := e.call("DELETE", "/v1/invitations/"+first, "")
	require.Equal(t, 200, r.status, r.raw)
	assert.Equal(t, []string{"m@example.com", "x@example.com"}, byEmail(), "after a delete")

	e.create("b@example.com", `,"expires_in_days":3`)
	assert.Equal(t, []string{"b@example.com", "m@example.com", "x@example.com"}, byExpiry())
	e.fake.Advance(time.Hour)
	require.NoError(t, e.fake.Expire(mid))
	assert.Equal(t, []string{"m@example.com", "b@example.com", "x@example.com"}, byExpiry(), "Expire moves the expiry to now")
}

// A test may move the clock back; lists by created_at must still sort by it.
func TestListSortsWhenTheClockWentBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create("first@example.com")
	e.fake.Advance(-time.Hour)
	e.create("earlier@example.com")
	e.fake.Advance(2 * time.Hour)
	e.create("last@example.com")
	assert.Equal(t, []string{"last@example.com", "first@example.com", "earlier@example.com"}, listIDs(e.call("GET", "/v1/invitations", "")))
	assert.Equal(t, []string{"earlier@example.com", "first@example.com", "last@example.com"}, listIDs(e.call("GET", "/v1/invitations?order_by=created_at", "")))
}

// An invitation past its expiry lists as expired even when nothing has written it since.
func TestListShowsExpiryBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create("soon@example.com", `,"expires_in_days":1`)
	e.create("later@example.com", `,"expires_in_days":2`)
	e.fake.Advance(25 * time.Hour)
	r := e.call("GET", "/v1/invitations?paginated=true&status=expired", "")
	require.Equal(t, 200, r.status, r.raw)
	assert.Equal(t, []string{"soon@example.com"}, listIDs(r))
	assert.Equal(t, "expired", r.object()["data"].([]any)[0].(map[string]any)["status"])
	assert.Equal(t, []string{"later@example.com"}, listIDs(e.call("GET", "/v1/invitations?status=pending", "")))
}
