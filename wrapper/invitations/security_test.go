package invitations_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
)

func TestPlainHTTPOnlyOnLoopbackUnlessAllowed(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"http://127.0.0.1:4010/v1", "http://localhost:4010/v1", "http://[::1]:4010/v1", "http://app.localhost/v1", "https://api.example.com/v1"} {
		_, err := invitations.New(testKey, invitations.WithBaseURL(base))
		assert.NoError(t, err, base)
	}
	for _, base := range []string{"http://api.example.com/v1", "http://localhost.example.com/v1", "http://mylocalhost/v1", "http://127.0.0.1.example.com/v1"} {
		_, err := invitations.New(testKey, invitations.WithBaseURL(base))
		require.Error(t, err, "%s only looks like loopback", base)
		assert.NotContains(t, err.Error(), testKey)
	}
	_, err := invitations.New(testKey, invitations.WithInsecureHTTP(), invitations.WithBaseURL("http://api.example.com/v1"))
	assert.NoError(t, err, "WithInsecureHTTP allows it, in any order of options")
}

// TestAuthorizationNeverFollowsARedirectToAnotherHost: a proxy or a compromised answer that
// redirects elsewhere must not receive the key.
func TestAuthorizationNeverFollowsARedirectToAnotherHost(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	authSeen := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[],"total_count":0}`))
	}))
	defer other.Close()
	var sameHost []string
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/invitations" {
			http.Redirect(w, r, "/v1/moved/invitations", http.StatusTemporaryRedirect) // same host
			return
		}
		mu.Lock()
		sameHost = append(sameHost, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Redirect(w, r, other.URL+"/v1/invitations", http.StatusTemporaryRedirect)
	}))
	defer origin.Close()

	client, err := invitations.New(testKey, invitations.WithBaseURL(origin.URL+"/v1"))
	require.NoError(t, err)
	_, err = client.List(t.Context(), invitations.ListParams{})
	require.NoError(t, err)
	assert.Equal(t, []string{""}, authSeen(), "the other host got no Authorization header")
	mu.Lock()
	assert.Equal(t, []string{"Bearer " + testKey}, sameHost, "a redirect on the same host keeps it")
	mu.Unlock()

	// Also with a caller's own http.Client and redirect policy.
	var policyCalls int
	policy := func(*http.Request, []*http.Request) error { policyCalls++; return nil }
	hc := &http.Client{CheckRedirect: policy}
	client, err = invitations.New(testKey, invitations.WithBaseURL(origin.URL+"/v1"), invitations.WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = client.List(t.Context(), invitations.ListParams{})
	require.NoError(t, err)
	assert.Equal(t, []string{"", ""}, authSeen())
	assert.Equal(t, 2, policyCalls, "the caller's redirect policy still applies")
	require.NoError(t, hc.CheckRedirect(nil, nil))
	assert.Equal(t, 3, policyCalls, "the caller's client keeps its own policy, unwrapped")
}

// TestAuthorizationNeverFollowsARedirectToPlainHTTP: net/http keeps the header when a redirect
// changes only the scheme; the client drops it, or the key would cross the network in clear.
func TestAuthorizationNeverFollowsARedirectToPlainHTTP(t *testing.T) {
	t.Parallel()
	var auth []string
	transport := roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.URL.Scheme == "https" {
			return &http.Response{StatusCode: http.StatusTemporaryRedirect, Header: http.Header{"Location": {"http://" + r.URL.Host + r.URL.Path}},
				Body: http.NoBody, Request: r}, nil
		}
		auth = append(auth, r.Header.Get("Authorization"))
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"data":[],"total_count":0}`)), Request: r}, nil
	})
	client, err := invitations.New(testKey, invitations.WithBaseURL("https://clerk.example/v1"), invitations.WithHTTPClient(&http.Client{Transport: transport}))
	require.NoError(t, err)
	_, err = client.List(t.Context(), invitations.ListParams{})
	require.NoError(t, err)
	assert.Equal(t, []string{""}, auth, "the same host over plain http got no Authorization header")
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestLoggerRecordsAttemptsOnly checks what WithLogger writes across retries and failures: the
// operation, attempts, statuses and trace ids, and never the key, an address or a body.
func TestLoggerRecordsAttemptsOnly(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	var buf testkit.SyncBuffer
	client, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL),
		invitations.WithLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NoError(t, err)
	// A proxy echoes the Authorization header, into the body and into the trace id.
	srv.FailNext(invitations.OpCreate, 1, invitationstest.Fault{Status: 503,
		Header: http.Header{"Content-Type": {"text/html"}, "Clerk-Trace-Id": {"Bearer " + srv.SecretKey}}, Body: "<h1>" + srv.SecretKey + "</h1>"})
	srv.FailNext(invitations.OpList, 1, invitationstest.Fault{Drop: true})
	srv.FailNext(invitations.OpList, 1, invitationstest.Fault{Drop: true})
	_, err = client.Create(t.Context(), invitations.CreateParams{EmailAddress: "secret.person@example.com", PublicMetadata: map[string]any{"note": "private"}})
	require.NoError(t, err)
	_, err = client.List(t.Context(), invitations.ListParams{Query: "secret.person@example.com"})
	require.NoError(t, err)

	out := buf.String()
	for _, want := range []string{`"op":"create"`, `"op":"list"`, `"status":503`, `"status":200`, `"attempt":2`, `"retry_in"`, `"trace_id"`, `"msg":"invitations: retrying"`} {
		assert.Contains(t, out, want)
	}
	for _, never := range []string{srv.SecretKey, "secret.person", "private", "<h1>", "query="} {
		assert.NotContains(t, out, never)
	}
}

