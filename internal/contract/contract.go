// Package contract is the contract suite: one set of scenarios that exercises every invitation
// operation through the client and through raw requests, with every exchange checked against
// openapi.yaml. It runs against the embedded server or a live Clerk instance.
//
// It is safe on a real account: addresses are on the reserved example.com domain and carry a
// unique run tag, notify is always false, and every invitation the run created is deleted at the
// end (revoked where the service does not delete), also when a scenario fails.
package contract

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/specvalidate"
	"github.com/clerk-invitations/clerk-invitations-go/internal/transcript"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// Target says where the suite runs.
type Target struct {
	BaseURL   string // e.g. "https://api.clerk.com/v1"
	SecretKey string
	// Live marks a real service: the validator then reports fields and enum values the document
	// lacks as drift instead of failing, since the service may be ahead of openapi.yaml.
	Live bool
	// Transport carries the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Unchecked runs the scenarios without checking requests and answers against openapi.yaml,
	// only to measure what the check costs (bench/). A run that matters never sets it.
	Unchecked bool
	// Record, when set, receives a transcript of every exchange (package transcript), redacted
	// unless RecordUnredacted is set. The key is never written.
	Record           io.Writer
	RecordUnredacted bool
	// ExistingUser is the address of a user of the instance, for the scenario that invites one;
	// "" leaves that inferred fact unchecked.
	ExistingUser string
	// Expire makes a pending invitation expire now (the embedded Clerk can, Clerk cannot), for
	// the scenario that revokes an expired one; nil leaves that inferred fact unchecked.
	Expire func(id string) error
}

// Result is the outcome of one scenario.
type Result struct {
	Name     string
	Err      error    // nil when it passed
	Skipped  string   // why the scenario could not run against this target; "" when it ran
	Inferred string   // the inferred fact the scenario checks, if any
	Drift    []string // response fields or values openapi.yaml lacks (live targets only)
	// Trouble is what kept the scenario from its check, if anything did: no answer, an answer
	// the target gives whatever it is asked (401, 403, 429, 5xx), a panic. A scenario that
	// failed with trouble leaves its inferred fact unchecked, not refuted.
	Trouble  string
	Duration time.Duration
}

// Summary is the outcome of a run.
type Summary struct {
	Results                 []Result
	Passed, Failed, Skipped int
}

// ErrTrouble is what Run's error matches when the target could not be reached or would not take
// the run's calls (no answer, 401, 403, 429, 5xx): nothing was run, so nothing was refuted.
var ErrTrouble = errors.New("trouble reaching the target")

// Disagreed reports whether a scenario failed on an answer it checked: the target and
// openapi.yaml (or an inferred fact) disagree. A run whose failures all met trouble before their
// checks disagreed with nothing; it says only that the target was hard to reach.
func (sum *Summary) Disagreed() bool {
	for _, r := range sum.Results {
		if r.Err != nil && r.Trouble == "" {
			return true
		}
	}
	return false
}

// session is what scenarios share: clients, the run tag and the list of created invitations.
type session struct {
	target   Target
	rec      *transcript.Recorder // nil unless recording
	client   *invitations.Client
	raw      *http.Client
	findings *specvalidate.Recorder
	trouble  *troubleSpotter
	tag      string

	mu      sync.Mutex
	created []string
	n       int
}

type scenario struct {
	name string
	// inferred states the fact the scenario checks that no Clerk source documents (an error code,
	// a bound, a behaviour): a live run prints whether it held.
	inferred string
	// needs returns why the scenario cannot run against this target; "" when it can.
	needs func(s *session) string
	// rawInvalid: the scenario sends requests that break openapi.yaml on purpose, so request
	// violations are expected; responses are still checked.
	rawInvalid bool
	run        func(ctx context.Context, s *session) error
}

