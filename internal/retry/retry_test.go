package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/pacing"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// step is one scripted answer: a response (status, header, body) or an error.
type step struct {
	status int
	header http.Header
	body   string
	err    error
	// readErr breaks the body after its first half.
	readErr error
}

// script answers requests with its steps in turn and records every request body it saw, and
// when (tests run in a synctest bubble, so the gaps are the Doer's waits).
type script struct {
	mu     sync.Mutex
	steps  []step
	bodies []string
	at     []time.Time
}

// waits returns the gaps between the requests.
func (s *script) waits() []time.Duration {
	var out []time.Duration
	for i := 1; i < len(s.at); i++ {
		out = append(out, s.at[i].Sub(s.at[i-1]))
	}
	return out
}

func (s *script) Do(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b []byte
	if req.Body != nil {
		b, _ = io.ReadAll(req.Body)
	}
	s.bodies = append(s.bodies, string(b))
	s.at = append(s.at, time.Now())
	if len(s.steps) == 0 {
		panic("script: no step left")
	}
	st := s.steps[0]
	s.steps = s.steps[1:]
	if st.err != nil {
		return nil, st.err
	}
	h := st.header
	if h == nil {
		h = http.Header{}
	}
	var body io.Reader = strings.NewReader(st.body)
	if st.readErr != nil {
		body = io.MultiReader(strings.NewReader(st.body[:len(st.body)/2]), errReader{st.readErr})
	}
	return &http.Response{StatusCode: st.status, Header: h, Body: io.NopCloser(body)}, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

var (
	dialErr  = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	resetErr = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
)

// newDoer returns a Doer over s with a fixed jitter of one half.
func newDoer(s *script, p Policy) *Doer {
	return &Doer{Next: s, Policy: p, Jitter: func() float64 { return 0.5 }}
}

// got is what Do returned, its body read.
type got struct {
	StatusCode int
	Body       []byte
}

var policy = Policy{MaxRetries: 3, MaxWait: 30 * time.Second, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxBody: 1 << 10}

func send(t *testing.T, d *Doer, c *Call, method, body string) (got, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(With(t.Context(), c), method, "http://clerk.test/v1/invitations?query=ada%40example.com", rd)
	require.NoError(t, err)
	resp, err := d.Do(req)
	if err != nil {
		return got{}, err
	}
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return got{resp.StatusCode, b}, nil
}

func TestReadsAreRetriedAfterEveryTransientFailure(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []step{
			{err: resetErr},
			{status: 502, body: "<html>"},
			{status: 200, body: `{"data":`, readErr: io.ErrUnexpectedEOF},
			{status: 200, body: `{"data":[]}`},
		}}
		d := newDoer(s, policy)
		c := &Call{Op: "list"}
		resp, err := send(t, d, c, "GET", "")
		require.NoError(t, err)
		assert.Equal(t, `{"data":[]}`, string(resp.Body))
		assert.Equal(t, 4, c.Attempts)
		assert.False(t, c.MaybeApplied, "a read applies nothing")
		// Full jitter at 0.5 of 100ms, 200ms, 400ms.
		assert.Equal(t, []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}, s.waits())
	})
}

func TestRetryAfterIsHonouredAndCapped(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []step{
			{status: 429, header: http.Header{"Retry-After": {"7"}}},
			{status: 200, body: "{}"},
		}}
		d := newDoer(s, policy)
		d.Pacer = pacing.New(rules.Budget{}, nil)
		c := &Call{Op: "create", Write: true}
		resp, err := send(t, d, c, "POST", `{"email_address":"a@example.com"}`)
		require.NoError(t, err)
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, []time.Duration{7 * time.Second}, s.waits(), "the call waited out the Retry-After, once")
		assert.False(t, c.MaybeApplied, "a 429 is a refusal: the server did nothing")

		// With a pacer, later calls of the operation are held back until Retry-After has passed.
		s.steps = []step{{status: 429, header: http.Header{"Retry-After": {"3600"}}}, {status: 200, body: "{}"}}
		resp, err = send(t, d, &Call{Op: "create", Write: true}, "POST", `{}`)
		require.NoError(t, err)
		assert.Equal(t, 429, resp.StatusCode, "an hour is beyond MaxWait: the call ends")
		resp, err = send(t, d, &Call{Op: "create", Write: true}, "POST", `{}`)
		require.NoError(t, err)
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, time.Hour, s.waits()[2], "the next create waited in the pacer")

		// A Retry-After beyond MaxWait ends the call at once with the 429.
		s = &script{steps: []step{{status: 429, header: http.Header{"Retry-After": {"3600"}}, body: `{"errors":[]}`}}}
		d = newDoer(s, policy)
		resp, err = send(t, d, &Call{Op: "create", Write: true}, "POST", `{}`)
		require.NoError(t, err)
		assert.Equal(t, 429, resp.StatusCode)
	})
}