// TestPacingKeepsWithinTheServersBudget sends more calls than a budget allows: with pacing the
// client waits instead of meeting a 429 (it has no retries here, so one would fail the call).
func TestPacingKeepsWithinTheServersBudget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork(), invitationstest.WithRateLimits(invitations.Budgets{Overall: invitations.Budget{Calls: 3, Per: 200 * time.Millisecond}}))
		client, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(srv.HTTPClient()), invitations.WithRetries(0),
			invitations.WithPacing(invitations.Budgets{Overall: invitations.Budget{Calls: 3, Per: 250 * time.Millisecond}}))
		require.NoError(t, err)
		began := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, 9)
		for range 9 {
			wg.Go(func() {
				_, err := client.List(t.Context(), invitations.ListParams{})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			assert.NoError(t, err)
		}
		assert.Equal(t, 500*time.Millisecond, time.Since(began), "nine calls at three per 250 ms span two waits")

		// Without pacing the same burst meets the server's limit.
		bare, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(srv.HTTPClient()), invitations.WithRetries(0))
		require.NoError(t, err)
		var limited bool
		for range 9 {
			if _, err := bare.List(t.Context(), invitations.ListParams{}); err != nil {
				require.ErrorIs(t, err, invitations.ErrRateLimited)
				limited = true
			}
		}
		assert.True(t, limited)
	})
}

// TestPacingCountsACallFromItsAnswer: a request that reaches the server late is counted there
// late; the client's budget, exactly the server's, must count it from its answer, or the next
// call lands in the same server window and meets a 429.
func TestPacingCountsACallFromItsAnswer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const window = 300 * time.Millisecond
		srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork(), invitationstest.WithRateLimits(invitations.Budgets{Bulk: invitations.Budget{Calls: 1, Per: window}}))
		client, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(srv.HTTPClient()), invitations.WithRetries(0),
			invitations.WithPacing(invitations.Budgets{Bulk: invitations.Budget{Calls: 1, Per: window}}))
		require.NoError(t, err)
		srv.FailNext(invitations.OpBulkCreate, 1, invitationstest.Fault{Delay: 150 * time.Millisecond}) // reaches the server 150 ms late
		for i := range 2 {
			_, err := client.BulkCreate(t.Context(), []invitations.CreateParams{{EmailAddress: fmt.Sprintf("late%d@example.com", i)}})
			require.NoError(t, err, "call %d", i)
		}
	})
}

