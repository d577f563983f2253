//go:build compatjs

package compat

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
)

// TestJavaScriptSDK runs js/sdk.test.mjs, which drives Clerk's JavaScript backend SDK
// (@clerk/backend, pinned in js/package.json) against an embedded Clerk, and js/control.test.mjs,
// which drives the embedded Clerk's control plane from Node beside it, against a server of its own
// (it resets and seeds the state). It needs Node.js and `npm ci` in js/; `make compat-js` does
// both. Every answer the servers make is checked against openapi.yaml as in any invitationstest
// server.
func TestJavaScriptSDK(t *testing.T) {
	for _, file := range []string{"sdk.test.mjs", "control.test.mjs"} {
		t.Run(file, func(t *testing.T) {
			srv := invitationstest.NewServer(t, invitationstest.WithValidation())
			const registered = "js-registered@example.com"
			srv.RegisterUser(registered)
			cmd := exec.CommandContext(t.Context(), "node", "--test", "--test-reporter=spec", file)
			cmd.Dir = "js"
			cmd.Env = append(os.Environ(),
				// The JavaScript SDK appends /v1 to apiUrl itself: it wants the address without it.
				"CLERK_API_URL="+strings.TrimSuffix(srv.URL, "/v1"),
				"CLERK_SECRET_KEY="+srv.SecretKey,
				"COMPAT_REGISTERED_ADDRESS="+registered,
			)
			out, err := cmd.CombinedOutput()
			t.Logf("node --test %s:\n%s", file, out)
			require.NoError(t, err, "Clerk's JavaScript SDK, or the control plane, disagrees with the embedded Clerk")
		})
	}
}
