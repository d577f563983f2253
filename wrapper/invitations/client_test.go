package invitations_test

import (
	"context"
	"fmt"
	"net/http"
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

func TestNewRejectsBadKeysWithoutEchoingThem(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":                       "empty",
		"pk_test_abc":            `does not start with "sk_"`,
		"sk_test_abc def":        "spaces or control",
		"sk_test_abc\n":          "spaces or control",
		"sk_test_secret\x00part": "spaces or control",
	}
	for key, want := range cases {
		_, err := invitations.New(key)
		require.Error(t, err, "%q", key)
		assert.Contains(t, err.Error(), want)
		if key != "" {
			assert.NotContains(t, err.Error(), key)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opt  invitations.Option
		want string
	}{
		{"relative base URL", invitations.WithBaseURL("/v1"), "absolute"},
		{"ftp base URL", invitations.WithBaseURL("ftp://example.com/v1"), "absolute"},
		{"base URL with query", invitations.WithBaseURL("https://example.com/v1?x=1"), "query"},
		{"base URL with user", invitations.WithBaseURL("https://u:p@example.com/v1"), "user info"},
		{"unparsable base URL", invitations.WithBaseURL("http://[::1"), "WithBaseURL"},
		{"nil HTTP client", invitations.WithHTTPClient(nil), "nil"},
		{"zero timeout", invitations.WithTimeout(0), "not positive"},
		{"negative timeout", invitations.WithTimeout(-time.Second), "not positive"},
		{"API version not a date", invitations.WithAPIVersion("latest"), "not a date"},
		{"empty user agent", invitations.WithUserAgent(" "), "WithUserAgent"},
		{"user agent with newline", invitations.WithUserAgent("app\r\nX-Evil: 1"), "control"},
		{"nil option", nil, "nil Option"},
		{"negative retries", invitations.WithRetries(-1), "negative"},
		{"negative retry wait", invitations.WithMaxRetryWait(-time.Second), "negative"},
		{"nil logger", invitations.WithLogger(nil), "nil"},
		{"budget without a window", invitations.WithPacing(invitations.Budgets{Create: invitations.Budget{Calls: 5}}), "Create budget"},
		{"budget without calls", invitations.WithPacing(invitations.Budgets{Overall: invitations.Budget{Per: time.Second}}), "Overall budget"},
		{"negative budget", invitations.WithPacing(invitations.Budgets{Bulk: invitations.Budget{Calls: -1, Per: time.Second}}), "Bulk budget"},
		{"plain http off loopback", invitations.WithBaseURL("http://api.example.com/v1"), "unencrypted"},
		{"plain http to a private address", invitations.WithBaseURL("http://10.0.0.8:4010/v1"), "unencrypted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := invitations.New(testKey, tc.opt)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestClientSendsConfiguredHeaders(t *testing.T) {
	t.Parallel()
	f := setup(t, invitations.WithAPIVersion("2025-04-10"), invitations.WithUserAgent("my-app/1.2"))
	f.handle("POST /invitations/{id}/revoke", 200, nil, invitationJSON("inv_1", "ada@example.com", "revoked"))

	_, err := f.client.Revoke(t.Context(), "inv_1")
	require.NoError(t, err)

	req := f.only(t)
	assert.Equal(t, "Bearer "+testKey, req.Header.Get("Authorization"))
	assert.Equal(t, "2025-04-10", req.Header.Get("Clerk-API-Version"))
	assert.Equal(t, "my-app/1.2 clerk-invitations-go/"+invitations.Version, req.Header.Get("User-Agent"))
	assert.Equal(t, "application/json", req.Header.Get("Accept"))
}

func TestClientDefaults(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /invitations/{id}/revoke", 200, nil, invitationJSON("inv_1", "ada@example.com", "revoked"))
	_, err := f.client.Revoke(t.Context(), "inv_1")
	require.NoError(t, err)
	req := f.only(t)
	assert.Equal(t, invitations.DefaultAPIVersion, req.Header.Get("Clerk-API-Version"))
	assert.Equal(t, "clerk-invitations-go/"+invitations.Version, req.Header.Get("User-Agent"))
}

func TestBaseURLTrailingSlashAndPathAreKept(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /invitations/{id}/revoke", 200, nil, invitationJSON("inv_1", "ada@example.com", "revoked"))
	// The fixture's client uses ".../v1"; a second one with ".../v1/" must hit the same path.
	c, err := invitations.New(testKey, invitations.WithBaseURL(f.server.URL+"/v1/"))
	require.NoError(t, err)
	_, err = c.Revoke(t.Context(), "inv_1")
	require.NoError(t, err)
	assert.Equal(t, "/v1/invitations/inv_1/revoke", f.only(t).Path)
}

func TestClientStringHidesKey(t *testing.T) {
	t.Parallel()
	c, err := invitations.New(testKey)
	require.NoError(t, err)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), c.String()} {
		assert.NotContains(t, s, "c2VjcmV0")
		assert.Contains(t, s, "sk_test_***")
	}
}

func TestTimeoutOptionBoundsACall(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork())
		srv.FailNext(invitations.OpList, 1, invitationstest.Fault{Delay: time.Hour})
		c, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(srv.HTTPClient()),
			invitations.WithTimeout(50*time.Millisecond), invitations.WithRetries(0))
		require.NoError(t, err)
		began := time.Now()
		_, err = c.List(t.Context(), invitations.ListParams{})
		var transportErr *invitations.TransportError
		require.ErrorAs(t, err, &transportErr, "a timeout is a transport error, not an APIError")
		assert.Equal(t, 50*time.Millisecond, time.Since(began), "the attempt ended at the timeout")
		assert.Contains(t, err.Error(), "invitations: list:")
	})
}

