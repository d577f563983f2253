package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/internal/testkit"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// testConsole is a console of buffers: no terminal anywhere.
func testConsole(out, err io.Writer) console {
	return console{in: strings.NewReader(""), out: out, err: err}
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestContractAgainstTheEmbeddedServer(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"contract"}, env(nil), testConsole(&out, &errOut))
	assert.Equal(t, 0, code, out.String()+errOut.String())
	assert.Contains(t, out.String(), "contract: embedded target http://127.0.0.1:")
	assert.Regexp(t, `\n\d+ passed, 0 failed, \d+ skipped\n$`, out.String())
}

// TestContractAgainstServe is the live path end to end: a serve process's handler on loopback,
// the suite pointed at it with CLERK_API_URL and CLERK_SECRET_KEY as a user would.
func TestContractAgainstServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	var served testkit.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, ln, fakeclerk.New(fakeclerk.Options{SecretKey: "sk_test_servekey"}), defaultServeLimits, &served)
	}()

	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"contract"}, env(map[string]string{
		"CLERK_API_URL":    "http://" + ln.Addr().String() + "/v1",
		"CLERK_SECRET_KEY": "sk_test_servekey",
	}), testConsole(&out, &errOut))
	assert.Equal(t, 0, code, out.String()+errOut.String())
	assert.Contains(t, out.String(), "contract: live target http://"+ln.Addr().String()+"/v1")
	assert.Regexp(t, `\n\d+ passed, 0 failed, \d+ skipped\n$`, out.String())

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
	assert.Contains(t, served.String(), "serving the Clerk invitations API at http://"+ln.Addr().String()+"/v1\n")
	assert.Contains(t, served.String(), "secret key: sk_test_servekey\n")
	// Each SDK's base URL: Clerk's JavaScript SDK appends /v1 itself.
	assert.Contains(t, served.String(), `Clerk's Go SDK:    clerk.BackendConfig{URL: clerk.String("http://`+ln.Addr().String()+`/v1")}`)
	assert.Contains(t, served.String(), `Clerk's JS SDK:    createClerkClient({apiUrl: "http://`+ln.Addr().String()+`"})`)
	assert.True(t, strings.HasSuffix(served.String(), "stopped\n"))
}

// TestContractStopsBeforeAnyScenarioWhenItCannotRun: against a server that wants another key, or
// a port nothing listens on, or one that answers 403 or 5xx, the suite says so in one line and
// exits 4 (trouble), before any scenario: it never reports inferred facts refuted by a target it
// could not talk to. A target that answers, but not as Clerk does, exits 1.
func TestContractStopsBeforeAnyScenarioWhenItCannotRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, ln, fakeclerk.New(fakeclerk.Options{SecretKey: "sk_test_right"}), defaultServeLimits, &testkit.SyncBuffer{})
	}()
	defer func() { cancel(); <-done }()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	nobody := closed.Addr().String()
	require.NoError(t, closed.Close())

	answering := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/v1"
	}
	forbidden := answering(http.StatusForbidden, `{"errors":[{"code":"authorization_invalid","message":"no"}]}`)
	down := answering(http.StatusServiceUnavailable, `{"errors":[{"code":"service_unavailable","message":"down"}]}`)
	notClerk := answering(http.StatusOK, `{"hello":"world"}`)

	for target, tc := range map[string]struct {
		want string
		code int
	}{
		"http://" + ln.Addr().String() + "/v1": {"trouble reaching the target: http://" + ln.Addr().String() + "/v1 does not accept this run's calls (nothing was run): invitations: list: 401 unauthorized", exitTrouble},
		"http://" + nobody + "/v1":             {"trouble reaching the target: http://" + nobody + "/v1 cannot be reached (nothing was run)", exitTrouble},
		forbidden:                              {"trouble reaching the target: " + forbidden + " does not accept this run's calls", exitTrouble},
		down:                                   {"trouble reaching the target: " + down + " cannot be reached", exitTrouble},
		// An answer, but not Clerk's: that disagrees with openapi.yaml, it is no trouble.
		notClerk: {notClerk + " does not answer as Clerk does (nothing was run)", exitFailed},
	} {
		want := tc.want
		var out, errOut bytes.Buffer
		code := run(t.Context(), []string{"contract"}, env(map[string]string{"CLERK_API_URL": target, "CLERK_SECRET_KEY": "sk_test_wrong"}), testConsole(&out, &errOut))
		assert.Equal(t, tc.code, code, "%s: %s", target, errOut.String())
		assert.Empty(t, out.String(), "no scenario ran")
		assert.Equal(t, 1, strings.Count(errOut.String(), "\n"), "one line: %s", errOut.String())
		assert.Contains(t, errOut.String(), want)
		assert.NotContains(t, out.String()+errOut.String(), "sk_test_wrong", "the key never reaches the output")
	}
}

