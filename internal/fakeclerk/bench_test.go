package fakeclerk_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
)

// BenchmarkListLargePage measures the embedded server answering a 500-item page, sorted by
// email, out of 5,000 stored invitations (handler only, no network, no validator).
func BenchmarkListLargePage(b *testing.B) {
	fake := fakeclerk.New(fakeclerk.Options{SecretKey: key})
	h := fake.Handler()
	for i := range 500 {
		var items []string
		for j := range 10 {
			items = append(items, fmt.Sprintf(`{"email_address":"p%d-%d@example.com","notify":false}`, i, j))
		}
		req := httptest.NewRequest("POST", "/v1/invitations/bulk", strings.NewReader("["+strings.Join(items, ",")+"]"))
		req.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("seeding: %d %s", w.Code, w.Body)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/v1/invitations?paginated=true&limit=500&offset=1000&order_by=email_address&status=pending", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkCreate measures one create against a server already holding 1,000 invitations.
func BenchmarkCreate(b *testing.B) {
	fake := fakeclerk.New(fakeclerk.Options{SecretKey: key})
	h := fake.Handler()
	n := 0
	create := func() int {
		n++
		req := httptest.NewRequest("POST", "/v1/invitations", strings.NewReader(fmt.Sprintf(`{"email_address":"c%d@example.com","notify":false}`, n)))
		req.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	for range 1000 {
		create()
	}
	b.ReportAllocs()
	for b.Loop() {
		if code := create(); code != 200 {
			b.Fatalf("create: %d", code)
		}
	}
}
