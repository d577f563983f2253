// Package invitationstest starts an in-memory Clerk for tests of code that uses package
// invitations, in the spirit of net/http/httptest.
//
//	srv := invitationstest.NewServer(t)
//	inv, err := srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com"})
//	require.NoError(t, err)
//	require.NoError(t, srv.Accept(inv.ID)) // the person signs up
//
// The server keeps its state in memory and behaves like Clerk's invitation endpoints: bearer
// auth, duplicate detection, the revoke rules, permanent deletes, list filters (revoked
// invitations only when asked for), ordering and paging, Clerk's input limits, 422 answers naming
// the bad parameter in meta.param_name, and optional rate limits. Helpers move its world along (accept or
// expire an invitation, register a user, advance the clock) and inject faults. Every answer it
// makes can be checked against the project's openapi.yaml (WithValidation). The same helpers are
// served over HTTP under URL's host at /_control/ (the project's control.yaml), for code under
// test that runs in another process or language.
package invitationstest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/internal/pipenet"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
	"github.com/clerk-invitations/clerk-invitations-go/internal/specvalidate"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// Fault is what the server does instead of, or around, answering a call normally. The zero
// Fault does nothing.
type Fault struct {
	// Delay holds the answer back this long, or until the client gives up. A Fault with only a
	// Delay then answers normally.
	Delay time.Duration
	// Commit carries the call out before the fault applies: the invitation is created, revoked
	// or deleted, and only the answer is lost (Drop), cut short (Truncate) or replaced (Status).
	// That is the ambiguous failure a client must not turn into a duplicate or a false error.
	// Without Commit, a fault that answers stands in for the call, which is not carried out.
	Commit bool
	// Status, when not 0, is sent instead of the real answer, with Header and Body. Use it for
	// 5xx pages, 429s or any answer Clerk might give.
	Status int
	Header http.Header // sent with Status
	Body   string      // sent with Status
	// Drop closes the connection without answering (after Delay).
	Drop bool
	// Truncate sends the answer's status, headers and the first half of its body (the real
	// answer with Commit, else Status and Body), then breaks the connection.
	Truncate bool
}

// Option configures NewServer and Start.
type Option func(*config)

// config is what the options set.
type config struct {
	fake     fakeclerk.Options
	validate bool
	inMemory bool
}

// WithInMemoryNetwork serves the server over connections in memory instead of a loopback port:
// only Server.Client and clients sending through Server.HTTPClient reach it. A test inside a
// testing/synctest bubble needs it (a wait on a real socket is outside the bubble's clock):
// delays, timeouts, Retry-After waits, backoff and pacing then take no real time.
func WithInMemoryNetwork() Option {
	return func(c *config) { c.inMemory = true }
}

// WithValidation checks every answer the server makes against the project's openapi.yaml, and
// Close (so NewServer's cleanup) reports each one that breaks it. The project's own tests run
// with it; a test of an application seldom needs it, and it multiplies the cost of a call (a
// 500-invitation page takes about 8 ms instead of 0.5 ms).
func WithValidation() Option {
	return func(c *config) { c.validate = true }
}

// WithRateLimits makes the server keep to b as Clerk does: once a budget is spent, it answers
// 429 too_many_requests with Retry-After set to the seconds left in the budget's window. It
// counts in fixed windows on its own clock, as Clerk does; a budget that is zero sets no limit.
// invitations.DevelopmentBudgets and ProductionBudgets are Clerk's; a test of pacing can scale
// the windows down. Without WithRateLimits there are no limits.
func WithRateLimits(b invitations.Budgets) Option {
	return func(c *config) {
		c.fake.RateLimits = &rules.Budgets{Create: rules.Budget(b.Create), Bulk: rules.Budget(b.Bulk), Overall: rules.Budget(b.Overall)}
	}
}

// WithClock starts the server's clock at start and stops it there: time then moves only with
// Advance, which makes timestamps in tests predictable. Without it the clock follows real time.
func WithClock(start time.Time) Option {
	return func(c *config) { c.fake.Start = start }
}

// WithSecretKey makes the server accept key instead of a random one.
func WithSecretKey(key string) Option {
	return func(c *config) { c.fake.SecretKey = key }
}

// Server is a running in-memory Clerk.
type Server struct {
	URL       string              // base URL, ending in /v1
	SecretKey string              // the key it accepts
	Client    *invitations.Client // a client for it, authenticated with SecretKey, with the default retries
	fake      *fakeclerk.Server
	http      *http.Client
	close     func()

	mu         sync.Mutex
	violations []string
}

