package pacing

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a clock that moves only when something sleeps on it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// callTimes makes n calls of op and returns when each went.
func callTimes(t *testing.T, l *Limiter, c *fakeClock, op string, n int) []time.Duration {
	t.Helper()
	var out []time.Duration
	for range n {
		require.NoError(t, l.Wait(context.Background(), op))
		out = append(out, c.Now().Sub(t0))
	}
	return out
}

func TestBudgetIsNeverExceededInAnyWindow(t *testing.T) {
	t.Parallel()
	c := &fakeClock{now: t0}
	l := New(Budget{}, map[string]Budget{"create": {Calls: 3, Per: time.Minute}}).WithClock(c.Now, c.Sleep)
	got := callTimes(t, l, c, "create", 7)
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
	assert.Equal(t, []time.Duration{2 * time.Minute}, callTimes(t, l, c, "list", 1))
}

func TestOverallBudgetCountsEveryOperation(t *testing.T) {
	t.Parallel()
	c := &fakeClock{now: t0}
	l := New(Budget{Calls: 2, Per: 10 * time.Second}, nil).WithClock(c.Now, c.Sleep)
	require.NoError(t, l.Wait(context.Background(), "create"))
	require.NoError(t, l.Wait(context.Background(), "list"))
	require.NoError(t, l.Wait(context.Background(), "revoke"))
	assert.Equal(t, 10*time.Second, c.Now().Sub(t0))
}

func TestBlockHoldsAnOperationBack(t *testing.T) {
	t.Parallel()
	c := &fakeClock{now: t0}
	l := New(Budget{}, nil).WithClock(c.Now, c.Sleep)
	l.Block("bulk", t0.Add(42*time.Second))
	l.Block("bulk", t0.Add(5*time.Second)) // an earlier block does not shorten it
	require.NoError(t, l.Wait(context.Background(), "list"))
	assert.Equal(t, t0, c.Now(), "other operations go at once")
	require.NoError(t, l.Wait(context.Background(), "bulk"))
	assert.Equal(t, t0.Add(42*time.Second), c.Now())
}

func TestWaitHonoursTheContext(t *testing.T) {
	t.Parallel()
	l := New(Budget{Calls: 1, Per: time.Hour}, nil)
	require.NoError(t, l.Wait(context.Background(), "create"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := l.Wait(ctx, "create")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	// The refused call was not counted: a new window lets exactly one more through.
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	assert.ErrorIs(t, l.Wait(cancelled, "list"), context.Canceled)
}

func TestConcurrentWaitersShareTheBudget(t *testing.T) {
	t.Parallel()
	l := New(Budget{Calls: 50, Per: time.Hour}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var mu sync.Mutex
	went := 0
	var wg sync.WaitGroup
	for range 80 {
		wg.Go(func() {
			if l.Wait(ctx, "list") == nil {
				mu.Lock()
				went++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 50, went, "exactly the budget went; the rest gave up with their context")
}

func TestZeroBudgetsAllowEverything(t *testing.T) {
	t.Parallel()
	l := New(Budget{}, map[string]Budget{"create": {}})
	for range 1000 {
		require.NoError(t, l.Wait(context.Background(), "create"))
	}
}

func TestReadyWaitsWithoutCounting(t *testing.T) {
	t.Parallel()
	c := &fakeClock{now: t0}
	l := New(Budget{}, map[string]Budget{"bulk": {Calls: 1, Per: time.Minute}}).WithClock(c.Now, c.Sleep)
	require.NoError(t, l.Ready(context.Background(), "bulk"))
	require.NoError(t, l.Ready(context.Background(), "bulk"))
	assert.Equal(t, t0, c.Now(), "Ready counts nothing")
	require.NoError(t, l.Wait(context.Background(), "bulk"))
	require.NoError(t, l.Ready(context.Background(), "bulk"))
	assert.Equal(t, t0.Add(time.Minute), c.Now(), "Ready waits for the budget like Wait")
}

// A call counts from when its answer came once its ticket is done: the server may have had it
// that late, and a later call that travels faster must not share its window.
func TestDoneCountsTheCallFromItsEnd(t *testing.T) {
	t.Parallel()
	c := &fakeClock{now: t0}
	l := New(Budget{Calls: 2, Per: 10 * time.Second}, map[string]Budget{"bulk": {Calls: 2, Per: 10 * time.Second}}).WithClock(c.Now, c.Sleep)
	ctx := context.Background()
	slow, err := l.Take(ctx, "bulk")
	require.NoError(t, err)
	fast, err := l.Take(ctx, "bulk")
	require.NoError(t, err)
	fast.Done() // answered at once
	require.NoError(t, c.Sleep(ctx, 3*time.Second))
	slow.Done() // answered 3 s after it was sent

	// The third call replaces the fast one (counted from 0 s); the fourth waits for the slow
	// one, counted from 3 s, in both the per-operation and the overall budget.
	assert.Equal(t, []time.Duration{10 * time.Second, 13 * time.Second}, callTimes(t, l, c, "bulk", 2))

	// A ticket whose call has left the logs, and the zero ticket, change nothing.
	slow.Done()
	Ticket{}.Done()
	assert.Equal(t, []time.Duration{20 * time.Second}, callTimes(t, l, c, "bulk", 1))
}

func TestDoneNeverMovesACallEarlier(t *testing.T) {
	t.Parallel()
	c := &fakeClock{now: t0.Add(time.Hour)}
	l := New(Budget{}, map[string]Budget{"create": {Calls: 1, Per: time.Minute}}).WithClock(c.Now, c.Sleep)
	tk, err := l.Take(context.Background(), "create")
	require.NoError(t, err)
	c.mu.Lock()
	c.now = t0 // the wall clock stepped back
	c.mu.Unlock()
	tk.Done()
	assert.Equal(t, []time.Duration{time.Hour + time.Minute}, callTimes(t, l, c, "create", 1))
}
