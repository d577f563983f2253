//go:build soak

package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/internal/testkit"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// TestSoak runs a mixed workload at 64-way concurrency against a serve process's handler for
// SOAK_DURATION (default 30s), then checks: no 5xx, no invitation lost or duplicated, and a live
// heap that levelled off. Each worker deletes its oldest invitations beyond 50, so the store,
// and with it the heap, should stay flat. `make soak` runs it; it prints its figures.
func TestSoak(t *testing.T) {
	duration := 30 * time.Second
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err)
		duration = d
	}
	const workers, keep = 64, 50

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, ln, fakeclerk.New(fakeclerk.Options{SecretKey: "sk_test_soak"}), defaultServeLimits, &testkit.SyncBuffer{})
	}()
	defer func() { stop(); require.NoError(t, <-done) }()
	client, err := invitations.New("sk_test_soak", invitations.WithBaseURL("http://"+ln.Addr().String()+"/v1"))
	require.NoError(t, err)

	type stats struct {
		latencies map[string][]time.Duration
		errors    map[string]int
	}
	var (
		mu       sync.Mutex
		all      = stats{latencies: map[string][]time.Duration{}, errors: map[string]int{}}
		failures []string
		alive    = map[string]string{} // id -> address, across workers
	)
	record := func(op string, took time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		all.latencies[op] = append(all.latencies[op], took)
		if err == nil {
			return
		}
		all.errors[op]++
		var apiErr *invitations.APIError
		if errors.As(err, &apiErr) && apiErr.StatusCode >= 500 {
			failures = append(failures, fmt.Sprintf("%s: %v", op, err))
		}
		if !errors.As(err, &apiErr) {
			failures = append(failures, fmt.Sprintf("%s: %v", op, err))
		}
	}

	// Live heap, sampled once a second after a collection.
	var heap []uint64
	sampleDone := make(chan struct{})
	sampleCtx, stopSampling := context.WithCancel(ctx)
	go func() {
		defer close(sampleDone)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-sampleCtx.Done():
				return
			case <-tick.C:
				runtime.GC()
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				mu.Lock()
				heap = append(heap, m.HeapAlloc)
				mu.Unlock()
			}
		}
	}()

	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 42))
			var mine []string // ids, oldest first
			n := 0
			for time.Now().Before(deadline) {
				began := time.Now()
				op := r.IntN(10)
				if len(mine) > keep {
					op = 9 // at the bound: delete the oldest
				}
				switch {
				case op < 3:
					n++
					addr := fmt.Sprintf("w%02d-%06d@example.com", w, n)
					inv, err := client.Create(ctx, invitations.CreateParams{EmailAddress: addr, Notify: invitations.Ptr(false)})
					record("create", time.Since(began), err)
					if err == nil {
						mine = append(mine, inv.ID)
						mu.Lock()
						alive[inv.ID] = addr
						mu.Unlock()
					}
				case op < 4:
					var items []invitations.CreateParams
					for range 3 {
						n++
						items = append(items, invitations.CreateParams{EmailAddress: fmt.Sprintf("w%02d-%06d@example.com", w, n), Notify: invitations.Ptr(false)})
					}
					got, err := client.BulkCreate(ctx, items)
					record("bulk", time.Since(began), err)
					mu.Lock()
					for _, inv := range got {
						mine = append(mine, inv.ID)
						alive[inv.ID] = inv.EmailAddress
					}
					mu.Unlock()
				case op < 7:
					_, err := client.List(ctx, invitations.ListParams{Query: fmt.Sprintf("w%02d-", w), Limit: 100})
					record("list", time.Since(began), err)
				case op < 8 && len(mine) > 0:
					_, err := client.Revoke(ctx, mine[r.IntN(len(mine))])
					if errors.Is(err, invitations.ErrAlreadyRevoked) {
						err = nil
					}
					record("revoke", time.Since(began), err)
				case op >= 8 && len(mine) > 0:
					id := mine[0]
					err := client.Delete(ctx, id)
					record("delete", time.Since(began), err)
					if err == nil {
						mine = mine[1:]
						mu.Lock()
						delete(alive, id)
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	stopSampling()
	<-sampleDone

	// Figures.
	total := 0
	var lines []string
	for _, op := range []string{"create", "bulk", "list", "revoke", "delete"} {
		l := all.latencies[op]
		slices.Sort(l)
		total += len(l)
		if len(l) == 0 {
			continue
		}
		lines = append(lines, fmt.Sprintf("  %-6s %7d calls  %6.0f/s  p50 %-10v p99 %-10v errors %d", op, len(l),
			float64(len(l))/duration.Seconds(), l[len(l)/2].Round(time.Microsecond), l[len(l)*99/100].Round(time.Microsecond), all.errors[op]))
	}
	mib := func(b uint64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }
	var samples []string
	for _, h := range heap {
		samples = append(samples, mib(h))
	}
	t.Logf("soak: %d workers for %v: %d calls (%.0f/s), %d invitations held at the end, %d goroutines\n%s\n  live heap (MiB, once a second): %s",
		workers, duration, total, float64(total)/duration.Seconds(), len(alive), runtime.NumGoroutine(), strings.Join(lines, "\n"), strings.Join(samples, " "))

	assert.Empty(t, failures, "no 5xx and no failed call")
	// Nothing lost, nothing duplicated: the server holds exactly what the workers hold.
	every := []invitations.Status{invitations.StatusPending, invitations.StatusRevoked, invitations.StatusAccepted, invitations.StatusExpired}
	held := map[string]string{}
	for inv, err := range client.All(ctx, invitations.ListParams{Statuses: every, Limit: invitations.MaxLimit}) {
		require.NoError(t, err)
		assert.Empty(t, held[inv.ID], "%s listed twice", inv.ID)
		held[inv.ID] = inv.EmailAddress
	}
	assert.Equal(t, alive, held, "the server holds exactly the invitations the calls reported and did not delete")
	// The heap levelled off: the second half's peak is within reach of the first half's.
	if len(heap) >= 4 {
		half := len(heap) / 2
		first, second := slices.Max(heap[:half]), slices.Max(heap[half:])
		assert.LessOrEqual(t, float64(second), 1.25*float64(first)+2<<20, "the live heap kept growing: %s", strings.Join(samples, " "))
	}
}
