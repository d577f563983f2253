package invitations_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
)

// TestExactlyOnce sends many concurrent creates and bulk creates while the server carries out
// a large share of them and then loses the answer (a dropped connection, a truncated body, a
// proxy's 502). Afterwards every address must have exactly one invitation, and every call must
// have reported the truth: success, with the invitation the server holds. It runs in a synctest
// bubble over in-memory connections, so the retries' backoff takes no real time.
func TestExactlyOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork())
		client := srv.Client
		const singles, bulks, perBulk = 200, 30, 5

		lost := []invitationstest.Fault{
			{Commit: true, Drop: true},
			{Commit: true, Truncate: true},
			{Commit: true, Status: 502, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<h1>502</h1>"},
		}
		for i := range singles / 2 {
			srv.FailNext(invitations.OpCreate, 1, lost[i%len(lost)])
		}
		for i := range bulks / 2 {
			srv.FailNext(invitations.OpBulkCreate, 1, lost[i%len(lost)])
		}

		type job struct {
			items  []invitations.CreateParams
			single bool
		}
		var jobs []job
		for i := range singles {
			p := invitations.CreateParams{EmailAddress: fmt.Sprintf("s%03d@example.com", i), Notify: invitations.Ptr(false)}
			if i%5 == 0 {
				p.IgnoreExisting = invitations.Ptr(true) // no blind retry for these: lookup only
			}
			jobs = append(jobs, job{items: []invitations.CreateParams{p}, single: true})
		}
		for b := range bulks {
			var items []invitations.CreateParams
			for i := range perBulk {
				items = append(items, invitations.CreateParams{EmailAddress: fmt.Sprintf("b%02d-%d@example.com", b, i), Notify: invitations.Ptr(false)})
			}
			if b%5 == 0 {
				items[0].IgnoreExisting = invitations.Ptr(true)
			}
			jobs = append(jobs, job{items: items})
		}
		rand.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })

		var mu sync.Mutex
		reported := map[string]string{} // address -> id the call returned
		var failures []error
		work := make(chan job)
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for j := range work {
					var got []invitations.Invitation
					var err error
					if j.single {
						var inv *invitations.Invitation
						if inv, err = client.Create(t.Context(), j.items[0]); err == nil {
							got = []invitations.Invitation{*inv}
						}
					} else {
						got, err = client.BulkCreate(t.Context(), j.items)
					}
					mu.Lock()
					if err != nil {
						failures = append(failures, fmt.Errorf("%s: %w", j.items[0].EmailAddress, err))
					}
					for i, inv := range got {
						if !strings.EqualFold(inv.EmailAddress, j.items[i].EmailAddress) {
							failures = append(failures, fmt.Errorf("asked for %s, got %s", j.items[i].EmailAddress, inv.EmailAddress))
						}
						reported[strings.ToLower(inv.EmailAddress)] = inv.ID
					}
					mu.Unlock()
				}
			})
		}
		for _, j := range jobs {
			work <- j
		}
		close(work)
		wg.Wait()

		require.Empty(t, failures, "every call was carried out, so every call must report success")
		total := singles + bulks*perBulk
		assert.Equal(t, total, srv.Len(), "exactly one invitation per address")
		held := map[string]string{}
		for inv, err := range client.All(t.Context(), invitations.ListParams{Limit: invitations.MaxLimit}) {
			require.NoError(t, err)
			addr := strings.ToLower(inv.EmailAddress)
			assert.Empty(t, held[addr], "%s invited twice", addr)
			held[addr] = inv.ID
		}
		assert.Len(t, held, total)
		assert.Equal(t, held, reported, "each call returned the invitation the server holds")
	})
}

// TestMixedOperationsUnderConcurrency runs every operation from many goroutines at once against
// one server (the race detector watching both sides) and checks the server's invariants
// afterwards: at most one pending invitation per address, and exactly the invitations that
// calls reported created and not deleted.
func TestMixedOperationsUnderConcurrency(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	client := srv.Client
	ctx := t.Context()
	var (
		mu      sync.Mutex
		live    = map[string]bool{} // ids created and not deleted
		created atomic.Int64
	)
	addr := func(r *rand.Rand) string { return fmt.Sprintf("m%02d@example.com", r.IntN(40)) }
	pick := func(r *rand.Rand) string {
		mu.Lock()
		defer mu.Unlock()
		for id := range live {
			if r.IntN(3) == 0 {
				return id
			}
		}
		return "inv_none"
	}
	var wg sync.WaitGroup
	var unexpected []error
	for g := range 32 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for range 40 {
				var err error
				switch r.IntN(5) {
				case 0:
					var inv *invitations.Invitation
					if inv, err = client.Create(ctx, invitations.CreateParams{EmailAddress: addr(r), Notify: invitations.Ptr(false)}); err == nil {
						mu.Lock()
						live[inv.ID] = true
						mu.Unlock()
						created.Add(1)
					}
				case 1:
					var got []invitations.Invitation
					if got, err = client.BulkCreate(ctx, []invitations.CreateParams{{EmailAddress: addr(r)}, {EmailAddress: addr(r)}}); err == nil {
						mu.Lock()
						for _, inv := range got {
							live[inv.ID] = true
						}
						mu.Unlock()
						created.Add(int64(len(got)))
					}
				case 2:
					_, err = client.List(ctx, invitations.ListParams{Query: "example.com", Limit: 50})
				case 3:
					_, err = client.Revoke(ctx, pick(r))
				case 4:
					id := pick(r)
					if err = client.Delete(ctx, id); err == nil {
						mu.Lock()
						delete(live, id)
						mu.Unlock()
					}
				}
				switch {
				case err == nil, errors.Is(err, invitations.ErrDuplicate), errors.Is(err, invitations.ErrNotFound),
					errors.Is(err, invitations.ErrAlreadyRevoked), errors.Is(err, invitations.ErrAlreadyAccepted):
				default:
					var apiErr *invitations.APIError
					if errors.As(err, &apiErr) && apiErr.Code() == "invitation_already_expired" {
						continue
					}
					mu.Lock()
					unexpected = append(unexpected, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	require.Empty(t, unexpected)
	assert.Positive(t, created.Load())
	assert.Equal(t, len(live), srv.Len(), "the server holds exactly what was created and not deleted")
	pending := map[string]int{}
	every := []invitations.Status{invitations.StatusPending, invitations.StatusRevoked, invitations.StatusAccepted, invitations.StatusExpired}
	n := 0
	for inv, err := range client.All(context.Background(), invitations.ListParams{Statuses: every, Limit: invitations.MaxLimit}) {
		require.NoError(t, err)
		n++
		assert.True(t, live[inv.ID], "%s is listed but was deleted or never reported", inv.ID)
		if inv.Status == invitations.StatusPending {
			pending[strings.ToLower(inv.EmailAddress)]++
		}
	}
	assert.Equal(t, len(live), n)
	for a, count := range pending {
		assert.Equal(t, 1, count, "%s has %d pending invitations", a, count)
	}
}
