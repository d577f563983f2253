package pacing

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// Every test runs in a synctest bubble: time moves only while every goroutine waits, so the
// waits are exact and instant.

// callTimes makes n calls of op and returns when each went, after t0.
func callTimes(t *testing.T, l *Limiter, t0 time.Time, op string, n int) []time.Duration {
	t.Helper()
	var out []time.Duration
	for range n {
		require.NoError(t, wait(t.Context(), l, op))
		out = append(out, time.Since(t0))
	}
	return out
}

func TestBudgetIsNeverExceededInAnyWindow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		l := New(rules.Budget{}, map[string]rules.Budget{"create": {Calls: 3, Per: time.Minute}})
		got := callTimes(t, l, t0, "create", 7)
		assert.Equal(t, []time.Duration{0, 0, 0, time.Minute, time.Minute, time.Minute, 2 * time.Minute}, got)
		// Any window of a minute holds at most 3 calls.
		for i := range got {
			n := 0
			for _, g := range got {
				if g >= got[i] && g < got[i]+time.Minute {
					n++
				}
			}
			assert.LessOrEqual(t, n, 3)
		}
		// Other operations are not held back by the create budget.
		assert.Equal(t, []time.Duration{2 * time.Minute}, callTimes(t, l, t0, "list", 1))
	})
}

func TestOverallBudgetCountsEveryOperation(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		l := New(rules.Budget{Calls: 2, Per: 10 * time.Second}, nil)
		require.NoError(t, wait(t.Context(), l, "create"))
		require.NoError(t, wait(t.Context(), l, "list"))
		require.NoError(t, wait(t.Context(), l, "revoke"))
		assert.Equal(t, 10*time.Second, time.Since(t0))
	})
}

func TestBlockHoldsAnOperationBack(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		l := New(rules.Budget{}, nil)
		l.Block("bulk", t0.Add(42*time.Second))
		l.Block("bulk", t0.Add(5*time.Second)) // an earlier block does not shorten it
		require.NoError(t, wait(t.Context(), l, "list"))
		assert.Equal(t, time.Duration(0), time.Since(t0), "other operations go at once")
		require.NoError(t, wait(t.Context(), l, "bulk"))
		assert.Equal(t, 42*time.Second, time.Since(t0))
	})
}

func TestWaitHonoursTheContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := New(rules.Budget{Calls: 1, Per: time.Hour}, nil)
		require.NoError(t, wait(t.Context(), l, "create"))
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		err := wait(ctx, l, "create")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		// The refused call was not counted: a new window lets exactly one more through.
		cancelled, cancel2 := context.WithCancel(t.Context())
		cancel2()
		assert.ErrorIs(t, wait(cancelled, l, "list"), context.Canceled)
	})
}

func TestConcurrentWaitersShareTheBudget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := New(rules.Budget{Calls: 50, Per: time.Hour}, nil)
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour-time.Nanosecond)
		defer cancel()
		var mu sync.Mutex
		went := 0
		var wg sync.WaitGroup
		for range 80 {
			wg.Go(func() {
				if wait(ctx, l, "list") == nil {
					mu.Lock()
					went++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		assert.Equal(t, 50, went, "exactly the budget went; the rest gave up with their context")
	})
}

func TestZeroBudgetsAllowEverything(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := New(rules.Budget{}, map[string]rules.Budget{"create": {}})
		for range 1000 {
			require.NoError(t, wait(t.Context(), l, "create"))
		}
	})
}

func TestReadyWaitsWithoutCounting(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		l := New(rules.Budget{}, map[string]rules.Budget{"bulk": {Calls: 1, Per: time.Minute}})
		require.NoError(t, l.Ready(t.Context(), "bulk"))
		require.NoError(t, l.Ready(t.Context(), "bulk"))
		assert.Equal(t, time.Duration(0), time.Since(t0), "Ready counts nothing")
		require.NoError(t, wait(t.Context(), l, "bulk"))
		require.NoError(t, l.Ready(t.Context(), "bulk"))
		assert.Equal(t, time.Minute, time.Since(t0), "Ready waits for the budget like Wait")
	})
}

// A call counts from when its answer came once its ticket is done: the server may have had it
// that late, and a later call that travels faster must not share its window.
func TestDoneCountsTheCallFromItsEnd(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		l := New(rules.Budget{Calls: 2, Per: 10 * time.Second}, map[string]rules.Budget{"bulk": {Calls: 2, Per: 10 * time.Second}})
		ctx := t.Context()
		slow, err := l.Take(ctx, "bulk")
		require.NoError(t, err)
		fast, err := l.Take(ctx, "bulk")
		require.NoError(t, err)
		fast.Done() // answered at once
		time.Sleep(3 * time.Second)
		slow.Done() // answered 3 s after it was sent

		// The third call replaces the fast one (counted from 0 s); the fourth waits for the slow
		// one, counted from 3 s, in both the per-operation and the overall budget.
		assert.Equal(t, []time.Duration{10 * time.Second, 13 * time.Second}, callTimes(t, l, t0, "bulk", 2))

		// A ticket whose call has left the logs, and the zero ticket, change nothing.
		slow.Done()
		Ticket{}.Done()
		assert.Equal(t, []time.Duration{20 * time.Second}, callTimes(t, l, t0, "bulk", 1))
	})
}

// wait is a call of op counted from when it may go, as by Take with its Ticket done at once.
func wait(ctx context.Context, l *Limiter, op string) error {
	ticket, err := l.Take(ctx, op)
	ticket.Done()
	return err
}