// TestContractExitStatusTellsTroubleFromDisagreement: failures that all met a 5xx exit 4; one
// answer that differs from openapi.yaml exits 1, whatever else went wrong.
func TestContractExitStatusTellsTroubleFromDisagreement(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		answer func(w http.ResponseWriter, r *http.Request) bool // true: answered instead of the fake
		want   int
	}{
		"bulk creates answer 503": {func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/invitations/bulk") {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return true
			}
			return false
		}, exitTrouble},
		"and a revoke answers 204": {func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/revoke") {
				w.WriteHeader(http.StatusNoContent)
				return true
			}
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/invitations/bulk") {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return true
			}
			return false
		}, exitFailed},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake := fakeclerk.New(fakeclerk.Options{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !tc.answer(w, r) {
					fake.Handler().ServeHTTP(w, r)
				}
			}))
			t.Cleanup(srv.Close)
			var out, errOut bytes.Buffer
			code := run(t.Context(), []string{"contract"}, env(map[string]string{"CLERK_API_URL": srv.URL + "/v1", "CLERK_SECRET_KEY": fake.SecretKey()}), testConsole(&out, &errOut))
			assert.Equal(t, tc.want, code, out.String()+errOut.String())
			assert.Contains(t, out.String(), "FAIL bulk create")
		})
	}
}

func TestServeCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var out testkit.SyncBuffer
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--rate-limits", "dev"}, env(nil), testConsole(&out, &errOut))
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "secret key: ") }, 5*time.Second, 10*time.Millisecond)
	assert.Regexp(t, regexp.MustCompile(`serving the Clerk invitations API at http://127\.0\.0\.1:\d+/v1\nsecret key: sk_test_[0-9A-Za-z]{32}\n`), out.String())
	cancel()
	assert.Equal(t, 0, <-done, errOut.String())
}

