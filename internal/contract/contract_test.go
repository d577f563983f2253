package contract_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/contract"
	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
	"github.com/clerk-invitations/clerk-invitations-go/internal/specvalidatetest"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// start runs an embedded server whose own answers are checked against openapi.yaml (injected
// faults sit outside that check, so tests can still break the protocol on purpose).
func start(t *testing.T, opts ...func(*fakeclerk.Options)) (*fakeclerk.Server, string) {
	fake, base, _ := startCounting(t, opts...)
	return fake, base
}

// calls counts the requests a server received, by operation.
type calls struct {
	mu sync.Mutex
	n  map[string]int // "POST /invitations" -> count
}

func (c *calls) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

func (c *calls) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	sum := 0
	for _, n := range c.n {
		sum += n
	}
	return sum
}

// startCounting is start, also counting every request by method and path pattern.
func startCounting(t *testing.T, opts ...func(*fakeclerk.Options)) (*fakeclerk.Server, string, *calls) {
	t.Helper()
	o := fakeclerk.Options{Inner: specvalidatetest.ServerAnswers(t)}
	for _, opt := range opts {
		opt(&o)
	}
	fake := fakeclerk.New(o)
	c := &calls{n: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/v1")
		if path != "/invitations" && path != "/invitations/bulk" {
			path = regexp.MustCompile(`^/invitations/[^/]+`).ReplaceAllString(path, "/invitations/{id}")
		}
		c.mu.Lock()
		c.n[r.Method+" "+path]++
		c.mu.Unlock()
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return fake, srv.URL + "/v1", c
}

func pending(t *testing.T, base, key string) int {
	t.Helper()
	c, err := invitations.New(key, invitations.WithBaseURL(base))
	require.NoError(t, err)
	page, err := c.List(t.Context(), invitations.ListParams{Statuses: []invitations.Status{invitations.StatusPending}})
	require.NoError(t, err)
	return page.TotalCount
}

func TestSuitePassesAgainstTheEmbeddedServer(t *testing.T) {
	t.Parallel()
	for _, live := range []bool{false, true} {
		fake, base, calls := startCounting(t)
		var out bytes.Buffer
		sum, err := contract.Run(t.Context(), contract.Target{BaseURL: base, SecretKey: fake.SecretKey(), Live: live}, &out)
		require.NoError(t, err)
		assert.Zero(t, sum.Failed, out.String())
		assert.Greater(t, sum.Passed, 10)
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		assert.Regexp(t, `^\d+ passed, 0 failed, \d+ skipped$`, lines[len(lines)-1])
		assert.Greater(t, calls.count("POST /invitations"), 15, "the scenarios really created invitations")
		assert.Zero(t, fake.Len(), "cleanup deleted everything the run created")
	}
}

func TestSuiteFitsClerksDevelopmentRateLimits(t *testing.T) {
	t.Parallel()
	limits := rules.DevelopmentBudgets()
	fake, base, calls := startCounting(t, func(o *fakeclerk.Options) {
		o.RateLimits = &limits
		o.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	})
	fake.RegisterUser("contract-user@example.com")
	var out bytes.Buffer
	// Every scenario runs, those needing a user and an expiry too: the most calls a run makes.
	sum, err := contract.Run(t.Context(), contract.Target{BaseURL: base, SecretKey: fake.SecretKey(),
		ExistingUser: "contract-user@example.com", Expire: fake.Expire}, &out)
	require.NoError(t, err)
	assert.Zero(t, sum.Failed, "with the clock stopped, every call falls in one 10 s window:\n%s", out.String())
	assert.Zero(t, sum.Skipped)
	// The README states these numbers; keep them in step.
	assert.Equal(t, 29, calls.count("POST /invitations"), "create calls")
	assert.Equal(t, 4, calls.count("POST /invitations/bulk"), "bulk create calls")
	assert.LessOrEqual(t, calls.total(), 92, "calls in all")
}

func TestSuiteFailsAndStillCleansUp(t *testing.T) {
	t.Parallel()
	fake, base := start(t)
	// Break the server: the next two revokes answer 500 (two scenarios meet them), the first bulk
	// call a 503 HTML page, and the next three deletes 500 (the delete scenario meets one, the
	// cleanup has to try again past the other two).
	boom := fakeclerk.Fault{Status: 500, Header: http.Header{"Content-Type": {"application/json"}}, Body: `{"errors":[{"code":"internal_clerk_error","message":"x","long_message":"boom"}]}`}
	fake.InjectFault(fakeclerk.OpRevoke, 2, boom)
	fake.InjectFault(fakeclerk.OpBulk, 1, fakeclerk.Fault{Status: 503, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<h1>down</h1>"})
	fake.InjectFault(fakeclerk.OpDelete, 3, boom)
	var out bytes.Buffer
	sum, err := contract.Run(t.Context(), contract.Target{BaseURL: base, SecretKey: fake.SecretKey()}, &out)
	require.NoError(t, err)
	assert.Positive(t, sum.Failed, out.String())
	assert.Contains(t, out.String(), "FAIL bulk create keeps order")
	assert.Contains(t, out.String(), "503 service unavailable")
	assert.Regexp(t, `\n\d+ passed, [1-9]\d* failed, \d+ skipped\n$`, out.String())
	assert.Contains(t, out.String(), "FAIL delete any status")
	assert.Contains(t, out.String(), "PASS cleanup")
	assert.Zero(t, pending(t, base, fake.SecretKey()), "cleanup ran although scenarios failed:\n%s", out.String())
	assert.Zero(t, fake.Len(), "cleanup deleted everything the run created:\n%s", out.String())
	assert.False(t, sum.Disagreed(), "every failure met a 5xx before its check:\n%s", out.String())
}

func TestSuiteFlagsAnOffSpecAnswer(t *testing.T) {
	t.Parallel()
	fake, base := start(t)
	// A 200 with a body that is not an invitation breaks openapi.yaml.
	fake.InjectFault(fakeclerk.OpCreate, 1, fakeclerk.Fault{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: `{"id":"inv_1"}`})
	var out bytes.Buffer
	sum, err := contract.Run(t.Context(), contract.Target{BaseURL: base, SecretKey: fake.SecretKey()}, &out)
	require.NoError(t, err)
	require.Positive(t, sum.Failed)
	assert.Contains(t, out.String(), "openapi.yaml: response violation: POST /invitations -> 200")
	assert.True(t, sum.Disagreed(), "a checked answer differed")
}

func TestLiveModeReportsDriftWithoutFailing(t *testing.T) {
	t.Parallel()
	fake, base := start(t)
	// A service that adds a field the document lacks, on every list answer.
	drifting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		fake.Handler().ServeHTTP(rec, r)
		body := rec.Body.String()
		if r.Method == http.MethodGet && rec.Code == 200 {
			body = strings.Replace(body, `"total_count"`, `"has_more":false,"total_count"`, 1)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write([]byte(body))
	})
	srv := httptest.NewServer(drifting)
	t.Cleanup(srv.Close)
	_ = base

	var out bytes.Buffer
	sum, err := contract.Run(t.Context(), contract.Target{BaseURL: srv.URL + "/v1", SecretKey: fake.SecretKey(), Live: true}, &out)
	require.NoError(t, err)
	assert.Zero(t, sum.Failed, out.String())
	assert.Contains(t, out.String(), "drift (update openapi.yaml)")
	assert.Contains(t, out.String(), "has_more")

	// The same service fails the strict (embedded) mode.
	out.Reset()
	sum, err = contract.Run(t.Context(), contract.Target{BaseURL: srv.URL + "/v1", SecretKey: fake.SecretKey()}, &out)
	require.NoError(t, err)
	assert.Positive(t, sum.Failed)
}

// proxy serves the embedded Clerk behind change, which may answer a request itself.
func proxy(t *testing.T, fake *fakeclerk.Server, change func(w http.ResponseWriter, r *http.Request, body string, answer *httptest.ResponseRecorder) bool) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		fake.Handler().ServeHTTP(rec, r)
		if change(w, r, string(body), rec) {
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// TestInferredFactsAreRefutedOnlyByTheirAnswer: a scenario that meets a 503 or a 429 leaves its
// fact unchecked, with the reason; one whose answer differs from the fact refutes it.
func TestInferredFactsAreRefutedOnlyByTheirAnswer(t *testing.T) {
	t.Parallel()
	fake, _ := start(t)
	base := proxy(t, fake, func(w http.ResponseWriter, r *http.Request, body string, _ *httptest.ResponseRecorder) bool {
		switch {
		case strings.Contains(body, `\ufeff`): // the invisible-character scenario meets an outage
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		case strings.Contains(body, `"public_metadata":{"k":"xxxx`): // the 8 KB scenario meets Clerk's rate limit
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"errors":[{"code":"too_many_requests","message":"m","long_message":"Too many requests"}]}`))
			return true
		case strings.Contains(body, `"public_metadata":null`): // a service that answers otherwise
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = w.Write([]byte(`{"errors":[{"code":"form_param_value_invalid","message":"m","long_message":"l","meta":{"param_name":"public_metadata"}}]}`))
			return true
		}
		return false
	})
	var out bytes.Buffer
	_, err := contract.Run(t.Context(), contract.Target{BaseURL: base, SecretKey: fake.SecretKey(), Live: true}, &out)
	require.NoError(t, err)
	assert.Regexp(t, `unchecked  an address holding a byte-order mark .* \(the scenario failed before its check: POST /v1/invitations answered 503\)`, out.String())
	assert.Regexp(t, `unchecked  public_metadata is bounded at 8,192 bytes.* \(the scenario failed before its check: POST /v1/invitations answered 429\)`, out.String())
	assert.Contains(t, out.String(), "REFUTED    a single create with public_metadata null")
	assert.Equal(t, 1, strings.Count(out.String(), "REFUTED"), out.String())
}

// TestTheKeyIsNeverPrinted: against a proxy that echoes the Authorization header into every
// error's code and message, no line of the suite's output holds the key.
func TestTheKeyIsNeverPrinted(t *testing.T) {
	t.Parallel()
	fake, _ := start(t)
	base := proxy(t, fake, func(w http.ResponseWriter, r *http.Request, _ string, answer *httptest.ResponseRecorder) bool {
		if answer.Code < 400 {
			return false
		}
		auth, _ := json.Marshal(r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(answer.Code)
		_, _ = w.Write([]byte(`{"errors":[{"code":` + string(auth) + `,"message":` + string(auth) + `,"long_message":` + string(auth) + `}]}`))
		return true
	})
	var out bytes.Buffer
	sum, err := contract.Run(t.Context(), contract.Target{BaseURL: base, SecretKey: fake.SecretKey(), Live: true}, &out)
	require.NoError(t, err)
	require.Positive(t, sum.Failed, "the echoed codes fail scenarios, whose lines print them")
	assert.NotContains(t, out.String(), fake.SecretKey())
	assert.Contains(t, out.String(), "[redacted]")
}
