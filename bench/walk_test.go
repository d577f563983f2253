package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// BenchmarkAll walks every stored invitation with Client.All over loopback. It reports
// invitations per second and live-MiB: the live heap halfway through a walk (after a forced
// collection, outside the timed part) less the live heap before it, the stored invitations
// being in both. A walk that kept what it had read would grow it with the number of
// invitations; one that holds a page at a time does not.
func BenchmarkAll(b *testing.B) {
	for _, n := range []int{20_000, 100_000} {
		b.Run(fmt.Sprintf("invitations=%d", n), func(b *testing.B) {
			fake := fakeclerk.New(fakeclerk.Options{SecretKey: benchKey})
			seedHandler(b, fake.Handler(), benchKey, n)
			srv := httptest.NewServer(fake.Handler())
			defer srv.Close()
			hc := &http.Client{Transport: &http.Transport{}}
			defer hc.CloseIdleConnections()
			c, err := invitations.New(benchKey, invitations.WithBaseURL(srv.URL+"/v1"), invitations.WithHTTPClient(hc))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			before := liveHeap()
			var peak uint64
			b.ResetTimer()
			for b.Loop() {
				count := 0
				for inv, err := range c.All(ctx, invitations.ListParams{}) {
					if err != nil {
						b.Fatal(err)
					}
					if inv.Status != invitations.StatusPending || inv.ID == "" {
						b.Fatalf("walked %+v", inv)
					}
					count++
					if count == n/2 {
						b.StopTimer()
						peak = max(peak, liveHeap())
						b.StartTimer()
					}
				}
				if count != n {
					b.Fatalf("walked %d of %d", count, n)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "invitations/s")
			b.ReportMetric((float64(peak)-float64(before))/(1<<20), "live-MiB")
			b.ReportMetric(0, "ns/op")
		})
	}
}
