package invitations_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

func TestListSendsEveryFilter(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /invitations", 200, nil,
		`{"data":[`+invitationJSON("inv_1", "ada@example.com", "pending")+`],"total_count":42}`)

	page, err := f.client.List(t.Context(), invitations.ListParams{
		Statuses: []invitations.Status{invitations.StatusPending, invitations.StatusExpired},
		Query:    "ada+x@example.com",
		OrderBy:  "+email_address",
		Limit:    25,
		Offset:   50,
	})
	require.NoError(t, err)

	req := f.only(t)
	assert.Equal(t, "GET", req.Method)
	assert.Equal(t, "/v1/invitations", req.Path)
	assert.Empty(t, req.Body)
	// '+' must travel as %2B, or the server reads a space.
	assert.Contains(t, req.RawQuery, "order_by=%2Bemail_address")
	assert.Contains(t, req.RawQuery, "query=ada%2Bx%40example.com")
	q, err := url.ParseQuery(req.RawQuery)
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"status":    {"pending", "expired"},
		"query":     {"ada+x@example.com"},
		"order_by":  {"+email_address"},
		"limit":     {"25"},
		"offset":    {"50"},
		"paginated": {"true"},
	}, q)

	assert.Equal(t, 42, page.TotalCount)
	require.Len(t, page.Invitations, 1)
	assert.Equal(t, "inv_1", page.Invitations[0].ID)
}

func TestListZeroParamsSendsOnlyPaginated(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /invitations", 200, nil, `{"data":[],"total_count":0}`)
	page, err := f.client.List(t.Context(), invitations.ListParams{})
	require.NoError(t, err)
	assert.Equal(t, "paginated=true", f.only(t).RawQuery)
	assert.Equal(t, 0, page.TotalCount)
	assert.Empty(t, page.Invitations)
}

// TestListRefusesABareArray: the client asks for the page (paginated=true); Clerk answers the
// bare array only to a list without it, and such an answer is a *ResponseError, with its body.
func TestListRefusesABareArray(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var items []string
	for i := range 8 {
		items = append(items, invitationJSON(fmt.Sprintf("inv_%d", i), "ada@example.com", "accepted"))
	}
	body := "[" + strings.Join(items, ",") + "]"
	f.handle("GET /invitations", 200, nil, body)
	_, err := f.client.List(t.Context(), invitations.ListParams{})
	var respErr *invitations.ResponseError
	require.ErrorAs(t, err, &respErr)
	assert.ErrorIs(t, err, invitations.ErrUnexpectedResponse)
	assert.False(t, respErr.MaybeApplied, "a read")
	assert.Equal(t, body[:1<<10], string(respErr.Body), "the first KiB of the body the generated parser refused")
}

func TestListDecodesNullsAndUnknownStatus(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /invitations", 200, nil, `{"data":[{"object":"invitation","id":"inv_9","email_address":"ada@example.com",
		"public_metadata":null,"status":"archived","expires_at":null,"created_at":1764547200000,"updated_at":1764547200000}],"total_count":1}`)
	page, err := f.client.List(t.Context(), invitations.ListParams{})
	require.NoError(t, err)
	inv := page.Invitations[0]
	assert.Equal(t, invitations.Status("archived"), inv.Status, "a status Clerk adds later must decode")
	assert.Nil(t, inv.PublicMetadata)
	assert.True(t, inv.ExpiresAt.IsZero())
	assert.False(t, inv.Revoked)
	assert.Empty(t, inv.URL)
	// The document does not know "archived": the validator must say so.
	findings := f.findings.Take()
	require.Len(t, findings, 1)
	assert.Contains(t, findings[0].Err.Error(), "archived")
}

func TestListRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cases := []struct {
		p     invitations.ListParams
		field string
	}{
		{invitations.ListParams{Limit: -1}, "limit"},
		{invitations.ListParams{Limit: 501}, "limit"},
		{invitations.ListParams{Offset: -5}, "offset"},
		{invitations.ListParams{OrderBy: "updated_at"}, "order_by"},
		{invitations.ListParams{OrderBy: "--created_at"}, "order_by"},
		{invitations.ListParams{OrderBy: "created_at "}, "order_by"},
		{invitations.ListParams{OrderBy: "*created_at"}, "order_by"},
		{invitations.ListParams{Statuses: []invitations.Status{"pending", ""}}, "status[1]"},
	}
	for _, tc := range cases {
		_, err := f.client.List(t.Context(), tc.p)
		var verr *invitations.ValidationError
		require.ErrorAs(t, err, &verr, "%+v", tc.p)
		assert.Equal(t, tc.field, verr.Field)
	}
	assert.Empty(t, f.sent())
}

func TestListAcceptsBoundaryValues(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /invitations", 200, nil, `{"data":[],"total_count":0}`)
	for _, p := range []invitations.ListParams{{Limit: 1}, {Limit: 500}, {OrderBy: "expires_at"}, {OrderBy: "-created_at"}} {
		_, err := f.client.List(t.Context(), p)
		require.NoError(t, err, "%+v", p)
	}
}

func TestListRejectsUndecodableSuccess(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /invitations", 200, nil, `{"data":[{"id":`)
	_, err := f.client.List(t.Context(), invitations.ListParams{})
	require.ErrorContains(t, err, "invitations: list: unusable 200 response: the body does not decode")
	assert.ErrorIs(t, err, invitations.ErrUnexpectedResponse)
	assert.NotErrorIs(t, err, invitations.ErrOutcomeUnknown, "a list changes nothing")
	assert.NotEmpty(t, f.findings.Take(), "the validator must flag the truncated body")
}

// pagedServer serves total invitations in pages according to limit and offset.
func pagedServer(f *fixture, total int) {
	f.mux.HandleFunc("GET /v1/invitations", func(w http.ResponseWriter, r *http.Request) {
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit == 0 {
			limit = 10
		}
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		var items []string
		for i := offset; i < min(offset+limit, total); i++ {
			items = append(items, invitationJSON(fmt.Sprintf("inv_%d", i), fmt.Sprintf("p%d@example.com", i), "pending"))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":[%s],"total_count":%d}`, strings.Join(items, ","), total)
	})
}