// TestReadyWaitsForTheBudgetWithoutSpendingIt: Ready returns once a call of the operation
// would go at once (after the window, or a 429's Retry-After), counts nothing itself, and ends
// with its context; without pacing it returns at once.
func TestReadyWaitsForTheBudgetWithoutSpendingIt(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := invitationstest.NewServer(t, invitationstest.WithInMemoryNetwork())
		client, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(srv.HTTPClient()),
			invitations.WithPacing(invitations.Budgets{Create: invitations.Budget{Calls: 1, Per: time.Minute}}))
		require.NoError(t, err)
		began := time.Now()
		require.NoError(t, client.Ready(t.Context(), invitations.OpCreate))
		require.NoError(t, client.Ready(t.Context(), invitations.OpCreate))
		assert.Zero(t, time.Since(began), "Ready spends nothing")
		_, err = client.Create(t.Context(), invitations.CreateParams{EmailAddress: "a@example.com"})
		require.NoError(t, err)
		require.NoError(t, client.Ready(t.Context(), invitations.OpList), "another operation's budget is untouched")
		assert.Zero(t, time.Since(began))
		require.NoError(t, client.Ready(t.Context(), invitations.OpCreate))
		assert.Equal(t, time.Minute, time.Since(began), "the create budget's window")

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err = client.Create(t.Context(), invitations.CreateParams{EmailAddress: "b@example.com"})
		require.NoError(t, err)
		assert.ErrorIs(t, client.Ready(ctx, invitations.OpCreate), context.DeadlineExceeded)

		// With a context that has ended, Ready only checks.
		ended, end := context.WithCancel(t.Context())
		end()
		began = time.Now()
		assert.ErrorIs(t, client.Ready(ended, invitations.OpCreate), context.Canceled, "the create budget is spent")
		assert.NoError(t, client.Ready(ended, invitations.OpList), "the overall budget is not")
		assert.NoError(t, srv.Client.Ready(ended, invitations.OpCreate), "without pacing a call always goes at once")
		assert.Zero(t, time.Since(began))

		// After a 429 the call gave up on (its Retry-After beyond the cap), the operation waits
		// the Retry-After.
		capped, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(srv.HTTPClient()),
			invitations.WithPacing(invitations.Budgets{}), invitations.WithMaxRetryWait(time.Second))
		require.NoError(t, err)
		srv.FailNext(invitations.OpList, 1, invitationstest.Fault{Status: 429, Header: http.Header{"Retry-After": {"7"}}})
		_, err = capped.List(t.Context(), invitations.ListParams{})
		require.ErrorIs(t, err, invitations.ErrRateLimited)
		began = time.Now()
		require.NoError(t, capped.Ready(t.Context(), invitations.OpList))
		assert.Equal(t, 7*time.Second, time.Since(began))

		unpaced := srv.Client
		began = time.Now()
		require.NoError(t, unpaced.Ready(t.Context(), invitations.OpCreate))
		assert.Zero(t, time.Since(began))
	})
}

func TestPresetBudgetsAreClerks(t *testing.T) {
	t.Parallel()
	dev, prod := invitations.DevelopmentBudgets(), invitations.ProductionBudgets()
	assert.Equal(t, invitations.Budget{Calls: 100, Per: time.Hour}, dev.Create)
	assert.Equal(t, invitations.Budget{Calls: 25, Per: time.Hour}, dev.Bulk)
	assert.Equal(t, invitations.Budget{Calls: 100, Per: 10 * time.Second}, dev.Overall)
	assert.Equal(t, invitations.Budget{Calls: 1000, Per: 10 * time.Second}, prod.Overall)
}

func TestRetryAfterIsWaitedOutUpToTheCap(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork(), invitationstest.WithRateLimits(invitations.Budgets{Overall: invitations.Budget{Calls: 1, Per: time.Second}}))
		client, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(srv.HTTPClient()))
		require.NoError(t, err)
		_, err = client.List(t.Context(), invitations.ListParams{})
		require.NoError(t, err)
		began := time.Now()
		_, err = client.List(t.Context(), invitations.ListParams{})
		require.NoError(t, err, "the client waited out Retry-After: 1")
		assert.Equal(t, time.Second, time.Since(began), "Retry-After: 1, waited once")

		impatient, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(srv.HTTPClient()), invitations.WithMaxRetryWait(100*time.Millisecond))
		require.NoError(t, err)
		began = time.Now()
		_, err = impatient.List(t.Context(), invitations.ListParams{})
		require.ErrorIs(t, err, invitations.ErrRateLimited)
		var apiErr *invitations.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, time.Second, apiErr.RetryAfter)
		assert.Equal(t, 1, apiErr.Attempts)
		assert.Zero(t, time.Since(began), "a wait beyond the cap is not slept")
	})
}
