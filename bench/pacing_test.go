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
// whose create budgets are Clerk's (100 single creates and 25 bulk calls), per second instead of
// per hour, with the client paced to the same budgets. At 350 addresses a window the run needs
// at least 5 s (lifecycle.LeastTime): x-minimum is the run's time over that. Any 429 fails the
// benchmark.
func BenchmarkInviteManyPacing(b *testing.B) {
	const addresses = 2000
	budgets := invitations.Budgets{Create: invitations.Budget{Calls: 100, Per: time.Second}, Bulk: invitations.Budget{Calls: 25, Per: time.Second}}
	minimum := lifecycle.LeastTime(budgets, 0, addresses)
	var ratio float64
	for i := 0; b.Loop(); i++ {
		limits := rules.Budgets{Create: rules.Budget(budgets.Create), Bulk: rules.Budget(budgets.Bulk)}
		fake := fakeclerk.New(fakeclerk.Options{SecretKey: benchKey, RateLimits: &limits})
		var limited atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fake.Handler().ServeHTTP(statusCounter{w, &limited}, r)
		}))
		c, err := invitations.New(benchKey, invitations.WithBaseURL(srv.URL+"/v1"),
			invitations.WithPacing(budgets))
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