// Run runs every scenario against t, writing one line per scenario and a final
// "N passed, M failed" line to out.
func Run(ctx context.Context, t Target, out io.Writer) (Summary, error) {
	out = redactor{out, t.SecretKey} // whatever a server echoes back, the key is never printed
	mode := specvalidate.Strict
	if t.Live {
		mode = specvalidate.Tolerant
	}
	v, err := specvalidate.New(t.BaseURL, mode)
	if err != nil {
		return Summary{}, err
	}
	s := &session{target: t, findings: &specvalidate.Recorder{}, tag: runTag(), trouble: &troubleSpotter{}}
	wire := t.Transport
	var rec *transcript.Recorder
	if t.Record != nil {
		kind := "embedded"
		if t.Live {
			kind = "live"
		}
		h := transcript.Header{Target: kind, RecordedAt: time.Now().UTC(), Redacted: !t.RecordUnredacted, RunTag: s.tag}
		if rec, err = transcript.NewRecorder(t.Record, h, t.Transport, t.SecretKey); err != nil {
			return Summary{}, fmt.Errorf("contract: recording: %w", err)
		}
		if u, err := url.Parse(t.BaseURL); err == nil {
			rec.BasePath = strings.TrimSuffix(u.Path, "/")
		}
		wire = rec
	}
	s.rec = rec
	s.trouble.next, wire = wire, s.trouble
	s.raw = &http.Client{Timeout: 30 * time.Second, Transport: &specvalidate.Transport{Validator: v, Next: wire, Report: s.findings.Report}}
	if t.Unchecked {
		s.raw.Transport = wire
	}
	// No retries: every answer the service gives is one the scenarios see and check.
	s.client, err = invitations.New(t.SecretKey, invitations.WithBaseURL(t.BaseURL), invitations.WithHTTPClient(s.raw),
		invitations.WithUserAgent("clerk-invitations-contract/"+invitations.Version), invitations.WithRetries(0))
	if err != nil {
		return Summary{}, err
	}
	if rec != nil {
		rec.Scenario("preflight")
	}
	if err := preflight(ctx, s); err != nil {
		return Summary{}, err
	}
	kind := "embedded"
	if t.Live {
		kind = "live"
	}
	fmt.Fprintf(out, "contract: %s target %s, run tag %s\n", kind, t.BaseURL, s.tag)

	var sum Summary
	for _, sc := range scenarios {
		if sc.needs != nil {
			if why := sc.needs(s); why != "" {
				sum.record(out, Result{Name: sc.name, Skipped: why, Inferred: sc.inferred})
				continue
			}
		}
		if rec != nil {
			rec.Scenario(sc.name)
		}
		began := time.Now()
		s.trouble.take()
		err := runOne(ctx, s, sc)
		r := Result{Name: sc.name, Duration: time.Since(began), Inferred: sc.inferred, Trouble: s.trouble.take()}
		var p panicked
		if errors.As(err, &p) {
			r.Trouble = p.Error()
		}
		var violations []string
		for _, f := range s.findings.Take() {
			switch {
			case f.Kind == specvalidate.Drift:
				r.Drift = append(r.Drift, f.String())
			case f.Kind == specvalidate.RequestViolation && sc.rawInvalid:
			default:
				violations = append(violations, f.String())
			}
		}
		if len(violations) > 0 {
			err = errors.Join(err, fmt.Errorf("openapi.yaml: %s", strings.Join(violations, "; ")))
		}
		r.Err = err
		sum.record(out, r)
	}
	if rec != nil {
		rec.Scenario("cleanup")
	}
	s.trouble.take()
	cleanupErr := s.cleanup(ctx)
	sum.record(out, Result{Name: "cleanup: delete what this run created", Err: cleanupErr, Trouble: s.trouble.take()})
	for _, line := range sum.inferred() {
		if rec != nil {
			rec.Action("fact", line)
		}
	}
	sum.printInferred(out)
	if rec != nil {
		if err := rec.Err(); err != nil {
			sum.record(out, Result{Name: "record the transcript", Err: err})
		}
	}
	fmt.Fprintf(out, "%d passed, %d failed, %d skipped\n", sum.Passed, sum.Failed, sum.Skipped)
	return sum, nil
}

// inferred says, for each inferred fact, whether it held against this target: held, REFUTED (its
// scenario checked the answer and the answer differed) or unchecked (it did not run, or met
// trouble before its check), with the reason.
func (sum *Summary) inferred() []string {
	var out []string
	for _, r := range sum.Results {
		switch {
		case r.Inferred == "":
		case r.Skipped != "":
			out = append(out, fmt.Sprintf("unchecked  %s (%s)", r.Inferred, r.Skipped))
		case r.Err != nil && r.Trouble != "":
			out = append(out, fmt.Sprintf("unchecked  %s (the scenario failed before its check: %s)", r.Inferred, r.Trouble))
		case r.Err != nil:
			out = append(out, "REFUTED    "+r.Inferred)
		default:
			out = append(out, "held       "+r.Inferred)
		}
	}
	return out
}