func TestServeWarnsOffLoopbackAndAppliesRateLimits(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var out testkit.SyncBuffer
	var errOut testkit.SyncBuffer
	done := make(chan int, 1)
	// 0.0.0.0 binds every interface of this machine; the test only talks to it over loopback.
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "0.0.0.0:0", "--secret-key", "sk_test_limits", "--rate-limits", "dev"}, env(nil), testConsole(&out, &errOut))
	}()
	re := regexp.MustCompile(`at http://.*:(\d+)/v1`)
	require.Eventually(t, func() bool { return re.MatchString(out.String()) }, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, errOut.String(), "warning: listening on")
	assert.Contains(t, errOut.String(), "which is not loopback")

	// Without retries, to see the 429 itself rather than the client waiting it out.
	c, err := invitations.New("sk_test_limits", invitations.WithBaseURL("http://127.0.0.1:"+re.FindStringSubmatch(out.String())[1]+"/v1"), invitations.WithRetries(0))
	require.NoError(t, err)
	// Clerk's development budget: 100 calls per 10 s, then 429 with Retry-After.
	for i := range 100 {
		_, err := c.List(t.Context(), invitations.ListParams{Limit: 1})
		require.NoError(t, err, i)
	}
	_, err = c.List(t.Context(), invitations.ListParams{Limit: 1})
	require.ErrorIs(t, err, invitations.ErrRateLimited)
	var apiErr *invitations.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Positive(t, apiErr.RetryAfter)
	cancel()
	assert.Equal(t, 0, <-done)
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "usage:"},
		{[]string{"frobnicate"}, nil, `unknown command "frobnicate"`},
		{[]string{"serve", "--rate-limits", "lots"}, nil, "--rate-limits must be none, dev or prod"},
		{[]string{"serve", "--secret-key", "pk_test_x"}, nil, "--secret-key"},
		{[]string{"serve", "--bogus"}, nil, "flag provided but not defined"},
		{[]string{"serve", "--max-conns", "0"}, nil, "--max-conns must be at least 1"},
		{[]string{"serve", "--max-invitations", "-5"}, nil, "--max-invitations and --max-conns must be at least 1"},
		{[]string{"contract"}, map[string]string{"CLERK_API_URL": "http://127.0.0.1:1/v1"}, "CLERK_SECRET_KEY is not"},
	}
	for _, tc := range cases {
		var out, errOut bytes.Buffer
		assert.Equal(t, 2, run(t.Context(), tc.args, env(tc.env), testConsole(&out, &errOut)), tc.args)
		assert.Contains(t, errOut.String(), tc.want, tc.args)
	}
	var out bytes.Buffer
	assert.Equal(t, 0, run(t.Context(), []string{"help"}, env(nil), testConsole(&out, &out)))
	assert.Contains(t, out.String(), "contract  run the contract suite")
}

// startServe runs serve with limits on a loopback port until the test ends.
func startServe(t *testing.T, limits serveLimits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, ln, fakeclerk.New(fakeclerk.Options{SecretKey: "sk_test_limits"}), limits, &testkit.SyncBuffer{})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// closedWithin reports whether the server closes conn within d (reading and discarding whatever
// it answers first).
func closedWithin(conn net.Conn, d time.Duration) bool {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var netErr net.Error
	return err == nil || !(errors.As(err, &netErr) && netErr.Timeout())
}

func TestServeDropsSlowAndIdleConnections(t *testing.T) {
	t.Parallel()
	limits := defaultServeLimits
	limits.Read, limits.Idle, limits.ReadHeader = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
	addr := startServe(t, limits)

	// A body trickled in a byte at a time is cut off by the read timeout.
	trickle, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer trickle.Close()
	_, err = io.WriteString(trickle, "POST /v1/invitations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_limits\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	require.NoError(t, err)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := trickle.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	assert.True(t, closedWithin(trickle, 5*time.Second), "a trickled body holds the connection forever")

	// Headers that never end are cut off too.
	slow, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer slow.Close()
	_, err = io.WriteString(slow, "GET /v1/invitations HTTP/1.1\r\nHost: x\r\n")
	require.NoError(t, err)
	assert.True(t, closedWithin(slow, 5*time.Second), "unfinished headers hold the connection forever")

	// An idle keep-alive connection is closed after the idle timeout.
	idle, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer idle.Close()
	_, err = io.WriteString(idle, "GET /v1/invitations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_limits\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.True(t, closedWithin(idle, 5*time.Second), "an idle keep-alive connection is held forever")
}

func TestServeCapsConcurrentConnections(t *testing.T) {
	t.Parallel()
	limits := defaultServeLimits
	limits.MaxConns = 2
	addr := startServe(t, limits)
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		held = append(held, c)
	}
	// A third client connects (the kernel queues it) but is not served while both slots are held.
	third, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer third.Close()
	_, err = io.WriteString(third, "GET /v1/invitations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_limits\r\n\r\n")
	require.NoError(t, err)
	_ = third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = third.Read(make([]byte, 1))
	var netErr net.Error
	require.ErrorAs(t, err, &netErr)
	assert.True(t, netErr.Timeout(), "served although both slots were taken")

	held[0].Close()
	_ = third.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(third), nil)
	require.NoError(t, err, "served once a slot is free")
	assert.Equal(t, 200, resp.StatusCode)
	resp.Body.Close()
	held[1].Close()
}

