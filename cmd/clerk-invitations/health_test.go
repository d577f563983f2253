package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/testkit"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	addr := startServe(t, defaultServeLimits)
	health := func(addr string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(t.Context(), []string{"health", "--addr", addr}, env(nil), testConsole(&out, &errOut))
		return code, out.String(), errOut.String()
	}

	code, out, _ := health(addr)
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "ok\n", out)

	// /healthz needs no key; every other path is still Clerk's, which wants one.
	resp, err := http.Get("http://" + addr + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Post("http://"+addr+"/healthz", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "only GET and HEAD are the health check's; a POST is Clerk's to answer")
	resp, err = http.Get("http://" + addr + "/v1/invitations")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	nobody := closed.Addr().String()
	require.NoError(t, closed.Close())
	code, _, errOut := health(nobody)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "clerk-invitations health: ")

	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}))
	t.Cleanup(sick.Close)
	code, _, errOut = health(strings.TrimPrefix(sick.URL, "http://"))
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "answered 503 Service Unavailable")

	code, _, errOut = health("127.0.0.1:4010 extra")
	assert.Equal(t, exitUsage, code, errOut)
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out, errOut bytes.Buffer
		assert.Equal(t, exitOK, run(t.Context(), args, env(nil), testConsole(&out, &errOut)), args)
		// A test binary has no release version: it reports "devel".
		assert.Regexp(t, `^clerk-invitations devel[^\n]* \(`+runtime.GOOS+"/"+runtime.GOARCH+`, go[0-9.]+[^)]*\)\n$`, out.String(), args)
	}
	var out, errOut bytes.Buffer
	assert.Equal(t, exitUsage, run(t.Context(), []string{"version", "extra"}, env(nil), testConsole(&out, &errOut)))
}

// TestServeTakesTheKeyFromTheEnvironment: CLERK_SECRET_KEY sets the key clients must send, and
// serve never prints its value; --secret-key, when given, wins.
func TestServeTakesTheKeyFromTheEnvironment(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		args      []string
		wantKey   string
		printsKey bool
	}{
		"from the environment": {nil, "sk_test_fromenv", false},
		"the flag wins":        {[]string{"--secret-key", "sk_test_fromflag"}, "sk_test_fromflag", true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			var out, errOut testkit.SyncBuffer
			done := make(chan int, 1)
			args := append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)
			go func() {
				done <- run(ctx, args, env(map[string]string{"CLERK_SECRET_KEY": "sk_test_fromenv"}), testConsole(&out, &errOut))
			}()
			require.Eventually(t, func() bool { return strings.Contains(out.String(), "control plane:") }, 5*time.Second, 10*time.Millisecond)
			addr := regexp.MustCompile(`http://([0-9.:]+)/v1`).FindStringSubmatch(out.String())[1]
			req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/invitations", nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+tc.wantKey)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			if tc.printsKey {
				assert.Contains(t, out.String(), "secret key: "+tc.wantKey+"\n")
			} else {
				assert.NotContains(t, out.String()+errOut.String(), "sk_test_fromenv")
				assert.Contains(t, out.String(), "secret key: $CLERK_SECRET_KEY\n")
				assert.Contains(t, out.String(), "CLERK_SECRET_KEY=$CLERK_SECRET_KEY make contract")
			}
			cancel()
			assert.Equal(t, exitOK, <-done, errOut.String())
		})
	}
}