func (sum *Summary) printInferred(out io.Writer) {
	fmt.Fprintln(out, "inferred facts:")
	for _, line := range sum.inferred() {
		fmt.Fprintln(out, "  "+line)
	}
}

// preflight checks, with one list call, that the target answers and accepts the key: a run that
// cannot talk to it stops with one line, rather than failing every scenario and calling every
// inferred fact refuted.
func preflight(ctx context.Context, s *session) error {
	_, err := s.client.List(ctx, invitations.ListParams{Limit: 1})
	s.findings.Take()
	s.trouble.take()
	if err == nil {
		return nil
	}
	var apiErr *invitations.APIError
	var transport *invitations.TransportError
	if errors.Is(err, invitations.ErrUnauthorized) || errors.Is(err, invitations.ErrRateLimited) || errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusForbidden {
		return fmt.Errorf("%w: %s does not accept this run's calls (nothing was run): %v", ErrTrouble, s.target.BaseURL, err)
	}
	if errors.As(err, &transport) || errors.As(err, &apiErr) && apiErr.StatusCode >= 500 {
		return fmt.Errorf("%w: %s cannot be reached (nothing was run): %v", ErrTrouble, s.target.BaseURL, err)
	}
	return fmt.Errorf("%s does not answer as Clerk does (nothing was run): %v", s.target.BaseURL, err)
}

// troubleSpotter notes what keeps a scenario from its check: no answer, or an answer a target
// gives whatever it is asked.
type troubleSpotter struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen string
}

func (t *troubleSpotter) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	note := ""
	switch {
	case err != nil:
		note = "no answer to " + req.Method + " " + req.URL.Path
	case resp.StatusCode == http.StatusUnauthorized, resp.StatusCode == http.StatusForbidden,
		resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		note = fmt.Sprintf("%s %s answered %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	if note != "" {
		t.mu.Lock()
		if t.seen == "" {
			t.seen = note
		}
		t.mu.Unlock()
	}
	return resp, err
}

// take returns what was seen since the last take, and forgets it.
func (t *troubleSpotter) take() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	seen := t.seen
	t.seen = ""
	return seen
}

// redactor writes to w with the key replaced.
type redactor struct {
	w   io.Writer
	key string
}

func (r redactor) Write(p []byte) (int, error) {
	if r.key != "" && bytes.Contains(p, []byte(r.key)) {
		if _, err := r.w.Write(bytes.ReplaceAll(p, []byte(r.key), []byte("[redacted]"))); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return r.w.Write(p)
}

type panicked struct{ v any }

func (p panicked) Error() string { return fmt.Sprintf("panic: %v", p.v) }

func runOne(ctx context.Context, s *session, sc scenario) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicked{p}
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return sc.run(ctx, s)
}

func (sum *Summary) record(out io.Writer, r Result) {
	sum.Results = append(sum.Results, r)
	if r.Skipped != "" {
		sum.Skipped++
		fmt.Fprintf(out, "SKIP %s: %s\n", r.Name, r.Skipped)
		return
	}
	status := "PASS"
	if r.Err != nil {
		status = "FAIL"
		sum.Failed++
	} else {
		sum.Passed++
	}
	fmt.Fprintf(out, "%s %s (%s)\n", status, r.Name, r.Duration.Round(time.Millisecond))
	if r.Err != nil {
		fmt.Fprintf(out, "     %v\n", strings.ReplaceAll(r.Err.Error(), "\n", "\n     "))
	}
	for _, d := range r.Drift {
		fmt.Fprintf(out, "     drift (update openapi.yaml): %s\n", d)
	}
}

func runTag() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102t150405") + hex.EncodeToString(b)
}

// prefix returns an address prefix unique to this run and group; query it to see only them.
func (s *session) prefix(group string) string {
	return "contract-" + s.tag + "-" + group + "-"
}

// addr returns a fresh address in group.
func (s *session) addr(group string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("%s%02d@example.com", s.prefix(group), s.n)
}

func (s *session) remember(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.created = append(s.created, ids...)
}

// forget drops id from the cleanup list, once a scenario has deleted it.
func (s *session) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.created = slices.DeleteFunc(s.created, func(c string) bool { return c == id })
}