func TestWritesAreNotSentAgainAfterAnAmbiguousFailureUnlessSafe(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for _, failure := range []step{{err: resetErr}, {status: 502}, {status: 503}, {status: 504}, {status: 200, body: `{"id":`, readErr: io.ErrUnexpectedEOF}} {
			s := &script{steps: []step{failure, {status: 200, body: "{}"}}}
			d := newDoer(s, policy)
			c := &Call{Op: "create", Write: true}
			_, _ = send(t, d, c, "POST", `{"email_address":"a@example.com"}`)
			assert.Equal(t, 1, c.Attempts, "%+v: sent once", failure)
			assert.True(t, c.MaybeApplied, "%+v", failure)

			s = &script{steps: []step{failure, {status: 200, body: "{}"}}}
			d = newDoer(s, policy)
			c = &Call{Op: "create", Write: true, RetryAmbiguous: true}
			resp, err := send(t, d, c, "POST", `{"email_address":"a@example.com"}`)
			require.NoError(t, err)
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, 2, c.Attempts, "%+v: sent again when safe", failure)
			assert.True(t, c.MaybeApplied, "%+v: the first attempt may still have acted", failure)
		}
	})
}

func TestWritesAreRetriedWhenNothingWasSent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []step{{err: dialErr}, {err: &net.DNSError{Err: "no such host"}}, {status: 429}, {status: 200, body: "{}"}}}
		d := newDoer(s, policy)
		c := &Call{Op: "create", Write: true}
		resp, err := send(t, d, c, "POST", `{"email_address":"a@example.com"}`)
		require.NoError(t, err)
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, 4, c.Attempts)
		assert.False(t, c.MaybeApplied)
		// The body went out byte for byte the same every time.
		assert.Equal(t, []string{`{"email_address":"a@example.com"}`, `{"email_address":"a@example.com"}`, `{"email_address":"a@example.com"}`, `{"email_address":"a@example.com"}`}, s.bodies)
	})
}

func TestAttemptsAreBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []step{{status: 503}, {status: 503}, {status: 503}, {status: 503}}}
		d := newDoer(s, policy)
		c := &Call{Op: "list"}
		resp, err := send(t, d, c, "GET", "")
		require.NoError(t, err)
		assert.Equal(t, 503, resp.StatusCode, "the last answer is returned")
		assert.Equal(t, 4, c.Attempts)
		assert.Len(t, s.waits(), 3)

		s = &script{steps: []step{{err: resetErr}}}
		none := policy
		none.MaxRetries = 0
		d = newDoer(s, none)
		c = &Call{Op: "list"}
		_, err = send(t, d, c, "GET", "")
		assert.ErrorIs(t, err, syscall.ECONNRESET)
		assert.Equal(t, 1, c.Attempts, "0 retries disables them")
	})
}

func TestNonRetryableAnswersEndTheCall(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 401, 403, 404, 422, 500} {
		s := &script{steps: []step{{status: status, body: `{"errors":[]}`}}}
		d := newDoer(s, policy)
		c := &Call{Op: "revoke", Write: true, RetryAmbiguous: true}
		resp, err := send(t, d, c, "POST", "")
		require.NoError(t, err)
		assert.Equal(t, status, resp.StatusCode)
		assert.Equal(t, 1, c.Attempts, status)
		assert.False(t, c.MaybeApplied, status)
	}
}

