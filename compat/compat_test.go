package compat

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/invitation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
)

var start = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// sdk is Clerk's Go SDK configured the way its README says, pointed at an embedded Clerk.
type sdk struct {
	inv     *invitation.Client
	backend clerk.Backend
	srv     *invitationstest.Server
}

func setup(t *testing.T, opts ...invitationstest.Option) sdk {
	t.Helper()
	srv := invitationstest.NewServer(t, append([]invitationstest.Option{invitationstest.WithValidation(), invitationstest.WithClock(start)}, opts...)...)
	// Clerk's Go SDK wants the base URL with /v1, as the server's URL is.
	cfg := clerk.BackendConfig{URL: clerk.String(srv.URL), Key: clerk.String(srv.SecretKey), HTTPClient: &http.Client{Timeout: 10 * time.Second}}
	return sdk{
		inv:     invitation.NewClient(&clerk.ClientConfig{BackendConfig: cfg}),
		backend: clerk.NewBackend(&cfg),
		srv:     srv,
	}
}

// delete calls DeleteInvitation through the SDK's own request machinery: v2.4.2 has no method for
// it yet, so this is the call its next version would make.
func (s sdk) delete(ctx context.Context, id string) (*clerk.DeletedResource, error) {
	res := &clerk.DeletedResource{}
	err := s.backend.Call(ctx, clerk.NewAPIRequest(http.MethodDelete, "/invitations/"+id), res)
	return res, err
}

func apiError(t *testing.T, err error) *clerk.APIErrorResponse {
	t.Helper()
	var apiErr *clerk.APIErrorResponse
	require.ErrorAs(t, err, &apiErr, "the SDK decodes Clerk's error body only when it has Clerk's shape")
	require.NotEmpty(t, apiErr.Errors)
	assert.NotEmpty(t, apiErr.Response.TraceID, "Clerk-Trace-Id header")
	return apiErr
}

// meta decodes an entry's meta the way Clerk's SDKs read it.
func meta(t *testing.T, e clerk.Error) (m struct {
	ParamName      string   `json:"param_name"`
	EmailAddresses []string `json:"email_addresses"`
}) {
	t.Helper()
	if len(e.Meta) > 0 {
		require.NoError(t, json.Unmarshal(e.Meta, &m))
	}
	return m
}

