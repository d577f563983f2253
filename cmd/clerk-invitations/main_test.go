package main

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// syncBuffer is a bytes.Buffer safe to read while serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestContractAgainstTheEmbeddedServer(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"contract"}, env(nil), &out, &errOut)
	assert.Equal(t, 0, code, out.String()+errOut.String())
	assert.Contains(t, out.String(), "contract: embedded target http://127.0.0.1:")
	assert.Regexp(t, `\n\d+ passed, 0 failed\n$`, out.String())
}

// TestContractAgainstServe is the live path end to end: a serve process's handler on loopback,
// the suite pointed at it with CLERK_API_URL and CLERK_SECRET_KEY as a user would.
func TestContractAgainstServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	var served syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, ln, fakeclerk.New(fakeclerk.Options{SecretKey: "sk_test_servekey"}), &served)
	}()

	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"contract"}, env(map[string]string{
		"CLERK_API_URL":    "http://" + ln.Addr().String() + "/v1",
		"CLERK_SECRET_KEY": "sk_test_servekey",
	}), &out, &errOut)
	assert.Equal(t, 0, code, out.String()+errOut.String())
	assert.Contains(t, out.String(), "contract: live target http://"+ln.Addr().String()+"/v1")
	assert.Regexp(t, `\n\d+ passed, 0 failed\n$`, out.String())

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

func TestContractFailsWithAWrongKey(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, ln, fakeclerk.New(fakeclerk.Options{SecretKey: "sk_test_right"}), &syncBuffer{})
	}()
	defer func() { cancel(); <-done }()

	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"contract"}, env(map[string]string{
		"CLERK_API_URL": "http://" + ln.Addr().String() + "/v1", "CLERK_SECRET_KEY": "sk_test_wrong",
	}), &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Regexp(t, `\n\d+ passed, [1-9]\d* failed\n$`, out.String())
	assert.NotContains(t, out.String(), "sk_test_wrong", "the key never reaches the output")
}

func TestServeCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var out syncBuffer
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--rate-limits", "dev"}, env(nil), &out, &errOut)
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "secret key: ") }, 5*time.Second, 10*time.Millisecond)
	assert.Regexp(t, regexp.MustCompile(`serving the Clerk invitations API at http://127\.0\.0\.1:\d+/v1\nsecret key: sk_test_[0-9A-Za-z]{32}\n`), out.String())
	cancel()
	assert.Equal(t, 0, <-done, errOut.String())
}

func TestServeWarnsOffLoopbackAndAppliesRateLimits(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var out syncBuffer
	var errOut syncBuffer
	done := make(chan int, 1)
	// 0.0.0.0 binds every interface of this machine; the test only talks to it over loopback.
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "0.0.0.0:0", "--secret-key", "sk_test_limits", "--rate-limits", "dev"}, env(nil), &out, &errOut)
	}()
	re := regexp.MustCompile(`at http://.*:(\d+)/v1`)
	require.Eventually(t, func() bool { return re.MatchString(out.String()) }, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, errOut.String(), "warning: listening on")
	assert.Contains(t, errOut.String(), "which is not loopback")

	c, err := invitations.New("sk_test_limits", invitations.WithBaseURL("http://127.0.0.1:"+re.FindStringSubmatch(out.String())[1]+"/v1"))
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
		{[]string{"contract"}, map[string]string{"CLERK_API_URL": "http://127.0.0.1:1/v1"}, "CLERK_SECRET_KEY is not"},
	}
	for _, tc := range cases {
		var out, errOut bytes.Buffer
		assert.Equal(t, 2, run(t.Context(), tc.args, env(tc.env), &out, &errOut), tc.args)
		assert.Contains(t, errOut.String(), tc.want, tc.args)
	}
	var out bytes.Buffer
	assert.Equal(t, 0, run(t.Context(), []string{"help"}, env(nil), &out, &out))
	assert.Contains(t, out.String(), "clerk-invitations contract")
}