func TestBodiesAreBounded(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", int(policy.MaxBody)+1)
	s := &script{steps: []step{{status: 200, body: big}}}
	d := newDoer(s, policy)
	c := &Call{Op: "create", Write: true, RetryAmbiguous: true}
	_, err := send(t, d, c, "POST", "{}")
	var tooLarge *BodyTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, 1, c.Attempts, "the server acted; sending again would not help")
	assert.True(t, c.MaybeApplied)

	s = &script{steps: []step{{status: 400, body: big}}}
	d = newDoer(s, policy)
	resp, err := send(t, d, &Call{Op: "create", Write: true}, "POST", "{}")
	require.NoError(t, err)
	assert.Len(t, resp.Body, int(policy.MaxBody), "an error answer keeps what fits")
}

func TestContextEndsTheWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []step{{status: 503}}}
		d := &Doer{Next: s, Policy: policy, Jitter: func() float64 { return 0.99 }}
		d.Policy.BaseDelay, d.Policy.MaxDelay, d.Policy.MaxWait = time.Hour, time.Hour, 2*time.Hour
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(With(ctx, &Call{Op: "list"}), "GET", "http://clerk.test/v1/invitations", nil)
		began := time.Now()
		_, err := d.Do(req)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 30*time.Millisecond, time.Since(began), "the backoff of up to an hour ended with the context")
	})
}

func TestServerClockSkewIsReported(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		when := time.Now().Add(time.Hour).Truncate(time.Second)
		s := &script{steps: []step{{status: 200, header: http.Header{"Date": {when.Format(http.TimeFormat)}}, body: "[]"}, {status: 200, body: "[]"}}}
		d := newDoer(s, policy)
		var skews []time.Duration
		d.Skew = func(skew time.Duration) { skews = append(skews, skew) }
		for range 2 {
			_, err := send(t, d, &Call{Op: "list"}, "GET", "")
			require.NoError(t, err)
		}
		assert.Equal(t, []time.Duration{when.Sub(time.Now())}, skews, "one Date header, one report")
	})
}

func TestLogsNeverHoldTheQueryOrBodies(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		s := &script{steps: []step{
			{err: &url.Error{Op: "Get", URL: "http://clerk.test/v1/invitations?query=ada%40example.com", Err: resetErr}},
			{status: 200, header: http.Header{"Clerk-Trace-Id": {"trace-1"}}, body: `{"email_address":"ada@example.com"}`},
		}}
		d := newDoer(s, policy)
		d.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		_, err := send(t, d, &Call{Op: "list"}, "GET", "")
		require.NoError(t, err)
		out := buf.String()
		assert.Contains(t, out, "op=list")
		assert.Contains(t, out, "attempt=2")
		assert.Contains(t, out, "status=200")
		assert.Contains(t, out, "trace_id=trace-1")
		assert.Contains(t, out, "retry_in=")
		assert.Contains(t, out, "connection reset")
		assert.NotContains(t, out, "ada", "neither the query string nor the body is logged")
		assert.NotContains(t, out, "clerk.test")
	})
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"7":                             7 * time.Second,
		" 7 ":                           7 * time.Second,
		"-5":                            0,
		"1.5":                           0,
		"soon":                          0,
		"9223372036":                    9223372036 * time.Second,
		"9223372037":                    time.Duration(math.MaxInt64),
		"99999999999999999999999999999": time.Duration(math.MaxInt64), // beyond int64: clamped, not 0
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	}
	for in, want := range cases {
		assert.Equal(t, want, ParseRetryAfter(in, now), "%q", in)
	}
}

func TestScrubError(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("wrapped: %w", &url.Error{Op: "Get", URL: "http://clerk.test/v1/invitations?query=ada%40example.com", Err: resetErr})
	assert.NotContains(t, ScrubError(err), "ada")
	assert.Contains(t, ScrubError(err), "connection reset")
	assert.Equal(t, "plain", ScrubError(errors.New("plain")))
}