// A live run against serve, recorded, then replayed by fidelity: the same server answers the
// same, so nothing differs; a transcript with one answer changed is reported and fails.
func TestContractRecordThenFidelity(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	fake := fakeclerk.New(fakeclerk.Options{SecretKey: "sk_test_recordkey"})
	fake.RegisterUser("known.user@example.com")
	go func() { done <- serve(ctx, ln, fake, defaultServeLimits, io.Discard) }()
	dir := t.TempDir()
	contractRun := func(path string, extra map[string]string) string {
		vars := map[string]string{
			"CLERK_API_URL":             "http://" + ln.Addr().String() + "/v1",
			"CLERK_SECRET_KEY":          "sk_test_recordkey",
			"CLERK_CONTRACT_USER_EMAIL": "known.user@example.com",
			"CONTRACT_RECORD":           path,
		}
		for k, v := range extra {
			vars[k] = v
		}
		var out, errOut bytes.Buffer
		code := run(t.Context(), []string{"contract"}, env(vars), testConsole(&out, &errOut))
		require.Equal(t, 0, code, out.String()+errOut.String())
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.NotContains(t, string(raw), "sk_test_recordkey")
		assert.Contains(t, out.String(), "unchecked  revoking an expired invitation", "a live target cannot expire one")
		assert.Contains(t, out.String(), "held       inviting a user's address", "CLERK_CONTRACT_USER_EMAIL names the user")
		return string(raw)
	}
	// The user's address is not the run's own: redacted by default, kept when asked.
	path := filepath.Join(dir, "live.jsonl")
	raw := contractRun(path, nil)
	assert.NotContains(t, raw, "known.user@example.com")
	assert.Contains(t, contractRun(filepath.Join(dir, "unredacted.jsonl"), map[string]string{"CONTRACT_RECORD_UNREDACTED": "1"}), "known.user@example.com")
	cancel()
	require.NoError(t, <-done)

	var out, errOut bytes.Buffer

	code := run(t.Context(), []string{"fidelity", path}, env(nil), testConsole(&out, &errOut))
	assert.Equal(t, 0, code, out.String()+errOut.String())
	assert.Regexp(t, `\n\d+ exchanges replayed against the embedded Clerk: 0 differences, 0 skipped\n$`, out.String())

	changed := strings.Replace(raw, `"code\":\"duplicate_record\"`, `"code\":\"duplicate_invitation\"`, 1)
	require.NotEqual(t, raw, changed)
	require.NoError(t, os.WriteFile(path, []byte(changed), 0o600))
	out.Reset()
	code = run(t.Context(), []string{"fidelity", path}, env(nil), testConsole(&out, &errOut))
	assert.Equal(t, 1, code)
	assert.Contains(t, out.String(), "DIFFERS #")
	assert.Contains(t, out.String(), "error codes: recorded duplicate_invitation, embedded duplicate_record")

	errOut.Reset()
	assert.Equal(t, exitUsage, run(t.Context(), []string{"fidelity"}, env(nil), testConsole(&out, &errOut)))
	assert.Contains(t, errOut.String(), "clerk-invitations fidelity: give one transcript file")
}

