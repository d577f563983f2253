package fakeclerk_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/internal/specvalidate"
)

// FuzzBadInputNeverA500 sends arbitrary bodies and queries to every operation: the server must
// answer each with a status below 500 (bad input is the client's fault), in Clerk's error shape
// and within openapi.yaml, and never panic. Whatever it accepted, it must be able to list.
func FuzzBadInputNeverA500(f *testing.F) {
	seeds := []string{
		``, `{}`, `[]`, `null`, `"x"`, `{"email_address":"a@example.com"}`, `[{"email_address":"a@example.com"}]`,
		`{"email_address":"a@example.com","expires_in_days":1e400}`, `{"email_address":"a@example.com","expires_in_days":-0}`,
		`{"email_address":"a@example.com","public_metadata":{"a":[1,{"b":null}]}}`, `[null]`, `[[]]`, `{"email_address":"\u0000@x.y"}`,
		`{"email_address":"a@example.com","template_slug":null,"notify":null}`, `{"a":1}{"b":2}`, "\xff\xfe",
		`{"email_address":"a@example.com","public_metadata":{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}`,
		`{"email_address":"a@example.com","redirect_url":"javascript:x"}`, `[{"email_address":"a@example.com","public_metadata":null}]`,
	}
	for _, s := range seeds {
		f.Add(s, "limit=5&status=pending")
	}
	f.Add(`{}`, "limit=99999999999999999999&offset=-0&status=")
	f.Add(`{}`, "order_by=%2B&paginated=1&query=%00")
	v, err := specvalidate.New("/v1", specvalidate.Strict)
	if err != nil {
		f.Fatal(err)
	}
	rec := &specvalidate.Recorder{}
	fake := fakeclerk.New(fakeclerk.Options{SecretKey: key, Inner: func(h http.Handler) http.Handler {
		return v.Middleware(h, rec.Report)
	}})
	h := fake.Handler()
	f.Fuzz(func(t *testing.T, body, query string) {
		vals, err := url.ParseQuery(query)
		if err != nil {
			vals = url.Values{"query": {query}}
		}
		query = vals.Encode()
		for _, target := range []struct{ method, path string }{
			{"POST", "/v1/invitations"}, {"POST", "/v1/invitations/bulk"}, {"GET", "/v1/invitations?" + query},
			{"POST", "/v1/invitations/inv_x/revoke"}, {"DELETE", "/v1/invitations/inv_x"},
			{"GET", "/v1/invitations?paginated=true&limit=500&status=pending&status=revoked&status=accepted&status=expired"},
		} {
			req := httptest.NewRequest(target.method, target.path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code >= 500 {
				b, _ := io.ReadAll(w.Body)
				t.Fatalf("%s %s with body %q: %d %s", target.method, target.path, body, w.Code, b)
			}
			if w.Code != http.StatusOK && !strings.Contains(w.Body.String(), `"errors"`) {
				t.Fatalf("%s %s: %d without Clerk's error body: %s", target.method, target.path, w.Code, w.Body)
			}
			for _, finding := range rec.Take() {
				if finding.Kind == specvalidate.ResponseViolation {
					t.Fatalf("answer breaks openapi.yaml: %s", finding)
				}
			}
		}
	})
}
