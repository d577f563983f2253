package invitations

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
)

// TestTheGeneratedParserReadsA429WithADate: openapi.yaml describes Retry-After as a string, so
// that the generated Parse…Response reads the date a proxy may send instead of failing (and
// the error is built from the parsed answer, not from the fallback that reads the body again).
func TestTheGeneratedParserReadsA429WithADate(t *testing.T) {
	t.Parallel()
	body := `{"errors":[{"code":"too_many_requests","message":"m","long_message":"Slow down"}]}`
	resp := &http.Response{StatusCode: 429, Body: io.NopCloser(strings.NewReader(body)),
		Header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"Wed, 21 Oct 2026 07:28:00 GMT"}}}
	parsed, err := generated.ParseListInvitationsResponse(resp)
	require.NoError(t, err)
	assert.Equal(t, body, string(parsed.GetBody()))
	assert.Equal(t, "Wed, 21 Oct 2026 07:28:00 GMT", parsed.Headers429.RetryAfter)
}
