package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

// callCounter counts the requests it carries.
type callCounter struct {
	next  http.RoundTripper
	calls atomic.Int64
}

func (c *callCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.calls.Add(1)
	return c.next.RoundTrip(req)
}

// BenchmarkWatch watches 100,000 pending invitations over loopback: each iteration, 100 of them
// are accepted and a poll reports them. It reports the calls per poll (the goal: at most
// ceil(pending/500) list calls plus one per changed invitation, and the one call for
// invitations created and gone between polls), the live heap the Watcher holds per tracked
// invitation (after a collection, outside the timed part), and the time of a poll.
func BenchmarkWatch(b *testing.B) {
	const pending, changed = 100_000, 100
	fake := fakeclerk.New(fakeclerk.Options{SecretKey: benchKey})
	seedHandler(b, fake.Handler(), benchKey, pending+changed*(b.N+1))
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	counter := &callCounter{next: &http.Transport{}}
	defer counter.next.(*http.Transport).CloseIdleConnections()
	c, err := invitations.New(benchKey, invitations.WithBaseURL(srv.URL+"/v1"), invitations.WithHTTPClient(&http.Client{Transport: counter}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	before := liveHeap()
	w, err := lifecycle.New(c).NewWatcher(nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.Poll(ctx); err != nil {
		b.Fatal(err)
	}
	tracked := w.Tracked()
	held := float64(liveHeap()) - float64(before)
	runtime.KeepAlive(w)
	var ids []string
	for _, d := range fake.State().Invitations {
		ids = append(ids, d.Invitation.ID)
	}
	calls := int64(0)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		for _, id := range ids[i*changed : (i+1)*changed] {
			if err := fake.Accept(id); err != nil {
				b.Fatal(err)
			}
		}
		counter.calls.Store(0)
		b.StartTimer()
		changes, err := w.Poll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if len(changes) != changed {
			b.Fatalf("%d changes, want %d", len(changes), changed)
		}
		calls = max(calls, counter.calls.Load())
		b.StartTimer()
	}
	b.ReportMetric(held/float64(tracked), "B/tracked")
	b.ReportMetric(float64(calls), "calls/poll")
	b.ReportMetric(float64(tracked), "tracked")
}
