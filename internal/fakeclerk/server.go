// Package fakeclerk is an in-memory implementation of Clerk's invitation endpoints, served by the
// router and strict server interface oapi-codegen generates from openapi.yaml. It behaves like Clerk as far
// as this project knows it (bearer auth, duplicates, revoke rules, list filters, paging, 422
// parameter errors, optional rate limits) and lets tests move its world along: accept or expire
// an invitation, register a user, advance its clock, inject faults.
//
// Users reach it through package invitationstest or `clerk-invitations serve`.
package fakeclerk

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/generated/control"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// Operation names one of the endpoints, for faults and rate limits.
type Operation string

// The operations, by the project's one set of names.
const (
	OpCreate Operation = rules.OpCreate
	OpList   Operation = rules.OpList
	OpBulk   Operation = rules.OpBulk
	OpRevoke Operation = rules.OpRevoke
	OpDelete Operation = rules.OpDelete
)

// DefaultMaxBodyBytes bounds a request body; larger bodies are rejected with 400.
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxInvitations bounds the store: past it, creates answer 403 quota_exceeded.
const DefaultMaxInvitations = 1_000_000

// Options configures a Server. The zero value is usable: a random key, the real clock, no rate
// limits.
type Options struct {
	// SecretKey is the only key accepted. "": a random "sk_test_…" key.
	SecretKey string
	// Start is the clock's initial time. Zero: time.Now(). The clock only moves with Advance
	// when Start is set; otherwise it follows the real clock plus what Advance added.
	Start time.Time
	// RateLimits enables 429 answers once a budget is spent, with Retry-After set to the seconds
	// left in its window; nil disables them. Clerk counts in fixed windows, and so does the server.
	RateLimits *rules.Budgets
	// MaxBodyBytes bounds request bodies. 0: DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxInvitations bounds how many invitations the server holds, in any status; a create
	// that would go past it answers 403 quota_exceeded. 0: DefaultMaxInvitations.
	MaxInvitations int
	// AcceptURL is the prefix of invitation links. "": "https://accounts.invitations.test/v1/tickets/accept".
	AcceptURL string
	// Inner, when set, wraps the server's own handling (everything but injected faults); tests
	// put the spec validator there so that every answer the server makes is checked.
	Inner func(http.Handler) http.Handler
	// Control serves the control plane (control.yaml) under /_control/, with the same key.
	Control bool
}

// Server is the in-memory Clerk. Its methods and its handler are safe for concurrent use.
type Server struct {
	secretKey string
	acceptURL string
	maxBody   int64
	maxStored int
	handler   http.Handler

	// mu guards everything below. Lists and Now take it for reading, so that lists, the
	// common load of a test suite, run side by side; anything that changes a record takes it
	// for writing.
	mu      sync.RWMutex
	frozen  bool
	base    time.Time     // frozen clock's time
	offset  time.Duration // added to the real clock when not frozen
	records map[string]*record
	byAddr  map[string][]*record // by lower-cased email address, for duplicate checks
	order   []*record            // every record, by seq: creation order
	seq     int64
	users   map[string]bool // lower-cased addresses of registered users
	faults  map[Operation][]Fault
	limits  *limiter
	control http.Handler // nil without Options.Control

	logMu    sync.Mutex
	requests []RequestRecord // the most recent maxLoggedRequests, oldest first
}

// record is one invitation plus what only the server knows.
type record struct {
	inv            generated.Invitation
	lower          string // inv.EmailAddress lower-cased
	lowerID        string // inv.ID lower-cased
	seq            int64
	notify         bool
	templateSlug   string
	redirectURL    string
	ignoreExisting bool
	accepted       bool
}

// New returns a Server. Mount its Handler under any prefix; paths are matched below "/v1".
func New(opts Options) *Server {
	s := &Server{
		secretKey: opts.SecretKey,
		acceptURL: opts.AcceptURL,
		maxBody:   opts.MaxBodyBytes,
		maxStored: opts.MaxInvitations,
		records:   map[string]*record{},
		byAddr:    map[string][]*record{},
		users:     map[string]bool{},
		faults:    map[Operation][]Fault{},
	}
	if s.secretKey == "" {
		s.secretKey = "sk_test_" + randomString(32)
	}
	if s.acceptURL == "" {
		s.acceptURL = "https://accounts.invitations.test/v1/tickets/accept"
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.maxStored <= 0 {
		s.maxStored = DefaultMaxInvitations
	}
	if !opts.Start.IsZero() {
		s.frozen, s.base = true, opts.Start
	}
	if opts.RateLimits != nil {
		s.limits = &limiter{budgets: *opts.RateLimits, windows: map[string]*window{}}
	}
	if opts.Control {
		s.control = s.controlHandler()
	}
	s.handler = s.routes(opts.Inner)
	return s
}

// Control reports whether the server serves the control plane (Options.Control).
func (s *Server) Control() bool { return s.control != nil }

// SecretKey returns the key the server accepts.
func (s *Server) SecretKey() string { return s.secretKey }

// Handler serves the API below "/v1": POST /v1/invitations, GET /v1/invitations,
// POST /v1/invitations/bulk, POST /v1/invitations/{id}/revoke and DELETE /v1/invitations/{id}.
func (s *Server) Handler() http.Handler { return s.handler }

// Now returns the server's current time.
func (s *Server) Now() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.nowLocked()
}

