package invitations_test

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
)

func TestCreateSendsEveryField(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /invitations", 200, nil, invitationJSON("inv_2abc", "ada@example.com", "pending"))

	inv, err := f.client.Create(t.Context(), invitations.CreateParams{
		EmailAddress:   "ada@example.com",
		PublicMetadata: map[string]any{"plan": "pro", "seats": 3},
		RedirectURL:    "https://app.example.com/accept",
		Notify:         invitations.Ptr(true),
		IgnoreExisting: invitations.Ptr(true),
		ExpiresInDays:  7,
		TemplateSlug:   invitations.TemplateWaitlistInvitation,
	})
	require.NoError(t, err)

	req := f.only(t)
	assert.Equal(t, "POST", req.Method)
	assert.Equal(t, "/v1/invitations", req.Path)
	assert.Empty(t, req.RawQuery)
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	assert.JSONEq(t, `{
		"email_address": "ada@example.com",
		"public_metadata": {"plan": "pro", "seats": 3},
		"redirect_url": "https://app.example.com/accept",
		"notify": true,
		"ignore_existing": true,
		"expires_in_days": 7,
		"template_slug": "waitlist_invitation"
	}`, string(req.Body))

	assert.Equal(t, &invitations.Invitation{
		ID:             "inv_2abc",
		EmailAddress:   "ada@example.com",
		Status:         invitations.StatusPending,
		URL:            "https://accounts.example.com/v1/tickets/accept?ticket=inv_2abc",
		PublicMetadata: map[string]any{},
		ExpiresAt:      time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		CreatedAt:      time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC),
		UpdatedAt:      time.Date(2025, 12, 1, 0, 0, 0, 500_000_000, time.UTC),
	}, inv)
}

func TestCreateOmitsUnsetFields(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /invitations", 200, nil, invitationJSON("inv_1", "ada@example.com", "pending"))
	_, err := f.client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com", PublicMetadata: map[string]any{}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"email_address":"ada@example.com"}`, string(f.only(t).Body))
}

func TestCreateSendsExplicitFalse(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /invitations", 200, nil, invitationJSON("inv_1", "ada@example.com", "pending"))
	_, err := f.client.Create(t.Context(), invitations.CreateParams{
		EmailAddress:   "ada@example.com",
		Notify:         invitations.Ptr(false),
		IgnoreExisting: invitations.Ptr(false),
	})
	require.NoError(t, err)
	assert.JSONEq(t, `{"email_address":"ada@example.com","notify":false,"ignore_existing":false}`, string(f.only(t).Body))
}

func TestCreateRejectsBadInputBeforeSending(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cases := []struct {
		name  string
		p     invitations.CreateParams
		field string
	}{
		{"missing email", invitations.CreateParams{}, "email_address"},
		{"no at sign", invitations.CreateParams{EmailAddress: "ada.example.com"}, "email_address"},
		{"display name", invitations.CreateParams{EmailAddress: "Ada <ada@example.com>"}, "email_address"},
		{"two addresses", invitations.CreateParams{EmailAddress: "a@example.com,b@example.com"}, "email_address"},
		{"expires too long", invitations.CreateParams{EmailAddress: "ada@example.com", ExpiresInDays: 366}, "expires_in_days"},
		{"expires negative", invitations.CreateParams{EmailAddress: "ada@example.com", ExpiresInDays: -1}, "expires_in_days"},
		{"unknown template", invitations.CreateParams{EmailAddress: "ada@example.com", TemplateSlug: "welcome"}, "template_slug"},
		{"redirect with newline", invitations.CreateParams{EmailAddress: "ada@example.com", RedirectURL: "https://x.test/\n"}, "redirect_url"},
		{"redirect javascript:", invitations.CreateParams{EmailAddress: "ada@example.com", RedirectURL: "javascript:alert(1)"}, "redirect_url"},
		{"redirect ftp", invitations.CreateParams{EmailAddress: "ada@example.com", RedirectURL: "ftp://files.example.com/x"}, "redirect_url"},
		{"redirect app scheme", invitations.CreateParams{EmailAddress: "ada@example.com", RedirectURL: "myapp://welcome"}, "redirect_url"},
		{"metadata over 8 KB", invitations.CreateParams{EmailAddress: "ada@example.com",
			PublicMetadata: map[string]any{"k": strings.Repeat("x", invitations.MaxMetadataBytes-7)}}, "public_metadata"},
		{"metadata not encodable", invitations.CreateParams{EmailAddress: "ada@example.com", PublicMetadata: map[string]any{"ch": make(chan int)}}, "public_metadata"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := f.client.Create(t.Context(), tc.p)
			assert.Nil(t, inv)
			var verr *invitations.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tc.field, verr.Field)
			assert.True(t, strings.HasPrefix(err.Error(), "invitations: invalid "+tc.field+": "), err.Error())
			assert.NotContains(t, err.Error(), "@", "a validation error never carries the address")
		})
	}
	assert.Empty(t, f.sent(), "no request may be sent for invalid input")
}

