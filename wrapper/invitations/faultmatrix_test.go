package invitations_test

import (
	"context"
	"errors"
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

	"github.com/clerk-invitations/clerk-invitations-go/internal/pipenet"
	"github.com/clerk-invitations/clerk-invitations-go/internal/testkit"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
)

// matrixOp is one operation of the fault matrix: how to set it up, call it, and tell whether it
// took effect on the server.
type matrixOp struct {
	name    string
	op      invitations.Operation
	write   bool
	prepare func(t *testing.T, srv *invitationstest.Server) string // returns an invitation id, if any
	call    func(ctx context.Context, c *invitations.Client, id string) error
	// applied reports whether the call's effect is on the server; it fails the test if the
	// effect is there more than once.
	applied func(t *testing.T, srv *invitationstest.Server, id string) bool
}

func pendingInvitation(t *testing.T, srv *invitationstest.Server) string {
	t.Helper()
	inv, err := srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: "held@example.com", Notify: invitations.Ptr(false)})
	require.NoError(t, err)
	return inv.ID
}

// created reports whether the server holds want invitations and fails on more (a duplicate).
func created(want int) func(t *testing.T, srv *invitationstest.Server, _ string) bool {
	return func(t *testing.T, srv *invitationstest.Server, _ string) bool {
		n := srv.Len()
		require.LessOrEqual(t, n, want, "more invitations than the call asked for: a duplicate")
		return n == want
	}
}

var matrixOps = []matrixOp{
	{name: "list", op: invitations.OpList,
		call: func(ctx context.Context, c *invitations.Client, _ string) error {
			_, err := c.List(ctx, invitations.ListParams{})
			return err
		},
		applied: func(*testing.T, *invitationstest.Server, string) bool { return false }},
	{name: "create", op: invitations.OpCreate, write: true,
		call: func(ctx context.Context, c *invitations.Client, _ string) error {
			inv, err := c.Create(ctx, invitations.CreateParams{EmailAddress: "m@example.com", Notify: invitations.Ptr(false)})
			if err == nil && inv.EmailAddress != "m@example.com" {
				return fmt.Errorf("created %q", inv.EmailAddress)
			}
			return err
		},
		applied: created(1)},
	{name: "create ignore_existing", op: invitations.OpCreate, write: true,
		call: func(ctx context.Context, c *invitations.Client, _ string) error {
			_, err := c.Create(ctx, invitations.CreateParams{EmailAddress: "m@example.com", Notify: invitations.Ptr(false), IgnoreExisting: invitations.Ptr(true)})
			return err
		},
		applied: created(1)},
	{name: "bulk", op: invitations.OpBulkCreate, write: true,
		call: func(ctx context.Context, c *invitations.Client, _ string) error {
			got, err := c.BulkCreate(ctx, []invitations.CreateParams{{EmailAddress: "b1@example.com"}, {EmailAddress: "b2@example.com"}})
			if err == nil && (len(got) != 2 || got[1].EmailAddress != "b2@example.com") {
				return fmt.Errorf("bulk answered %v", got)
			}
			return err
		},
		applied: created(2)},
	{name: "revoke", op: invitations.OpRevoke, write: true, prepare: pendingInvitation,
		call: func(ctx context.Context, c *invitations.Client, id string) error {
			inv, err := c.Revoke(ctx, id)
			if err == nil && (inv.ID != id || inv.Status != invitations.StatusRevoked) {
				return fmt.Errorf("revoke answered %+v", inv)
			}
			return err
		},
		applied: func(t *testing.T, srv *invitationstest.Server, id string) bool {
			d, ok := srv.Lookup(id)
			require.True(t, ok)
			return d.Status == invitations.StatusRevoked
		}},
	{name: "delete", op: invitations.OpDelete, write: true, prepare: pendingInvitation,
		call: func(ctx context.Context, c *invitations.Client, id string) error { return c.Delete(ctx, id) },
		applied: func(t *testing.T, srv *invitationstest.Server, id string) bool {
			_, ok := srv.Lookup(id)
			return !ok
		}},
}