// TestServeAnswersOversizedRequestsWholly: a request line or headers over the limit get a
// complete answer with Clerk's error body, not a reset connection, and an over-long key is
// refused at start with a message that says so.
func TestServeAnswersOversizedRequestsWholly(t *testing.T) {
	t.Parallel()
	addr := startServe(t, defaultServeLimits)
	for want, request := range map[int]string{
		http.StatusRequestURITooLong: "GET /v1/invitations?query=" + strings.Repeat("q", 100<<10) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_limits\r\n\r\n",
		http.StatusRequestHeaderFieldsTooLarge: "GET /v1/invitations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_limits\r\nX-Padding: " +
			strings.Repeat("x", 100<<10) + "\r\n\r\n",
	} {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		_, err = io.WriteString(conn, request)
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err, "a complete answer, not a reset")
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, want, resp.StatusCode)
		assert.Contains(t, string(body), `"errors":[{"code":"request_`, "Clerk's error body")
		conn.Close()
	}

	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"serve", "--secret-key", "sk_test_" + strings.Repeat("k", 100<<10)}, env(nil), testConsole(&out, &errOut))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut.String(), "--secret-key is 102408 bytes long; Clerk's keys are about 50, and at most 512 are accepted")
}

// runServe starts serve with args and returns its base address (http://ADDR) and a stop
// function returning its exit status.
func runServe(t *testing.T, args ...string) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var out testkit.SyncBuffer
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), env(nil), testConsole(&out, &errOut))
	}()
	addr := regexp.MustCompile(`at (http://[0-9.:]+)/v1`)
	require.Eventually(t, func() bool { return addr.MatchString(out.String()) }, 5*time.Second, 10*time.Millisecond, errOut.String())
	return addr.FindStringSubmatch(out.String())[1], func() int { cancel(); return <-done }
}

// call sends method path with body and key to base, and returns the status and body.
func call(t *testing.T, base, key, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeKeepsItsStateAndCanTurnTheControlPlaneOff(t *testing.T) {
	t.Parallel()
	const key = "sk_test_state"
	state := filepath.Join(t.TempDir(), "state.json")
	base, stop := runServe(t, "--secret-key", key, "--state", state)
	status, body := call(t, base, key, "POST", "/v1/invitations", `{"email_address":"kept@example.com","notify":false}`)
	require.Equal(t, 200, status, body)
	status, _ = call(t, base, key, "POST", "/_control/users", `{"email_address":"user@example.com"}`)
	require.Equal(t, 200, status)
	require.Equal(t, 0, stop())

	base, stop = runServe(t, "--secret-key", key, "--state", state, "--control=false")
	_, body = call(t, base, key, "GET", "/v1/invitations", "")
	assert.Contains(t, body, "kept@example.com", "the state came back")
	status, body = call(t, base, key, "POST", "/v1/invitations", `{"email_address":"user@example.com"}`)
	assert.Equal(t, 422, status, "and its users: %s", body)
	status, _ = call(t, base, key, "GET", "/_control/state", "")
	assert.Equal(t, 404, status, "--control=false")
	require.Equal(t, 0, stop())

	// A file that is not a saved state stops serve and is left as it was: one that does not
	// parse, an empty object, a report of another command.
	for _, content := range []string{`{"invitations": "not a list"}`, `{}`, `{"entries":[],"counts":{},"dry_run":false,"complete":true,"calls":0}`} {
		bad := writeFile(t, "state.json", content)
		var out, errOut bytes.Buffer
		code := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--state", bad}, env(nil), testConsole(&out, &errOut))
		assert.Equal(t, exitUsage, code, content)
		assert.Contains(t, errOut.String(), "is not a state this server saved", content)
		data, err := os.ReadFile(bad)
		require.NoError(t, err)
		assert.Equal(t, content, string(data))
	}
}

// TestServeStopsWithASpareConnectionOpen: a client's spare connection, open but never used, does
// not turn a stop into a failure (net/http counts it idle only after 5 s).
func TestServeStopsWithASpareConnectionOpen(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	limits := defaultServeLimits
	limits.Grace = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, ln, fakeclerk.New(fakeclerk.Options{SecretKey: "sk_test_spare"}), limits, &testkit.SyncBuffer{})
	}()
	spare, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer spare.Close()
	time.Sleep(50 * time.Millisecond) // accepted by now
	cancel()
	assert.NoError(t, <-done)
}