func TestCreateEveryField(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	got, err := s.inv.Create(ctx, &invitation.CreateParams{
		EmailAddress:   "ada@example.com",
		PublicMetadata: clerk.JSONRawMessage(json.RawMessage(`{"plan":"pro","seats":3}`)),
		RedirectURL:    clerk.String("https://app.example.com/welcome"),
		Notify:         clerk.Bool(false),
		IgnoreExisting: clerk.Bool(false),
		ExpiresInDays:  clerk.Int64(7),
		TemplateSlug:   clerk.String("waitlist_invitation"),
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, got.Response.StatusCode, "Clerk answers a create with 200, not 201")
	assert.Equal(t, "invitation", got.Object)
	assert.True(t, strings.HasPrefix(got.ID, "inv_"), got.ID)
	assert.Equal(t, "ada@example.com", got.EmailAddress)
	assert.Equal(t, "pending", got.Status)
	assert.False(t, got.Revoked)
	assert.NotEmpty(t, got.URL)
	assert.JSONEq(t, `{"plan":"pro","seats":3}`, string(got.PublicMetadata))
	assert.Equal(t, start.UnixMilli(), got.CreatedAt, "timestamps are Unix milliseconds")
	require.NotNil(t, got.ExpiresAt)
	assert.Equal(t, start.Add(7*24*time.Hour).UnixMilli(), *got.ExpiresAt)

	d, ok := s.srv.Lookup(got.ID)
	require.True(t, ok)
	assert.False(t, d.Notified, "the SDK's notify:false reached the server")
	assert.Equal(t, invitations.TemplateWaitlistInvitation, d.TemplateSlug)
	assert.Equal(t, "https://app.example.com/welcome", d.RedirectURL)

	plain, err := s.inv.Create(ctx, &invitation.CreateParams{EmailAddress: "grace@example.com"})
	require.NoError(t, err)
	assert.JSONEq(t, `{}`, string(plain.PublicMetadata), "no metadata is an empty object")
	assert.Equal(t, start.Add(30*24*time.Hour).UnixMilli(), *plain.ExpiresAt, "30 days by default")
	d, _ = s.srv.Lookup(plain.ID)
	assert.True(t, d.Notified, "notify defaults to true")
}

func TestDuplicateAndIgnoreExisting(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	first, err := s.inv.Create(ctx, &invitation.CreateParams{EmailAddress: "ada@example.com"})
	require.NoError(t, err)

	_, err = s.inv.Create(ctx, &invitation.CreateParams{EmailAddress: "ADA@example.com"})
	apiErr := apiError(t, err)
	assert.Equal(t, http.StatusBadRequest, apiErr.HTTPStatusCode)
	assert.Equal(t, "duplicate_record", apiErr.Errors[0].Code)
	assert.Equal(t, []string{"ADA@example.com"}, meta(t, apiErr.Errors[0]).EmailAddresses)
	assert.NotEmpty(t, apiErr.TraceID, "clerk_trace_id in the body")

	second, err := s.inv.Create(ctx, &invitation.CreateParams{EmailAddress: "ada@example.com", IgnoreExisting: clerk.Bool(true)})
	require.NoError(t, err)
	assert.NotEqual(t, first.ID, second.ID)
}

func TestInvalidParametersNameTheParameter(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	s.srv.RegisterUser("user@example.com")
	cases := []struct {
		name   string
		params invitation.CreateParams
		code   string
		param  string
	}{
		{"bad address", invitation.CreateParams{EmailAddress: "not-an-address"}, "form_param_format_invalid", "email_address"},
		{"expires_in_days 0", invitation.CreateParams{EmailAddress: "a@example.com", ExpiresInDays: clerk.Int64(0)}, "form_param_value_invalid", "expires_in_days"},
		{"expires_in_days 366", invitation.CreateParams{EmailAddress: "a@example.com", ExpiresInDays: clerk.Int64(366)}, "form_param_value_invalid", "expires_in_days"},
		{"unknown template", invitation.CreateParams{EmailAddress: "a@example.com", TemplateSlug: clerk.String("welcome")}, "form_param_value_invalid", "template_slug"},
		{"javascript: redirect", invitation.CreateParams{EmailAddress: "a@example.com", RedirectURL: clerk.String("javascript:alert(1)")}, "invalid_url_scheme", "redirect_url"},
		{"metadata over 8 KB", invitation.CreateParams{EmailAddress: "a@example.com",
			PublicMetadata: clerk.JSONRawMessage(json.RawMessage(`{"k":"` + strings.Repeat("x", 8200) + `"}`))}, "form_param_exceeds_allowed_size", "public_metadata"},
		{"metadata not an object", invitation.CreateParams{EmailAddress: "a@example.com", PublicMetadata: clerk.JSONRawMessage(json.RawMessage(`[1]`))}, "form_param_format_invalid", "public_metadata"},
		{"a registered user's address", invitation.CreateParams{EmailAddress: "user@example.com"}, "form_identifier_exists", "email_address"},
	}
	for _, tc := range cases {
		_, err := s.inv.Create(ctx, &tc.params)
		apiErr := apiError(t, err)
		assert.Equal(t, http.StatusUnprocessableEntity, apiErr.HTTPStatusCode, tc.name)
		assert.Equal(t, tc.code, apiErr.Errors[0].Code, tc.name)
		assert.Equal(t, tc.param, meta(t, apiErr.Errors[0]).ParamName, "%s: meta.param_name", tc.name)
		assert.NotEmpty(t, apiErr.Errors[0].LongMessage, tc.name)
	}
	assert.Equal(t, 0, s.srv.Len(), "nothing was created")
}

func TestBulkCreate(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	var items []*invitation.CreateParams
	for i := range 3 {
		items = append(items, &invitation.CreateParams{EmailAddress: fmt.Sprintf("b%d@example.com", i), Notify: clerk.Bool(false)})
	}
	got, err := s.inv.BulkCreate(ctx, &invitation.BulkCreateParams{Invitations: items})
	require.NoError(t, err)
	require.Len(t, got.Invitations, 3)
	for i, inv := range got.Invitations {
		assert.Equal(t, items[i].EmailAddress, inv.EmailAddress, "answers come in the order of the items")
		assert.Equal(t, "pending", inv.Status)
	}

	// One bad item refuses the whole call.
	bad := []*invitation.CreateParams{{EmailAddress: "c1@example.com"}, {EmailAddress: "c2@example.com", RedirectURL: clerk.String("ftp://x.example.com")}}
	_, err = s.inv.BulkCreate(ctx, &invitation.BulkCreateParams{Invitations: bad})
	apiErr := apiError(t, err)
	assert.Equal(t, http.StatusUnprocessableEntity, apiErr.HTTPStatusCode)
	assert.Equal(t, "redirect_url", meta(t, apiErr.Errors[0]).ParamName)

	var eleven []*invitation.CreateParams
	for i := range 11 {
		eleven = append(eleven, &invitation.CreateParams{EmailAddress: fmt.Sprintf("e%d@example.com", i)})
	}
	_, err = s.inv.BulkCreate(ctx, &invitation.BulkCreateParams{Invitations: eleven})
	apiErr = apiError(t, err)
	assert.Equal(t, http.StatusBadRequest, apiErr.HTTPStatusCode)
	assert.Equal(t, "bulk_size_exceeded", apiErr.Errors[0].Code)
	assert.Equal(t, 3, s.srv.Len(), "refused bulk calls created nothing")
}

func TestListPagesFiltersAndHidesRevoked(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	var ids []string
	for i := range 5 {
		inv, err := s.inv.Create(ctx, &invitation.CreateParams{EmailAddress: fmt.Sprintf("p%d@example.com", i), Notify: clerk.Bool(false)})
		require.NoError(t, err)
		ids = append(ids, inv.ID)
		s.srv.Advance(time.Second)
	}
	_, err := s.inv.Revoke(ctx, ids[0])
	require.NoError(t, err)

	// The SDK always asks for paginated=true and decodes {data, total_count}.
	all, err := s.inv.List(ctx, &invitation.ListParams{})
	require.NoError(t, err)
	assert.Equal(t, int64(4), all.TotalCount, "without a status filter revoked invitations are left out")
	require.Len(t, all.Invitations, 4)
	assert.Equal(t, "p4@example.com", all.Invitations[0].EmailAddress, "newest first")
	for _, inv := range all.Invitations {
		assert.NotEqual(t, ids[0], inv.ID)
	}

	revoked, err := s.inv.List(ctx, &invitation.ListParams{Statuses: []string{"revoked"}})
	require.NoError(t, err)
	require.Len(t, revoked.Invitations, 1)
	assert.Equal(t, ids[0], revoked.Invitations[0].ID)

	// The SDK repeats status for several values.
	both, err := s.inv.List(ctx, &invitation.ListParams{Statuses: []string{"pending", "revoked"}})
	require.NoError(t, err)
	assert.Equal(t, int64(5), both.TotalCount)

	page, err := s.inv.List(ctx, &invitation.ListParams{
		ListParams: clerk.ListParams{Limit: clerk.Int64(2), Offset: clerk.Int64(1)},
		OrderBy:    clerk.String("+email_address"),
	})
	require.NoError(t, err)
	assert.Equal(t, int64(4), page.TotalCount, "total_count counts every match, not the page")
	require.Len(t, page.Invitations, 2)
	assert.Equal(t, []string{"p2@example.com", "p3@example.com"}, []string{page.Invitations[0].EmailAddress, page.Invitations[1].EmailAddress})

	byID, err := s.inv.List(ctx, &invitation.ListParams{Query: clerk.String(ids[3])})
	require.NoError(t, err)
	require.Len(t, byID.Invitations, 1)
	assert.Equal(t, "p3@example.com", byID.Invitations[0].EmailAddress)

	_, err = s.inv.List(ctx, &invitation.ListParams{ListParams: clerk.ListParams{Limit: clerk.Int64(501)}})
	apiErr := apiError(t, err)
	assert.Equal(t, http.StatusUnprocessableEntity, apiErr.HTTPStatusCode)
	assert.Equal(t, "limit", meta(t, apiErr.Errors[0]).ParamName)
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	inv, err := s.inv.Create(ctx, &invitation.CreateParams{EmailAddress: "ada@example.com"})
	require.NoError(t, err)
	s.srv.Advance(time.Minute)

	revoked, err := s.inv.Revoke(ctx, inv.ID)
	require.NoError(t, err)
	assert.Equal(t, inv.ID, revoked.ID)
	assert.True(t, revoked.Revoked)
	assert.Equal(t, "revoked", revoked.Status)
	assert.Equal(t, start.Add(time.Minute).UnixMilli(), revoked.UpdatedAt)

	_, err = s.inv.Revoke(ctx, inv.ID)
	apiErr := apiError(t, err)
	assert.Equal(t, http.StatusBadRequest, apiErr.HTTPStatusCode)
	assert.Equal(t, "invitation_already_revoked", apiErr.Errors[0].Code)

	accepted, err := s.inv.Create(ctx, &invitation.CreateParams{EmailAddress: "grace@example.com"})
	require.NoError(t, err)
	require.NoError(t, s.srv.Accept(accepted.ID))
	_, err = s.inv.Revoke(ctx, accepted.ID)
	assert.Equal(t, "invitation_already_accepted", apiError(t, err).Errors[0].Code)

	_, err = s.inv.Revoke(ctx, "inv_unknown")
	apiErr = apiError(t, err)
	assert.Equal(t, http.StatusNotFound, apiErr.HTTPStatusCode)
	assert.Equal(t, "resource_not_found", apiErr.Errors[0].Code)
}

func TestDelete(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	pending, err := s.inv.Create(ctx, &invitation.CreateParams{EmailAddress: "ada@example.com"})
	require.NoError(t, err)
	revoked, err := s.inv.Create(ctx, &invitation.CreateParams{EmailAddress: "grace@example.com"})
	require.NoError(t, err)
	_, err = s.inv.Revoke(ctx, revoked.ID)
	require.NoError(t, err)

	for _, id := range []string{pending.ID, revoked.ID} {
		res, err := s.delete(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, "invitation", res.Object)
		assert.Equal(t, id, res.ID)
		assert.True(t, res.Deleted)

		_, err = s.delete(ctx, id)
		assert.Equal(t, http.StatusNotFound, apiError(t, err).HTTPStatusCode, "a second delete")
		_, err = s.inv.Revoke(ctx, id)
		assert.Equal(t, "resource_not_found", apiError(t, err).Errors[0].Code, "revoking a deleted invitation")
	}
	every, err := s.inv.List(ctx, &invitation.ListParams{Statuses: []string{"pending", "accepted", "revoked", "expired"}})
	require.NoError(t, err)
	assert.Zero(t, every.TotalCount)
	_, err = s.inv.Create(ctx, &invitation.CreateParams{EmailAddress: "ada@example.com"})
	assert.NoError(t, err, "a deleted invitation no longer makes its address a duplicate")
}

func TestAuthAndRateLimits(t *testing.T) {
	t.Parallel()
	s := setup(t, invitationstest.WithRateLimits(invitations.Budgets{Create: invitations.Budget{Calls: 1, Per: time.Hour}}))
	ctx := t.Context()

	wrong := invitation.NewClient(&clerk.ClientConfig{BackendConfig: clerk.BackendConfig{URL: clerk.String(s.srv.URL), Key: clerk.String("sk_test_wrong")}})
	_, err := wrong.List(ctx, &invitation.ListParams{})
	apiErr := apiError(t, err)
	assert.Equal(t, http.StatusUnauthorized, apiErr.HTTPStatusCode)
	assert.Equal(t, "clerk_key_invalid", apiErr.Errors[0].Code)

	_, err = s.inv.Create(ctx, &invitation.CreateParams{EmailAddress: "a@example.com"})
	require.NoError(t, err)
	_, err = s.inv.Create(ctx, &invitation.CreateParams{EmailAddress: "b@example.com"})
	apiErr = apiError(t, err)
	assert.Equal(t, http.StatusTooManyRequests, apiErr.HTTPStatusCode)
	assert.Equal(t, "too_many_requests", apiErr.Errors[0].Code)
	assert.Equal(t, "3600", apiErr.Response.Header.Get("Retry-After"))
}
