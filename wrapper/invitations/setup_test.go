package invitations_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/specvalidate"
	"github.com/clerk-invitations/clerk-invitations-go/internal/specvalidatetest"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

const testKey = "sk_test_c2VjcmV0LWtleS1mb3ItdGVzdHM"

// captured is one request as the test server saw it.
type captured struct {
	Method   string
	Path     string // escaped path, as sent
	RawQuery string
	Header   http.Header
	Body     []byte
}

// fixture is a client wired to an httptest server whose API is mounted under /v1, with every
// exchange checked against openapi.yaml.
type fixture struct {
	client   *invitations.Client
	mux      *http.ServeMux
	server   *httptest.Server
	findings *specvalidate.Recorder

	mu       sync.Mutex
	requests []captured
}

func setup(t *testing.T, opts ...invitations.Option) *fixture {
	t.Helper()
	f := &fixture{mux: http.NewServeMux()}
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, captured{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), body})
		f.mu.Unlock()
		f.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.server.Close)
	base := f.server.URL + "/v1"
	transport, rec := specvalidatetest.Transport(t, base, f.server.Client().Transport)
	f.findings = rec
	all := append([]invitations.Option{
		invitations.WithBaseURL(base),
		invitations.WithHTTPClient(&http.Client{Transport: transport}),
	}, opts...)
	client, err := invitations.New(testKey, all...)
	require.NoError(t, err)
	f.client = client
	return f
}

// handle answers pattern (relative to /v1) with status, headers and body.
func (f *fixture) handle(pattern string, status int, header map[string]string, body string) {
	method, path, _ := strings.Cut(pattern, " ")
	f.mux.HandleFunc(method+" /v1"+path, func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		if _, ok := header["Content-Type"]; !ok && body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

func (f *fixture) sent() []captured {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]captured(nil), f.requests...)
}

// only returns the single request the server received.
func (f *fixture) only(t *testing.T) captured {
	t.Helper()
	reqs := f.sent()
	require.Len(t, reqs, 1, "requests received")
	return reqs[0]
}

// invitationJSON is a valid Invitation body.
func invitationJSON(id, email, status string) string {
	b, _ := json.Marshal(map[string]any{
		"object":          "invitation",
		"id":              id,
		"email_address":   email,
		"public_metadata": map[string]any{},
		"revoked":         status == "revoked",
		"status":          status,
		"url":             "https://accounts.example.com/v1/tickets/accept?ticket=" + id,
		"expires_at":      1767225600000,
		"created_at":      1764547200000,
		"updated_at":      1764547200500,
	})
	return string(b)
}

func errorJSON(status int, code, long string) string {
	return fmt.Sprintf(`{"errors":[{"message":%q,"long_message":%q,"code":%q}],"clerk_trace_id":"trace-%d"}`,
		http.StatusText(status), long, code, status)
}
