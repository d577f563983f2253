package lifecycle_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/testkit"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

func addresses(prefix string, n int) []invitations.CreateParams {
	out := make([]invitations.CreateParams, n)
	for i := range out {
		out[i] = invitations.CreateParams{EmailAddress: fmt.Sprintf("%s%03d@example.com", prefix, i), Notify: invitations.Ptr(false)}
	}
	return out
}

// invitedOnce checks the server holds exactly one invitation per address in want, and no other.
func invitedOnce(t *testing.T, srv *invitationstest.Server, want []string) {
	t.Helper()
	counts := map[string]int{}
	every := []invitations.Status{invitations.StatusPending, invitations.StatusAccepted, invitations.StatusRevoked, invitations.StatusExpired}
	for inv, err := range srv.Client.All(context.Background(), invitations.ListParams{Statuses: every}) {
		require.NoError(t, err)
		counts[strings.ToLower(inv.EmailAddress)]++
	}
	for _, a := range want {
		assert.Equal(t, 1, counts[strings.ToLower(a)], "%s", a)
		delete(counts, strings.ToLower(a))
	}
	assert.Empty(t, counts, "invitations nobody asked for")
}

func entryFor(t *testing.T, r *lifecycle.Report, addr string) lifecycle.Entry {
	t.Helper()
	for _, e := range r.Entries {
		if strings.EqualFold(e.EmailAddress, addr) {
			return e
		}
	}
	t.Fatalf("no entry for %s", addr)
	return lifecycle.Entry{}
}

func TestInviteManyReportsEveryAddress(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	srv.RegisterUser("user@example.com")
	pending := mustCreate(t, c, invitations.CreateParams{EmailAddress: "pending@example.com"})

	items := addresses("a", 22)
	items[3].PublicMetadata = map[string]any{"team": "blue"}
	items = append(items,
		invitations.CreateParams{EmailAddress: "  A003@Example.com "}, // the same as items[3]
		invitations.CreateParams{EmailAddress: "user@example.com"},
		invitations.CreateParams{EmailAddress: "pending@example.com"},
		invitations.CreateParams{EmailAddress: "not-an-address"},
		invitations.CreateParams{EmailAddress: "twice@example.com", IgnoreExisting: invitations.Ptr(true)},
	)
	var progress []lifecycle.Progress
	report, err := lifecycle.New(c).InviteMany(t.Context(), items, lifecycle.InviteOptions{Progress: func(p lifecycle.Progress) { progress = append(progress, p) }})
	require.NoError(t, err)

	assert.Len(t, report.Entries, 26, "27 items, two of them one address")
	assert.Equal(t, map[lifecycle.Result]int{
		lifecycle.Created: 22, lifecycle.AlreadyUser: 1, lifecycle.AlreadyInvited: 1, lifecycle.Invalid: 2,
	}, report.Counts)
	assert.True(t, report.Complete)
	merged := entryFor(t, report, "a003@example.com")
	assert.Equal(t, []int{3, 22}, merged.Rows)
	assert.Equal(t, "a003@example.com", merged.EmailAddress, "the first spelling is kept")
	d, _ := srv.Lookup(merged.InvitationID)
	assert.Equal(t, map[string]any{"team": "blue"}, d.PublicMetadata, "each item keeps its own metadata")
	assert.False(t, d.Notified)
	assert.Equal(t, lifecycle.AlreadyUser, entryFor(t, report, "user@example.com").Result)
	assert.Equal(t, lifecycle.AlreadyInvited, entryFor(t, report, "pending@example.com").Result)
	bad := entryFor(t, report, "not-an-address")
	assert.Equal(t, lifecycle.Invalid, bad.Result)
	assert.Contains(t, bad.Error, "email_address")
	assert.Contains(t, entryFor(t, report, "twice@example.com").Error, "ignore_existing")

	var want []string
	for _, e := range report.Entries {
		if e.Result == lifecycle.Created {
			want = append(want, e.EmailAddress)
		}
	}
	invitedOnce(t, srv, append(want, pending.EmailAddress))
	require.NotEmpty(t, progress)
	last := progress[len(progress)-1]
	assert.Equal(t, last.Total, last.Done)
	for i := 1; i < len(progress); i++ {
		assert.GreaterOrEqual(t, progress[i].Done, progress[i-1].Done)
	}
}