func TestTimeoutOptionDoesNotChangeTheCallersClient(t *testing.T) {
	t.Parallel()
	mine := &http.Client{Timeout: time.Minute}
	_, err := invitations.New(testKey, invitations.WithHTTPClient(mine), invitations.WithTimeout(time.Second))
	require.NoError(t, err)
	assert.Equal(t, time.Minute, mine.Timeout)
}

func TestContextCancellationIsReturnedWrapped(t *testing.T) {
	t.Parallel()
	f := setup(t)
	started := make(chan struct{})
	f.mux.HandleFunc("GET /v1/invitations", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-started; cancel() }()
	_, err := f.client.List(ctx, invitations.ListParams{})
	require.ErrorIs(t, err, context.Canceled)
	f.findings.Take()
}

// TestNilContextIsAnErrorNotAPanic calls every method that takes a context with a nil one.
func TestNilContextIsAnErrorNotAPanic(t *testing.T) {
	t.Parallel()
	f := setup(t)
	testkit.CheckNilContext(t, f.client, "inv_1", "ada@example.com", invitations.CreateParams{EmailAddress: "ada@example.com"},
		[]invitations.CreateParams{{EmailAddress: "ada@example.com"}}, invitations.OpCreate)
	assert.Empty(t, f.sent())
}

// TestEachRequestHasItsOwnHeaderValues: a transport that edits a request's headers in place (a
// careless logger masking the key, say) changes that request only.
func TestEachRequestHasItsOwnHeaderValues(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	next := srv.HTTPClient().Transport
	masking := roundTripper(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		for _, name := range []string{"Authorization", "Clerk-Api-Version", "User-Agent", "Accept"} {
			req.Header[name][0] = "[masked]"
		}
		return resp, err
	})
	c, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(&http.Client{Transport: masking}))
	require.NoError(t, err)
	for range 3 {
		_, err := c.List(t.Context(), invitations.ListParams{})
		require.NoError(t, err)
	}
}

func TestClientIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /invitations/{id}/revoke", 200, nil, invitationJSON("inv_1", "ada@example.com", "revoked"))
	f.handle("GET /invitations", 200, nil, `{"data":[],"total_count":0}`)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = f.client.Revoke(t.Context(), "inv_1")
			} else {
				_, err = f.client.List(t.Context(), invitations.ListParams{Limit: 5})
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Len(t, f.sent(), 40)
}