// outcome is what a call must end with.
type outcome int

const (
	succeeds       outcome = iota // no error, and the effect is on the server exactly once
	rateLimited                   // ErrRateLimited at once; nothing done
	serverError                   // a 500 *APIError, not retried; nothing done
	outcomeUnknown                // ErrOutcomeUnknown (for a write; a read: the error alone); nothing done
	unexpected                    // ErrUnexpectedResponse; for a write also ErrOutcomeUnknown; nothing done
	contextEnded                  // context.DeadlineExceeded; for a write also ErrOutcomeUnknown; nothing done
)

// matrixFault is one row of the matrix: the fault and the outcome for each operation by name
// (default for operations not named).
type matrixFault struct {
	name    string
	fault   func(key string) invitationstest.Fault
	ctx     time.Duration // a deadline for the call, when not 0
	timeout time.Duration // each attempt's timeout, when not matrixTimeout
	want    outcome
	except  map[string]outcome
}

// Each attempt's timeout in the matrix: generous, since a hundred calls run at once under the
// race detector on two cores. slowHeaders outlasts the shorter timeout of the one fault that
// is about timeouts.
const (
	matrixTimeout = 30 * time.Second
	shortTimeout  = 3 * time.Second
	slowHeaders   = 10 * time.Second
)

func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

var matrixFaults = []matrixFault{
	{name: "429 with seconds", want: succeeds, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Status: 429, Header: http.Header{"Retry-After": {"1"}, "Content-Type": {"application/json"}},
			Body: `{"errors":[{"code":"too_many_requests","message":"m","long_message":"Too many requests"}]}`}
	}},
	{name: "429 with a date", want: succeeds, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Status: 429, Header: http.Header{"Retry-After": {time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)}}}
	}},
	{name: "429 beyond the cap", want: rateLimited, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Status: 429, Header: http.Header{"Retry-After": {"3600"}}}
	}},
	{name: "500 echoing the key", want: serverError, fault: func(key string) invitationstest.Fault {
		return invitationstest.Fault{Status: 500, Header: jsonHeader(),
			Body: `{"errors":[{"code":"internal_clerk_error","message":"x","long_message":"boom Bearer ` + key + `","meta":{"param_name":"` + key + `","echo":["` + key + `"]}}]}`}
	}},
	{name: "502 HTML echoing the key", want: succeeds, except: map[string]outcome{"create ignore_existing": outcomeUnknown}, fault: func(key string) invitationstest.Fault {
		return invitationstest.Fault{Status: 502, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<html>bad gateway for " + key + "</html>"}
	}},
	{name: "503 empty", want: succeeds, except: map[string]outcome{"create ignore_existing": outcomeUnknown}, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Status: 503}
	}},
	{name: "504", want: succeeds, except: map[string]outcome{"create ignore_existing": outcomeUnknown}, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Status: 504, Header: http.Header{"Content-Type": {"text/plain"}}, Body: "upstream timed out"}
	}},
	{name: "reset before the answer", want: succeeds, except: map[string]outcome{"create ignore_existing": outcomeUnknown}, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Drop: true}
	}},
	{name: "dropped after the write", want: succeeds, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Commit: true, Drop: true}
	}},
	{name: "truncated body", want: succeeds, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Commit: true, Truncate: true}
	}},
	{name: "invalid JSON echoing the key", want: unexpected, fault: func(key string) invitationstest.Fault {
		return invitationstest.Fault{Status: 200, Header: jsonHeader(), Body: `{"echo":"Bearer ` + key + `","object":"invitation","id":`}
	}},
	{name: "an answer that is not an invitation", want: unexpected, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Status: 200, Header: jsonHeader(), Body: `{}`}
	}},
	// The server acted and answered 200, with a body the client cannot use: settled by a lookup
	// like any other answer that leaves the outcome open.
	{name: "an unusable answer after the write", want: succeeds, except: map[string]outcome{"list": unexpected}, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Commit: true, Status: 200, Header: jsonHeader(), Body: `{"object":"invitation"}`}
	}},
	{name: "wrong content type", want: unexpected, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Status: 200, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<html>sign in to the Wi-Fi</html>"}
	}},
	{name: "headers slower than the timeout", timeout: shortTimeout, want: succeeds, except: map[string]outcome{"create ignore_existing": outcomeUnknown}, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Delay: slowHeaders}
	}},
	{name: "body over the cap after the write", want: succeeds, except: map[string]outcome{"list": unexpected}, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Commit: true, Status: 200, Header: jsonHeader(), Body: oversizedBody}
	}},
	{name: "context ends while waiting", ctx: time.Second, want: contextEnded, fault: func(string) invitationstest.Fault {
		return invitationstest.Fault{Delay: slowHeaders}
	}},
}