func TestInviteManySetsAsideAddressesAlreadyInvited(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	items := addresses("d", 10)
	mustCreate(t, c, items[4])
	mustCreate(t, c, items[7])
	report, err := lifecycle.New(c).InviteMany(t.Context(), items, lifecycle.InviteOptions{})
	require.NoError(t, err)
	assert.Equal(t, 8, report.Counts[lifecycle.Created])
	assert.Equal(t, 2, report.Counts[lifecycle.AlreadyInvited])
	assert.Equal(t, 2, report.Calls, "the refused bulk call, then the other eight in one")
	assert.Equal(t, 10, srv.Len())
}

func TestInviteManyFallsBackToSinglesForOtherRefusals(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	items := addresses("u", 10)
	srv.RegisterUser(items[5].EmailAddress) // a bulk call cannot say which address is a user
	report, err := lifecycle.New(c).InviteMany(t.Context(), items, lifecycle.InviteOptions{})
	require.NoError(t, err)
	assert.Equal(t, 9, report.Counts[lifecycle.Created])
	assert.Equal(t, lifecycle.AlreadyUser, report.Entries[5].Result)
	assert.Equal(t, 11, report.Calls, "one refused bulk call, then ten creates")
}

func TestInviteManyWaitsOutRateLimits(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork())
		// The client itself gives up on any Retry-After; the engine waits it out.
		c, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(srv.HTTPClient()), invitations.WithMaxRetryWait(0))
		require.NoError(t, err)
		srv.FailNext(invitations.OpBulkCreate, 1, invitationstest.Fault{Status: 429, Header: http.Header{"Retry-After": {"1"}}})
		began := time.Now()
		report, err := lifecycle.New(c).InviteMany(t.Context(), addresses("r", 15), lifecycle.InviteOptions{})
		require.NoError(t, err)
		assert.Equal(t, 15, report.Counts[lifecycle.Created])
		assert.Equal(t, time.Second, time.Since(began), "the engine waited out Retry-After: 1")
	})
}

// TestInviteManyKeepsToThePacing: with Clerk's kinds of budgets scaled down to milliseconds, a
// run spanning several windows uses the bulk and the create budget both, and meets no 429.
func TestInviteManyKeepsToThePacing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		budgets := invitations.Budgets{Bulk: invitations.Budget{Calls: 2, Per: 250 * time.Millisecond}, Create: invitations.Budget{Calls: 1, Per: 250 * time.Millisecond}}
		srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork(), invitationstest.WithRateLimits(budgets))
		var logs testkit.SyncBuffer
		c, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(srv.HTTPClient()),
			invitations.WithPacing(budgets), invitations.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		require.NoError(t, err)
		began := time.Now()
		report, err := lifecycle.New(c).InviteMany(t.Context(), addresses("p", 60), lifecycle.InviteOptions{})
		require.NoError(t, err)
		assert.Equal(t, 60, report.Counts[lifecycle.Created])
		assert.Equal(t, 500*time.Millisecond, time.Since(began), "21 a window (two bulk calls and a create): three windows")
		assert.Equal(t, 8, report.Calls, "six bulk calls and two creates (bulk first when both may go)")
		assert.NotContains(t, logs.String(), "status=429")
	})
}

func TestInviteManyDryRun(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	items := addresses("n", 12)
	mustCreate(t, c, items[0])
	report, err := lifecycle.New(c).InviteMany(t.Context(), append(items, invitations.CreateParams{EmailAddress: "bad"}), lifecycle.InviteOptions{DryRun: true})
	require.NoError(t, err)
	assert.True(t, report.DryRun)
	assert.Equal(t, map[lifecycle.Result]int{lifecycle.AlreadyInvited: 1, lifecycle.WouldCreate: 11, lifecycle.Invalid: 1}, report.Counts)
	assert.Zero(t, report.Calls)
	assert.Equal(t, 1, srv.Len(), "nothing created")
}

