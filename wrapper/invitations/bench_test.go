package invitations_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// BenchmarkListFullPage measures fetching and decoding the largest page Clerk serves (500
// invitations) from a local server, without the spec validator.
func BenchmarkListFullPage(b *testing.B) {
	items := make([]string, 500)
	for i := range items {
		items[i] = invitationJSON(fmt.Sprintf("inv_%d", i), fmt.Sprintf("p%d@example.com", i), "pending")
	}
	body := `{"data":[` + strings.Join(items, ",") + `],"total_count":500}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	client, err := invitations.New(testKey, invitations.WithBaseURL(srv.URL+"/v1"), invitations.WithHTTPClient(srv.Client()))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		page, err := client.List(b.Context(), invitations.ListParams{Limit: 500})
		if err != nil || len(page.Invitations) != 500 {
			b.Fatalf("page: %v, %v", page, err)
		}
	}
}