// oversizedBody is one byte over the client's 16 MiB limit, built once.
var oversizedBody = `{"data":[]}` + strings.Repeat(" ", 16<<20-len(`{"data":[]}`)+1)

// TestFaultMatrix runs every operation into every fault the embedded Clerk can inject, once, and
// checks the documented outcome, the server's state behind it (nothing done twice, nothing
// reported failed that was done), bounded attempts, and that the secret key appears in no error
// text, printed error value or log line.
//
// The calls run all at once in a synctest bubble, over in-memory connections: their waits
// (Retry-After, backoff, timeouts, delayed answers) take no real time. Each is then checked in a
// subtest of its own.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	type run struct {
		name   string
		op     matrixOp
		want   outcome
		srv    *invitationstest.Server
		client *invitations.Client
		logs   *testkit.SyncBuffer
		id     string
		ctx    time.Duration
		err    error
	}
	var runs []*run
	synctest.Test(t, func(t *testing.T) {
		for _, fl := range matrixFaults {
			for _, op := range matrixOps {
				r := &run{name: fl.name + "/" + op.name, op: op, want: fl.want, ctx: fl.ctx, logs: &testkit.SyncBuffer{}}
				if w, ok := fl.except[op.name]; ok {
					r.want = w
				}
				r.srv = invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork())
				timeout := matrixTimeout
				if fl.timeout > 0 {
					timeout = fl.timeout
				}
				var err error
				r.client, err = invitations.New(r.srv.SecretKey, invitations.WithBaseURL(r.srv.URL), invitations.WithHTTPClient(r.srv.HTTPClient()),
					invitations.WithTimeout(timeout), invitations.WithLogger(slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
				require.NoError(t, err)
				if op.prepare != nil {
					r.id = op.prepare(t, r.srv)
				}
				r.srv.FailNext(op.op, 1, fl.fault(r.srv.SecretKey))
				runs = append(runs, r)
			}
		}
		var wg sync.WaitGroup
		for _, r := range runs {
			wg.Go(func() {
				ctx := t.Context()
				if r.ctx > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, r.ctx)
					defer cancel()
				}
				r.err = r.op.call(ctx, r.client, r.id)
			})
		}
		wg.Wait()
	})
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			checkOutcome(t, r.op, r.want, r.err)
			if r.op.name != "list" {
				applied := r.op.applied(t, r.srv, r.id) // fails on an effect made twice
				if r.want != outcomeUnknown {
					assert.Equal(t, r.want == succeeds, applied, "the effect is on the server exactly when the call succeeded")
				}
			}
			checkNoSecret(t, r.srv.SecretKey, r.err, r.logs.String())
		})
	}
}