func (s *Server) nowLocked() time.Time {
	if s.frozen {
		return s.base
	}
	return time.Now().Add(s.offset)
}

// Advance moves the server's clock forward by d: invitations past their expiry become expired,
// rate-limit windows pass.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozen {
		s.base = s.base.Add(d)
	} else {
		s.offset += d
	}
}

// ErrUnknownInvitation is returned by the helpers for an id the server never issued.
var ErrUnknownInvitation = errors.New("fakeclerk: no invitation with that id")

// Accept marks a pending invitation accepted, as if the person signed up through the link, and
// registers the address as a user.
func (s *Server) Accept(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.pendingLocked(id)
	if err != nil {
		return err
	}
	r.accepted = true
	r.inv.Status = generated.InvitationStatusAccepted
	r.inv.UpdatedAt = s.nowLocked().UnixMilli()
	s.users[strings.ToLower(r.inv.EmailAddress)] = true
	return nil
}

// Expire makes a pending invitation expire now.
func (s *Server) Expire(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.pendingLocked(id)
	if err != nil {
		return err
	}
	now := s.nowLocked().UnixMilli()
	r.inv.ExpiresAt = now
	r.inv.Status = generated.InvitationStatusExpired
	r.inv.UpdatedAt = now
	return nil
}

func (s *Server) pendingLocked(id string) (*record, error) {
	r, ok := s.records[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownInvitation, id)
	}
	s.refreshLocked(r)
	if r.inv.Status != generated.InvitationStatusPending {
		return nil, fmt.Errorf("fakeclerk: invitation %s is %s, not pending", id, r.inv.Status)
	}
	return r, nil
}

// RegisterUser records that addr belongs to an existing user: invitations to it are refused.
func (s *Server) RegisterUser(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[strings.ToLower(addr)] = true
}

// Lookup returns what the server holds for id, including what Clerk never returns (whether an
// email was sent, the template, the redirect URL), in the control plane's shape.
func (s *Server) Lookup(id string) (control.InvitationDetails, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[id]
	if !ok {
		return control.InvitationDetails{}, false
	}
	s.refreshLocked(r)
	return r.details(), true
}

// details is r in the control plane's shape; mu must be held.
func (r *record) details() control.InvitationDetails {
	return control.InvitationDetails{Invitation: r.inv, Notified: r.notify, TemplateSlug: r.templateSlug, RedirectURL: r.redirectURL, IgnoreExisting: r.ignoreExisting}
}

// Len returns how many invitations the server holds, in any status; deleted ones are gone.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// refreshLocked turns a pending invitation past its expiry into an expired one. It needs mu
// held for writing; readers use statusAt instead.
func (s *Server) refreshLocked(r *record) {
	r.inv.Status = r.statusAt(s.nowLocked().UnixMilli())
}

// statusAt is r's status at now (Unix milliseconds): a pending invitation past its expiry is
// expired even before refreshLocked has recorded it.
func (r *record) statusAt(now int64) generated.InvitationStatus {
	if r.inv.Status == generated.InvitationStatusPending && r.inv.ExpiresAt != 0 && r.inv.ExpiresAt <= now {
		return generated.InvitationStatusExpired
	}
	return r.inv.Status
}

func (s *Server) authorized(r *http.Request) *apiError {
	h := r.Header.Get("Authorization")
	if h == "" {
		return errAuth("authentication_invalid", "Unauthorized request", "The request has no Authorization header; send the secret key as a Bearer token.")
	}
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return errAuth("authorization_header_format_invalid", "Invalid Authorization header format", "The Authorization header must be of the form 'Bearer <secret key>'.")
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.secretKey)) != 1 {
		return errAuth("clerk_key_invalid", "Secret Key invalid", "The provided Clerk Secret Key is invalid.")
	}
	return nil
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = base62[int(b[i])%len(base62)]
	}
	return string(b)
}

func traceID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