func TestCreateAcceptsBoundaryValues(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /invitations", 200, nil, invitationJSON("inv_1", "ada@example.com", "pending"))
	for _, days := range []int{1, 365} {
		_, err := f.client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com", ExpiresInDays: days})
		require.NoError(t, err, days)
	}
	// {"k":"…"} is 8 bytes around the value: exactly MaxMetadataBytes encoded.
	full := map[string]any{"k": strings.Repeat("x", invitations.MaxMetadataBytes-8)}
	_, err := f.client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com", PublicMetadata: full})
	require.NoError(t, err)
	for _, u := range []string{"https://app.example.com/welcome", "HTTP://localhost:3000/x", "/welcome", "welcome?next=/a:b"} {
		_, err := f.client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com", RedirectURL: u})
		require.NoError(t, err, u)
	}
	assert.Len(t, f.sent(), 7)
}

func TestBulkCreateSendsItemsInOrder(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /invitations/bulk", 200, nil,
		"["+invitationJSON("inv_a", "a@example.com", "pending")+","+invitationJSON("inv_b", "b@example.com", "pending")+"]")

	got, err := f.client.BulkCreate(t.Context(), []invitations.CreateParams{
		{EmailAddress: "a@example.com", Notify: invitations.Ptr(false)},
		{EmailAddress: "b@example.com", ExpiresInDays: 3, TemplateSlug: invitations.TemplateInvitation},
	})
	require.NoError(t, err)
	req := f.only(t)
	assert.Equal(t, "POST", req.Method)
	assert.Equal(t, "/v1/invitations/bulk", req.Path)
	assert.JSONEq(t, `[
		{"email_address":"a@example.com","notify":false},
		{"email_address":"b@example.com","expires_in_days":3,"template_slug":"invitation"}
	]`, string(req.Body))
	require.Len(t, got, 2)
	assert.Equal(t, "inv_a", got[0].ID)
	assert.Equal(t, "b@example.com", got[1].EmailAddress)
}

func TestBulkCreateRejectsBadInputBeforeSending(t *testing.T) {
	t.Parallel()
	f := setup(t)
	eleven := make([]invitations.CreateParams, 11)
	for i := range eleven {
		eleven[i] = invitations.CreateParams{EmailAddress: "a@example.com"}
	}
	cases := []struct {
		name  string
		items []invitations.CreateParams
		field string
	}{
		{"nil", nil, "items"},
		{"empty", []invitations.CreateParams{}, "items"},
		{"eleven", eleven, "items"},
		{"third item bad", []invitations.CreateParams{{EmailAddress: "a@example.com"}, {EmailAddress: "b@example.com"}, {EmailAddress: "nope"}}, "items[2].email_address"},
		{"bad days", []invitations.CreateParams{{EmailAddress: "a@example.com", ExpiresInDays: 400}}, "items[0].expires_in_days"},
		{"bad redirect", []invitations.CreateParams{{EmailAddress: "a@example.com"}, {EmailAddress: "b@example.com", RedirectURL: "data:text/html,x"}}, "items[1].redirect_url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.client.BulkCreate(t.Context(), tc.items)
			assert.Nil(t, got)
			var verr *invitations.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tc.field, verr.Field)
		})
	}
	assert.Empty(t, f.sent())
}

func TestCreateDuplicateIsErrDuplicate(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /invitations", 400, map[string]string{"Clerk-Trace-Id": "hdr-trace"},
		`{"errors":[{"message":"duplicate record","long_message":"There's already a pending invitation for ada@example.com.","code":"duplicate_record","meta":{"email_addresses":["ada@example.com"]}}]}`)
	_, err := f.client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com"})
	require.ErrorIs(t, err, invitations.ErrDuplicate)
	var apiErr *invitations.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, "hdr-trace", apiErr.TraceID)
	assert.Equal(t, []any{"ada@example.com"}, apiErr.Errors[0].Meta["email_addresses"])
	assert.Equal(t, invitations.OpCreate, apiErr.Operation)
}

func TestOversizedSuccessBodyIsRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// 17 MiB of whitespace after a valid invitation: past the client's 16 MiB limit.
	f.handle("POST /invitations", 200, nil, invitationJSON("inv_1", "ada@example.com", "pending")+strings.Repeat(" ", 17<<20))
	// The server said it created the invitation; the client looks for it and, finding nothing
	// here, reports that it may exist.
	f.handle("GET /invitations", 200, nil, `{"data":[],"total_count":0}`)
	inv, err := f.client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com"})
	assert.Nil(t, inv)
	require.ErrorContains(t, err, "invitations: create: unusable 200 response: response body exceeds 16777216 bytes")
	var respErr *invitations.ResponseError
	require.ErrorAs(t, err, &respErr)
	assert.Equal(t, 1, respErr.Attempts, "sending again would not help")
	assert.ErrorIs(t, err, invitations.ErrUnexpectedResponse)
	assert.ErrorIs(t, err, invitations.ErrOutcomeUnknown)
	f.findings.Take() // the validator reads the padded body fine; nothing to assert there
}

// TestBulkCreateChecksTheAnswerHoldsEveryItem: a 200 that does not hold one invitation per
// item, in order, is not a success.
func TestBulkCreateChecksTheAnswerHoldsEveryItem(t *testing.T) {
	t.Parallel()
	items := []invitations.CreateParams{{EmailAddress: "a@example.com"}, {EmailAddress: "b@example.com"}}
	cases := map[string]string{
		"one for two":   "[" + invitationJSON("inv_a", "a@example.com", "pending") + "]",
		"another order": "[" + invitationJSON("inv_b", "b@example.com", "pending") + "," + invitationJSON("inv_a", "a@example.com", "pending") + "]",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.handle("POST /invitations/bulk", 200, nil, body)
			f.handle("GET /invitations", 200, nil, `{"data":[],"total_count":0}`)
			got, err := f.client.BulkCreate(t.Context(), items)
			assert.Nil(t, got)
			require.ErrorIs(t, err, invitations.ErrUnexpectedResponse)
			assert.ErrorIs(t, err, invitations.ErrOutcomeUnknown, "the server said it created them; the client could not confirm which")
		})
	}
}

// TestAmbiguousCreatesAreSettledOnTheServersClock: after a create without a usable answer, the
// client looks for invitations created since the call began on the server's clock, read from
// its Date headers, so that a server clock far from the client's neither hides the call's
// invitation nor passes an older one off as it.
func TestAmbiguousCreatesAreSettledOnTheServersClock(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		// Three days behind: the invitation the lost answer was about is found.
		behind := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork(),
			invitationstest.WithClock(time.Now().Add(-72*time.Hour)))
		behind.FailNext(invitations.OpCreate, 1, invitationstest.Fault{Commit: true, Drop: true})
		// With IgnoreExisting the client may not send it again: only the lookup can settle it.
		inv, err := behind.Client.Create(ctx, invitations.CreateParams{EmailAddress: "late@example.com", IgnoreExisting: invitations.Ptr(true)})
		require.NoError(t, err)
		assert.Equal(t, "late@example.com", inv.EmailAddress)

		// Three days ahead: an invitation made an hour before the call (on the server's clock)
		// is the duplicate it is, not the call's own.
		ahead := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork(),
			invitationstest.WithClock(time.Now().Add(72*time.Hour)))
		_, err = ahead.Client.Create(ctx, invitations.CreateParams{EmailAddress: "held@example.com"})
		require.NoError(t, err)
		ahead.Advance(time.Hour)
		ahead.FailNext(invitations.OpCreate, 1, invitationstest.Fault{Status: 502}) // the retry meets duplicate_record
		_, err = ahead.Client.Create(ctx, invitations.CreateParams{EmailAddress: "held@example.com"})
		require.ErrorIs(t, err, invitations.ErrDuplicate)
		assert.NotErrorIs(t, err, invitations.ErrOutcomeUnknown, "the lookup saw the invitation was there before the call")
		assert.Equal(t, 1, ahead.Len())
	})
}

// TestBulkCreateWithIgnoreExistingIsNotSentAgainBlindly: with IgnoreExisting on every item, a
// repeat would invite everyone twice, so after an answer lost in transit the client only looks
// the invitations up.
func TestBulkCreateWithIgnoreExistingIsNotSentAgainBlindly(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork())
		srv.FailNext(invitations.OpBulkCreate, 1, invitationstest.Fault{Commit: true, Drop: true})
		items := []invitations.CreateParams{
			{EmailAddress: "one@example.com", IgnoreExisting: invitations.Ptr(true)},
			{EmailAddress: "two@example.com", IgnoreExisting: invitations.Ptr(true)},
		}
		got, err := srv.Client.BulkCreate(t.Context(), items)
		require.NoError(t, err, "the lookup found what the lost call created")
		require.Len(t, got, 2)
		assert.Equal(t, "two@example.com", got[1].EmailAddress)
		assert.Equal(t, 2, srv.Len(), "sent once: nobody invited twice")
	})
}