func TestAllWalksEveryPage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	pagedServer(f, 23)
	var ids []string
	for inv, err := range f.client.All(t.Context(), invitations.ListParams{Limit: 10}) {
		require.NoError(t, err)
		ids = append(ids, inv.ID)
	}
	require.Len(t, ids, 23)
	assert.Equal(t, "inv_0", ids[0])
	assert.Equal(t, "inv_22", ids[22])
	assert.Len(t, f.sent(), 3)
}

func TestAllUsesTheLargestPageByDefault(t *testing.T) {
	t.Parallel()
	f := setup(t)
	pagedServer(f, 1200)
	n := 0
	for _, err := range f.client.All(t.Context(), invitations.ListParams{}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 1200, n)
	require.Len(t, f.sent(), 3, "1200 invitations in pages of 500")
	q, err := url.ParseQuery(f.sent()[0].RawQuery)
	require.NoError(t, err)
	assert.Equal(t, []string{"500"}, q["limit"])
}

func TestAllCopiesTheParams(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /invitations", 200, nil, `{"data":[],"total_count":0}`)
	p := invitations.ListParams{Statuses: []invitations.Status{invitations.StatusPending}, Limit: 5}
	seq := f.client.All(t.Context(), p)
	p.Statuses[0] = invitations.StatusRevoked // changed after All was called
	p.Limit = 50
	for _, err := range seq {
		require.NoError(t, err)
	}
	q, err := url.ParseQuery(f.only(t).RawQuery)
	require.NoError(t, err)
	assert.Equal(t, []string{"pending"}, q["status"])
	assert.Equal(t, []string{"5"}, q["limit"])
}

func TestAllStopsWhenTheLoopBreaks(t *testing.T) {
	t.Parallel()
	f := setup(t)
	pagedServer(f, 100)
	n := 0
	for _, err := range f.client.All(t.Context(), invitations.ListParams{Limit: 5}) {
		require.NoError(t, err)
		n++
		if n == 7 {
			break
		}
	}
	assert.Equal(t, 7, n)
	assert.Len(t, f.sent(), 2, "only the pages needed are fetched")
}

func TestAllYieldsAnErrorOnceAndStops(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /invitations", 500, nil, errorJSON(500, "internal_clerk_error", "Oops"))
	var errs []error
	for inv, err := range f.client.All(t.Context(), invitations.ListParams{}) {
		assert.Empty(t, inv.ID)
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorContains(t, errs[0], "500")
}

func TestAllValidatesParams(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, err := range f.client.All(t.Context(), invitations.ListParams{Limit: 1000}) {
		var verr *invitations.ValidationError
		require.ErrorAs(t, err, &verr)
	}
	assert.Empty(t, f.sent())
}

// TestAllEndsAgainstAServerThatIgnoresOffset: a server answering the same full page whatever
// the offset, with a total it never reaches, must not make All loop forever.
func TestAllEndsAgainstAServerThatIgnoresOffset(t *testing.T) {
	t.Parallel()
	page := func(from int) string {
		var items []string
		for i := from; i < from+10; i++ {
			items = append(items, invitationJSON(fmt.Sprintf("inv_%d", i), fmt.Sprintf("p%d@example.com", i), "pending"))
		}
		return `{"data":[` + strings.Join(items, ",") + `],"total_count":1000000}`
	}
	for name, pages := range map[string][]string{
		"the same page again": {page(0)},
		"two pages in turn":   {page(0), page(10)},
		"three pages in turn": {page(0), page(10), page(20)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			var mu sync.Mutex
			served := 0
			f.mux.HandleFunc("GET /v1/invitations", func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				body := pages[served%len(pages)]
				served++
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(body))
			})
			n := 0
			var errs []error
			for _, err := range f.client.All(t.Context(), invitations.ListParams{Limit: 10}) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if n++; n > 1000 {
					t.Fatal("the walk goes on for ever") // fail fast rather than at the package's timeout
				}
			}
			assert.Equal(t, 10*len(pages), n, "each page once")
			require.Len(t, errs, 1)
			assert.ErrorIs(t, errs[0], invitations.ErrUnexpectedResponse)
			assert.ErrorContains(t, errs[0], "ignores offset")
			assert.Len(t, f.sent(), len(pages)+1)
		})
	}
}

// TestAllStopsAfterAShortPage: a page shorter than the limit is the last one, whatever the
// total says.
func TestAllStopsAfterAShortPage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /invitations", 200, nil, `{"data":[`+invitationJSON("inv_1", "a@example.com", "pending")+`],"total_count":7}`)
	n := 0
	for _, err := range f.client.All(t.Context(), invitations.ListParams{Limit: 5}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 1, n)
	assert.Len(t, f.sent(), 1)
}
