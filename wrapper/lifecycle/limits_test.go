package lifecycle_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

// counting is a transport that counts the 429 answers it carries.
type counting struct {
	next    http.RoundTripper
	limited atomic.Int64
}

func (c *counting) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		c.limited.Add(1)
	}
	return resp, err
}

// setRateLimits puts Clerk's budgets in force through the control plane, as a test in any
// language would.
func setRateLimits(t *testing.T, srv *invitationstest.Server, preset string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, strings.TrimSuffix(srv.URL, "/v1")+"/_control/rate-limits", strings.NewReader(`{"preset":"`+preset+`"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.SecretKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
}

// TestActingOnAThousandAtClerksLimits is the goal of acting at scale: 1,000 invitations acted
// on against the embedded Clerk keeping Clerk's budgets, by a client paced to the same, within
// 5% of the least time the budgets allow and without a 429, on the bubble's clock. make bench
// records its figures (-v).
func TestActingOnAThousandAtClerksLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		action  lifecycle.Action
		preset  string
		budgets invitations.Budgets
	}{
		{lifecycle.ActionRevoke, "dev", invitations.DevelopmentBudgets()},
		{lifecycle.ActionReissue, "prod", invitations.ProductionBudgets()},
	} {
		t.Run(string(tc.action), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				srv := invitationstest.NewServer(t, invitationstest.WithInMemoryNetwork())
				items := make([]invitations.CreateParams, 1000)
				for i := range items {
					items[i] = invitations.CreateParams{EmailAddress: fmt.Sprintf("scale%04d@example.com", i), Notify: invitations.Ptr(false),
						PublicMetadata: map[string]any{"n": i}}
				}
				seeded, err := lifecycle.New(srv.Client).InviteMany(t.Context(), items, lifecycle.InviteOptions{})
				require.NoError(t, err)
				require.Equal(t, 1000, seeded.Counts[lifecycle.Created])
				setRateLimits(t, srv, tc.preset)

				transport := &counting{next: srv.HTTPClient().Transport}
				client, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(&http.Client{Transport: transport}),
					invitations.WithPacing(tc.budgets))
				require.NoError(t, err)
				m := lifecycle.New(client)
				plan, err := m.Plan(t.Context(), tc.action, lifecycle.Selection{})
				require.NoError(t, err)
				require.Len(t, plan.Entries, 1000)
				least := plan.LeastTime(tc.budgets)
				time.Sleep(tc.budgets.Overall.Per) // the run starts with the plan's list calls out of the window
				began := time.Now()
				for e, err := range m.Run(t.Context(), plan, lifecycle.RunOptions{Reissue: lifecycle.ReissueParams{Notify: invitations.Ptr(false)}}) {
					require.NoError(t, err)
					plan.Record(e)
				}
				took := time.Since(began)
				assert.True(t, plan.Complete)
				assert.Zero(t, plan.Counts[lifecycle.Failed])
				assert.Zero(t, transport.limited.Load(), "no 429")
				require.Positive(t, least)
				ratio := float64(took) / float64(least)
				t.Logf("%s of 1,000 at Clerk's %s limits: %v, the least the budgets allow %v: %.4fx, %d calls, %d 429s",
					tc.action, tc.preset, took, least, ratio, plan.Calls, transport.limited.Load())
				assert.LessOrEqual(t, ratio, 1.05)
			})
		})
	}
}