// NewServer starts a server on loopback that is closed when t ends. With WithValidation, an
// answer of the server that breaks openapi.yaml fails t.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("invitationstest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Start starts a server on loopback outside a test (in an example or a main function, say).
// Close it when done.
func Start(opts ...Option) (*Server, error) {
	s := &Server{}
	var c config
	for _, opt := range opts {
		opt(&c)
	}
	o := c.fake
	o.Control = true // /_control/ for code under test in another language or process
	if c.validate {
		validator, err := specvalidate.New("/v1", specvalidate.Strict)
		if err != nil {
			return nil, err
		}
		o.Inner = func(h http.Handler) http.Handler {
			return validator.Middleware(h, func(f specvalidate.Finding) {
				// Bad requests are the caller's to send; the server's answers are ours to get right.
				if f.Kind == specvalidate.ResponseViolation {
					s.mu.Lock()
					s.violations = append(s.violations, f.String())
					s.mu.Unlock()
				}
			})
		}
	}
	s.fake = fakeclerk.New(o)
	s.SecretKey = s.fake.SecretKey()
	if c.inMemory {
		ln := pipenet.Listen()
		srv := &http.Server{Handler: s.fake.Handler()}
		go func() { _ = srv.Serve(ln) }()
		transport := &http.Transport{DialContext: ln.DialContext}
		s.URL, s.http = "http://invitationstest.localhost/v1", &http.Client{Transport: transport}
		s.close = func() {
			_ = srv.Close()
			transport.CloseIdleConnections()
		}
	} else {
		srv := httptest.NewServer(s.fake.Handler())
		s.URL, s.http, s.close = srv.URL+"/v1", srv.Client(), srv.Close
	}
	var err error
	s.Client, err = invitations.New(s.SecretKey, invitations.WithBaseURL(s.URL), invitations.WithHTTPClient(s.http))
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// Close stops the server. With WithValidation, it returns an error listing any answer the server
// made that broke openapi.yaml (a bug in this package, never in the caller's code).
func (s *Server) Close() error {
	s.close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.violations) > 0 {
		return fmt.Errorf("invitationstest: the server broke openapi.yaml: %s", strings.Join(s.violations, "; "))
	}
	return nil
}

// HTTPClient returns the *http.Client that reaches the server, for a client of your own:
// invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(srv.HTTPClient())).
// Without WithInMemoryNetwork, any client reaches the server at URL.
func (s *Server) HTTPClient() *http.Client { return s.http }

// Accept marks a pending invitation accepted, as if the person signed up through its link, and
// registers the address as a user. It fails for an unknown id or an invitation not pending.
func (s *Server) Accept(id string) error { return s.fake.Accept(id) }

// Expire makes a pending invitation expire now.
func (s *Server) Expire(id string) error { return s.fake.Expire(id) }

// RegisterUser records that addr belongs to an existing user; invitations to it are refused
// with a 422 (ErrInvalidRequest).
func (s *Server) RegisterUser(addr string) { s.fake.RegisterUser(addr) }

// Advance moves the server's clock forward: pending invitations past their expiry become
// expired and rate-limit windows pass.
func (s *Server) Advance(d time.Duration) { s.fake.Advance(d) }

// Now returns the server's current time.
func (s *Server) Now() time.Time { return s.fake.Now() }

// FailNext makes the next n calls to op (invitations.OpCreate, …) meet f instead of the normal
// answer.
func (s *Server) FailNext(op invitations.Operation, n int, f Fault) {
	s.fake.InjectFault(fakeclerk.Operation(op), n, fakeclerk.Fault(f))
}

// Len returns how many invitations the server holds, in any status.
func (s *Server) Len() int { return s.fake.Len() }

// Details is what the server knows of an invitation beyond what the API returns.
type Details struct {
	Status         invitations.Status
	EmailAddress   string
	Notified       bool // an email would have been sent (notify was not false)
	TemplateSlug   invitations.TemplateSlug
	RedirectURL    string
	IgnoreExisting bool
	PublicMetadata map[string]any
}

// Lookup returns what the server holds for the invitation id; false for an id it never issued
// or has deleted.
func (s *Server) Lookup(id string) (Details, bool) {
	d, ok := s.fake.Lookup(id)
	if !ok {
		return Details{}, false
	}
	return Details{
		Status:         invitations.Status(d.Invitation.Status),
		EmailAddress:   d.Invitation.EmailAddress,
		Notified:       d.Notified,
		TemplateSlug:   invitations.TemplateSlug(d.TemplateSlug),
		RedirectURL:    d.RedirectURL,
		IgnoreExisting: d.IgnoreExisting,
		PublicMetadata: d.Invitation.PublicMetadata,
	}, true
}

// Request is one request the server answered, as its request log keeps it: never the key or a
// body.
type Request struct {
	At         time.Time             // on the server's clock
	Operation  invitations.Operation // "" for a path that is none of the API's
	Method     string
	Path       string
	Query      string
	Status     int
	Duration   time.Duration
	ErrorCodes []string // the codes of Clerk's error body, for an error answer
}

// Requests returns the last 1,000 requests to the invitation API, oldest first: what the code
// under test asked, and what it was answered.
func (s *Server) Requests() []Request {
	var out []Request
	for _, r := range s.fake.Requests() {
		out = append(out, Request{At: r.At, Operation: invitations.Operation(r.Operation), Method: r.Method, Path: r.Path, Query: r.Query,
			Status: r.Status, Duration: r.Duration, ErrorCodes: r.ErrorCodes})
	}
	return out
}

// ClearRequests empties the request log.
func (s *Server) ClearRequests() { s.fake.ClearRequests() }