// create creates a silent invitation and remembers it for cleanup.
func (s *session) create(ctx context.Context, p invitations.CreateParams) (*invitations.Invitation, error) {
	p.Notify = invitations.Ptr(false)
	inv, err := s.client.Create(ctx, p)
	if err == nil {
		s.remember(inv.ID)
	}
	return inv, err
}

// cleanup deletes every invitation the run created. Where a delete answers 404 — the
// invitation is gone, or the service does not have DeleteInvitation — it revokes instead, so
// that nothing the run created stays pending on a real account.
func (s *session) cleanup(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	s.mu.Lock()
	ids := append([]string(nil), s.created...)
	s.mu.Unlock()
	var errs []error
	for _, id := range ids {
		err := s.withRetry(ctx, func() error { return s.client.Delete(ctx, id) })
		if errors.Is(err, invitations.ErrNotFound) {
			err = s.withRetry(ctx, func() error { _, err := s.client.Revoke(ctx, id); return err })
		}
		switch {
		case err == nil, errors.Is(err, invitations.ErrNotFound), errors.Is(err, invitations.ErrAlreadyRevoked), errors.Is(err, invitations.ErrAlreadyAccepted):
		default:
			var apiErr *invitations.APIError
			if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadRequest {
				continue // expired or otherwise no longer pending: nothing to revoke
			}
			errs = append(errs, fmt.Errorf("clean up %s: %w", id, err))
		}
	}
	s.findings.Take() // cleanup traffic is not a scenario
	return errors.Join(errs...)
}

// withRetry runs call, trying again after a 429, a 5xx or a transport error, so that a passing
// fault does not leave an invitation behind on a real account. Delete and revoke are safe to
// repeat: a second try of one that succeeded answers 404 or already revoked.
func (s *session) withRetry(ctx context.Context, call func() error) error {
	const attempts = 3
	var err error
	for i := range attempts {
		if err = call(); err == nil {
			return nil
		}
		var apiErr *invitations.APIError
		wait := 500 * time.Millisecond << i
		if errors.As(err, &apiErr) {
			if apiErr.StatusCode < 500 && apiErr.StatusCode != http.StatusTooManyRequests {
				return err
			}
			wait = max(wait, apiErr.RetryAfter)
		}
		if i == attempts-1 {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
	return err
}

// rawReply is the answer to a raw request.
type rawReply struct {
	Status int
	Body   []byte
	Errors []struct {
		Code string         `json:"code"`
		Meta map[string]any `json:"meta"`
	} `json:"errors"`
}

// send makes a raw request past the client's own validation.
func (s *session) send(ctx context.Context, method, path, body string) (rawReply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(s.target.BaseURL, "/")+path, rd)
	if err != nil {
		return rawReply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+s.target.SecretKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.raw.Do(req)
	if err != nil {
		return rawReply{}, err
	}
	defer resp.Body.Close()
	r := rawReply{Status: resp.StatusCode}
	r.Body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return r, err
	}
	_ = json.Unmarshal(r.Body, &r)
	if r.Status == http.StatusOK && strings.HasPrefix(path, "/invitations") && method == http.MethodPost {
		// A create the server should have refused still has to be cleaned up.
		var one struct{ ID string }
		var many []struct{ ID string }
		if json.Unmarshal(r.Body, &one) == nil && one.ID != "" {
			s.remember(one.ID)
		} else if json.Unmarshal(r.Body, &many) == nil {
			for _, m := range many {
				s.remember(m.ID)
			}
		}
	}
	return r, nil
}

// expectCode checks a raw reply's status and its first error's code and meta.param_name.
func (r rawReply) expectCode(status int, code, param string) error {
	if r.Status != status {
		return fmt.Errorf("status %d, want %d (body %.200s)", r.Status, status, r.Body)
	}
	if len(r.Errors) == 0 {
		return fmt.Errorf("no error entries (body %.200s)", r.Body)
	}
	if r.Errors[0].Code != code {
		return fmt.Errorf("code %q, want %q", r.Errors[0].Code, code)
	}
	if param != "" && fmt.Sprint(r.Errors[0].Meta["param_name"]) != param {
		return fmt.Errorf("meta.param_name %v, want %q (meta %v)", r.Errors[0].Meta["param_name"], param, r.Errors[0].Meta)
	}
	return nil
}

func expect(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, args...)
}
