package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

// statusCounter counts the server's 429 answers.
type statusCounter struct {
	http.ResponseWriter
	limited *atomic.Int64
}

func (w statusCounter) WriteHeader(code int) {
	if code == http.StatusTooManyRequests {
		w.limited.Add(1)
	}
	w.ResponseWriter.WriteHeader(code)
}

// BenchmarkInviteManyPacing invites 2,000 addresses with InviteMany against an embedded Clerk
// whose bulk budget is Clerk's 25 calls, per second instead of per hour, with the client paced
// to the same budget. 200 bulk calls at 25 per window need at least 7 windows: x-minimum is
// the run's time over those 7 seconds. Any 429 fails the benchmark.
func BenchmarkInviteManyPacing(b *testing.B) {
	const (
		addresses = 2000
		calls     = 25
		window    = time.Second
	)
	minimum := time.Duration((addresses/invitations.MaxBulkItems+calls-1)/calls-1) * window
	var ratio float64
	for i := 0; b.Loop(); i++ {
		limits := rules.Budgets{Bulk: rules.Budget{Calls: calls, Per: window}}
		fake := fakeclerk.New(fakeclerk.Options{SecretKey: benchKey, RateLimits: &limits})
		var limited atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fake.Handler().ServeHTTP(statusCounter{w, &limited}, r)
		}))
		c, err := invitations.New(benchKey, invitations.WithBaseURL(srv.URL+"/v1"),
			invitations.WithPacing(invitations.Budgets{Bulk: invitations.Budget{Calls: calls, Per: window}}))
		if err != nil {
			b.Fatal(err)
		}
		items := make([]invitations.CreateParams, addresses)
		for j := range items {
			items[j] = invitations.CreateParams{EmailAddress: fmt.Sprintf("run%d-%d@example.com", i, j), Notify: invitations.Ptr(false)}
		}
		began := time.Now()
		report, err := lifecycle.New(c).InviteMany(context.Background(), items, lifecycle.InviteOptions{})
		took := time.Since(began)
		srv.Close()
		switch {
		case err != nil:
			b.Fatal(err)
		case report.Counts[lifecycle.Created] != addresses || !report.Complete:
			b.Fatalf("created %d of %d: %v", report.Counts[lifecycle.Created], addresses, report.Counts)
		case limited.Load() > 0:
			b.Fatalf("the server answered 429 %d times", limited.Load())
		}
		ratio = max(ratio, took.Seconds()/minimum.Seconds())
	}
	b.ReportMetric(ratio, "x-minimum")
}