func checkOutcome(t *testing.T, op matrixOp, want outcome, err error) {
	t.Helper()
	switch want {
	case succeeds:
		require.NoError(t, err)
		return
	case rateLimited:
		require.ErrorIs(t, err, invitations.ErrRateLimited)
		var apiErr *invitations.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, time.Hour, apiErr.RetryAfter)
		assert.Equal(t, 1, apiErr.Attempts, "a wait beyond the cap is not waited")
		assert.False(t, apiErr.MaybeApplied)
	case serverError:
		var apiErr *invitations.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 500, apiErr.StatusCode)
		assert.Equal(t, 1, apiErr.Attempts, "a 500 is not retried")
		assert.NotErrorIs(t, err, invitations.ErrOutcomeUnknown)
	case outcomeUnknown:
		require.Error(t, err)
		assert.Equal(t, op.write, errors.Is(err, invitations.ErrOutcomeUnknown), "%v", err)
	case unexpected:
		require.ErrorIs(t, err, invitations.ErrUnexpectedResponse)
		assert.Equal(t, op.write, errors.Is(err, invitations.ErrOutcomeUnknown), "%v", err)
	case contextEnded:
		require.ErrorIs(t, err, context.DeadlineExceeded)
		// A write that was sent may have taken effect; one the deadline stopped before it was
		// sent may not say so.
		if errors.Is(err, invitations.ErrOutcomeUnknown) {
			assert.True(t, op.write, "a read never claims an effect")
		}
	}
	assert.LessOrEqual(t, attempts(err), 1+invitations.DefaultRetries, "attempts are bounded")
	assert.NotContains(t, err.Error(), "\n")
}

// attempts returns the Attempts of any of the client's errors.
func attempts(err error) int {
	var apiErr *invitations.APIError
	var transportErr *invitations.TransportError
	var responseErr *invitations.ResponseError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.Attempts
	case errors.As(err, &transportErr):
		return transportErr.Attempts
	case errors.As(err, &responseErr):
		return responseErr.Attempts
	}
	return 0
}

// checkNoSecret: the key must appear in no error text, no printed form of the error value and
// no log line.
func checkNoSecret(t *testing.T, key string, err error, logs string) {
	t.Helper()
	if err != nil {
		for _, form := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			assert.NotContains(t, fmt.Sprintf(form, err), key, "the key in %s of the error", form)
		}
		var apiErr *invitations.APIError
		if errors.As(err, &apiErr) {
			assert.NotContains(t, string(apiErr.Body), key)
			assert.NotContains(t, fmt.Sprintf("%#v", apiErr.Errors), key)
		}
		var respErr *invitations.ResponseError
		if errors.As(err, &respErr) {
			assert.NotContains(t, string(respErr.Body), key)
		}
	}
	assert.NotContains(t, logs, key, "the key in a log line")
}

// TestConnectionRefused: nothing was sent, so every operation is retried (its backoff on the
// bubble's clock), then fails with a *TransportError that names the operation and does not claim
// the call may have taken effect.
func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ln := pipenet.Listen()
		require.NoError(t, ln.Close())
		const base = "http://refused.localhost/v1"
		client, err := invitations.New(testKey, invitations.WithBaseURL(base), invitations.WithHTTPClient(&http.Client{Transport: &http.Transport{DialContext: ln.DialContext}}))
		require.NoError(t, err)
		for _, op := range matrixOps {
			err := op.call(t.Context(), client, "inv_1")
			var transportErr *invitations.TransportError
			require.ErrorAs(t, err, &transportErr, op.name)
			assert.Equal(t, 1+invitations.DefaultRetries, transportErr.Attempts, "%s: refused connections are retried: nothing was sent", op.name)
			assert.False(t, transportErr.MaybeApplied, op.name)
			assert.NotErrorIs(t, err, invitations.ErrOutcomeUnknown, op.name)
			assert.True(t, strings.HasPrefix(err.Error(), "invitations: "+string(transportErr.Operation)+": "), err.Error())
			assert.NotContains(t, err.Error(), base, "the error leaves the URL out")
			checkNoSecret(t, testKey, err, "")
		}
	})
}