// TestInviteManyStopsAndResumes cancels a run while a call is under way: that call finishes
// and is reported, the rest is left unsent, and a run resumed from the report invites exactly
// the rest.
func TestInviteManyStopsAndResumes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork())
		c := srv.Client
		items := addresses("s", 45)
		// The second bulk call is slow; the run is cancelled while it is under way.
		srv.FailNext(invitations.OpBulkCreate, 1, invitationstest.Fault{})
		srv.FailNext(invitations.OpBulkCreate, 1, invitationstest.Fault{Delay: 1500 * time.Millisecond})
		ctx, cancel := context.WithCancel(t.Context())
		calls := 0
		report, err := lifecycle.New(c).InviteMany(ctx, items, lifecycle.InviteOptions{Progress: func(p lifecycle.Progress) {
			if calls++; calls == 1 {
				time.AfterFunc(300*time.Millisecond, cancel)
			}
		}})
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 20, report.Counts[lifecycle.Created], "the call under way finished")
		assert.Equal(t, 25, report.Counts[lifecycle.NotSent])
		assert.False(t, report.Complete)
		assert.Equal(t, 20, srv.Len())

		// Through JSON, as the command-line tool keeps it.
		raw, err := json.Marshal(report)
		require.NoError(t, err)
		var saved lifecycle.Report
		require.NoError(t, json.Unmarshal(raw, &saved))
		resumed, err := lifecycle.New(c).InviteMany(t.Context(), items, lifecycle.InviteOptions{Resume: &saved})
		require.NoError(t, err)
		assert.True(t, resumed.Complete)
		assert.Equal(t, 45, resumed.Counts[lifecycle.Created])
		assert.Equal(t, 3, resumed.Calls, "only the 25 left")
		var want []string
		for _, p := range items {
			want = append(want, p.EmailAddress)
		}
		invitedOnce(t, srv, want)
	})
}

// TestInviteManyResumesAfterAnUnknownOutcome: a batch whose outcome could not be learnt is
// reported failed; resumed, it meets duplicate_record and nobody is invited twice.
func TestInviteManyResumesAfterAnUnknownOutcome(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	items := addresses("k", 10)
	srv.FailNext(invitations.OpBulkCreate, 3, invitationstest.Fault{Commit: true, Drop: true})
	boom := invitationstest.Fault{Status: 500, Header: http.Header{"Content-Type": {"application/json"}}, Body: `{"errors":[{"code":"internal_clerk_error","message":"x","long_message":"boom"}]}`}
	srv.FailNext(invitations.OpList, 3, boom) // and the lookup that would settle it fails
	report, err := lifecycle.New(c).InviteMany(t.Context(), items, lifecycle.InviteOptions{})
	require.NoError(t, err)
	assert.Equal(t, 10, report.Counts[lifecycle.Failed])
	assert.ErrorIs(t, report.Entries[0].Err, invitations.ErrOutcomeUnknown)
	assert.Equal(t, 10, srv.Len(), "it was carried out")

	resumed, err := lifecycle.New(c).InviteMany(t.Context(), items, lifecycle.InviteOptions{Resume: report})
	require.NoError(t, err)
	assert.Equal(t, 10, resumed.Counts[lifecycle.AlreadyInvited])
	assert.True(t, resumed.Complete)
	assert.Equal(t, 10, srv.Len())
}

func TestInviteManyStopsOnAWrongKeyAndOnRepeatedFailures(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	wrong, err := invitations.New("sk_test_wrong", invitations.WithBaseURL(srv.URL))
	require.NoError(t, err)
	report, err := lifecycle.New(wrong).InviteMany(t.Context(), addresses("w", 30), lifecycle.InviteOptions{})
	require.ErrorIs(t, err, invitations.ErrUnauthorized)
	assert.Equal(t, 10, report.Counts[lifecycle.Failed])
	assert.Equal(t, 20, report.Counts[lifecycle.NotSent])
	assert.Equal(t, 1, report.Calls)

	broken := invitationstest.Fault{Status: 500, Header: http.Header{"Content-Type": {"application/json"}}, Body: `{"errors":[{"code":"internal_clerk_error","message":"x","long_message":"boom"}]}`}
	srv.FailNext(invitations.OpBulkCreate, 100, broken)
	report, err = lifecycle.New(srv.Client).InviteMany(t.Context(), addresses("f", 100), lifecycle.InviteOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "5 failed calls in a row")
	assert.Equal(t, 50, report.Counts[lifecycle.Failed])
	assert.Equal(t, 50, report.Counts[lifecycle.NotSent])
}

func TestInviteManyProgressIsSafeToUseFromTheCaller(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	var mu sync.Mutex
	var settled []string
	_, err := lifecycle.New(srv.Client).InviteMany(t.Context(), addresses("g", 25), lifecycle.InviteOptions{Progress: func(p lifecycle.Progress) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range p.Settled {
			settled = append(settled, e.EmailAddress)
		}
	}})
	require.NoError(t, err)
	assert.Len(t, settled, 25, "each address is reported settled once")
}
