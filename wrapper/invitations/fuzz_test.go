package invitations_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/clerk-invitations/clerk-invitations-go/internal/specvalidate"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// FuzzErrorResponses answers a list with arbitrary error statuses, Retry-After values and
// bodies: the client (without retries) must return an *APIError carrying the status and the
// exact body, the key alone redacted, with a one-line Error() free of the key, and never panic. The responses are off-spec on purpose;
// they still pass through the validator, whose findings are drained.
func FuzzErrorResponses(f *testing.F) {
	f.Add(400, "3", `{"errors":[{"code":"duplicate_record","message":"m","long_message":"l"}]}`)
	f.Add(429, "Wed, 21 Oct 2015 07:28:00 GMT", `{"errors":[]}`)
	f.Add(502, "-1", "<html>\n</html>")
	f.Add(500, "99999999999999999999", `{"errors":[{"code":5}]}`)
	f.Add(404, "", `{"errors":[{"long_message":"`+testKey+`\n"}],"clerk_trace_id":"`+testKey+`"}`)
	var status, retry, body = 0, "", ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", retry)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	v, err := specvalidate.New(srv.URL+"/v1", specvalidate.Strict)
	if err != nil {
		f.Fatal(err)
	}
	rec := &specvalidate.Recorder{}
	client, err := invitations.New(testKey, invitations.WithBaseURL(srv.URL+"/v1"),
		invitations.WithHTTPClient(&http.Client{Transport: &specvalidate.Transport{Validator: v, Report: rec.Report}}),
		invitations.WithRetries(0))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s int, r, b string) {
		status, retry, body = 400+(abs(s)%200), strings.Map(headerSafe, r), b
		_, err := client.List(t.Context(), invitations.ListParams{})
		rec.Take()
		var apiErr *invitations.APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("got %v, want *APIError", err)
		}
		if want := strings.ReplaceAll(body, testKey, "[redacted]"); apiErr.StatusCode != status || string(apiErr.Body) != want {
			t.Fatalf("status %d body %q, want %d %q", apiErr.StatusCode, apiErr.Body, status, want)
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\n\r") || strings.Contains(msg, testKey) || !strings.HasPrefix(msg, "invitations: list: "+strconv.Itoa(status)) {
			t.Fatalf("bad Error(): %q", msg)
		}
		if apiErr.RetryAfter < 0 {
			t.Fatalf("negative RetryAfter %v", apiErr.RetryAfter)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -(n + 1)
	}
	return n
}

// headerSafe keeps a fuzzed Retry-After value a legal header value.
func headerSafe(r rune) rune {
	if r < 0x20 || r > 0x7e {
		return -1
	}
	return r
}

// decodeObject returns s decoded as a JSON object, if it is one.
func decodeObject(s string) (map[string]any, bool) {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}
