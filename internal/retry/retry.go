// Package retry sends a client's requests with retries, pacing and logging. Its Doer is the
// generated client's HttpRequestDoer: every request of a call goes through it, and it decides,
// attempt by attempt, whether to send the request again.
//
// Whether that is safe depends on the call, which the client describes in a Call stored in the
// request's context (With). A read is retried after any transient failure. A write (create, bulk create,
// revoke, delete) has no idempotency key: after a failure that leaves it unknown whether the
// server acted — the request went out and no usable answer came back — it is sent again only
// when the call says the server would refuse a repeat instead of acting twice (RetryAmbiguous),
// and the Call records that it may have taken effect, so that the client can reconcile.
package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/pacing"
)

// Call describes one client call and collects what happened to it. The client stores it in the
// request's context with With; Do reads the description and fills in the rest.
type Call struct {
	Op    string // one of the rules.Op… names: for pacing and logs
	Write bool   // the call changes state and has no idempotency key
	// RetryAmbiguous allows a write to be sent again after an attempt that may have taken
	// effect, because the server refuses a repeat (duplicate_record, already revoked, 404)
	// rather than acting twice.
	RetryAmbiguous bool

	Attempts     int  // attempts made
	MaybeApplied bool // an attempt of a write may have taken effect without a usable answer
}

// Policy bounds the retries of a call.
type Policy struct {
	MaxRetries int           // attempts after the first; 0 disables retries
	MaxWait    time.Duration // longest wait before an attempt; a longer Retry-After ends the call
	BaseDelay  time.Duration // backoff before attempt n+1: uniform in [0, min(MaxDelay, BaseDelay·2^(n-1)))
	MaxDelay   time.Duration
	MaxBody    int64 // largest response body read
}

// HTTPDoer is what Doer sends with: an *http.Client, typically.
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

type callKey struct{}

// With returns ctx carrying call, for Do.
func With(ctx context.Context, call *Call) context.Context {
	return context.WithValue(ctx, callKey{}, call)
}

// answer is a response read whole: Doer closes every body it opens, so connections are reused
// and nothing is left for the caller to drain.
type answer struct {
	resp *http.Response
	body []byte // at most Policy.MaxBody bytes
}

// Doer sends requests with retries.
type Doer struct {
	Next   HTTPDoer
	Policy Policy
	// Pacer, when not nil, paces every attempt and, after a 429, holds the operation back until
	// Retry-After has passed; its waits are bounded only by the context.
	Pacer  *pacing.Limiter
	Logger *slog.Logger // nil: no logging
	Secret string       // never logged: removed from what an answer puts in a log line

	Jitter func() float64 // in [0, 1); nil: math/rand/v2
	// Skew, when not nil, receives the server's clock less the client's at every answer that
	// carries a Date header.
	Skew func(time.Duration)
}

// BodyTooLargeError is returned for a 2xx answer whose body exceeds Policy.MaxBody.
type BodyTooLargeError struct {
	StatusCode int
	Limit      int64
}

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("%d response body exceeds %d bytes", e.StatusCode, e.Limit)
}

// BodyReadError is returned when an answer's body could not be read to its end (the connection
// broke, the body was cut short) and no retry followed.
type BodyReadError struct {
	StatusCode int
	Err        error
}

func (e *BodyReadError) Error() string {
	return fmt.Sprintf("reading %d response: %v", e.StatusCode, e.Err)
}

func (e *BodyReadError) Unwrap() error { return e.Err }

// Do sends req for the Call in its context (a read named by the method when there is none), again
// as the call and the Policy allow, and returns the last answer, or the error that ended the
// call. The answer's body is read whole and held in memory, as an io.ReadSeeker that a caller
// may read again from its start; nothing is left for the caller to close. A request with a
// body must be able to give it again (GetBody, which http.NewRequest sets for in-memory
// bodies); req itself is sent first and never changed.
func (d *Doer) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	call, _ := ctx.Value(callKey{}).(*Call)
	if call == nil {
		call = &Call{Op: req.Method}
	}
	ans, err := d.send(req, call)
	if err != nil {
		return nil, err
	}
	ans.resp.Body = body{bytes.NewReader(ans.body)}
	ans.resp.ContentLength = int64(len(ans.body))
	return ans.resp, nil
}

// body is the body of an answer Do returns.
type body struct{ *bytes.Reader }

func (body) Close() error { return nil }

func (d *Doer) send(req *http.Request, call *Call) (answer, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		var ticket pacing.Ticket
		if d.Pacer != nil {
			var err error
			if ticket, err = d.Pacer.Take(ctx, call.Op); err != nil {
				return answer{}, err
			}
		}
		call.Attempts = attempt
		began := time.Now()
		ans, sent, err := d.attempt(req, attempt)
		took := time.Since(began)
		ticket.Done() // the server had the request by now, if it ever will

		var wait time.Duration
		switch {
		case err == nil && ans.resp.StatusCode >= 200 && ans.resp.StatusCode < 300:
			d.answered(ans)
			d.log(ctx, slog.LevelDebug, call, ans.resp, took, nil, 0)
			return ans, nil

		case err == nil && retryableStatus(ans.resp.StatusCode):
			d.answered(ans)
			if ans.resp.StatusCode != http.StatusTooManyRequests && call.Write {
				// A proxy's 502/503/504 may stand in front of a server that acted.
				call.MaybeApplied = true
				if !call.RetryAmbiguous {
					d.log(ctx, slog.LevelDebug, call, ans.resp, took, nil, 0)
					return ans, nil
				}
			}
			wait = d.backoff(attempt)
			if ans.resp.StatusCode == http.StatusTooManyRequests {
				if ra := ParseRetryAfter(ans.resp.Header.Get("Retry-After"), time.Now()); ra > 0 {
					wait = ra
					if d.Pacer != nil {
						d.Pacer.Block(call.Op, time.Now().Add(min(ra, maxBlock)))
					}
				}
			}
			if attempt > d.Policy.MaxRetries || wait > d.Policy.MaxWait {
				d.log(ctx, slog.LevelDebug, call, ans.resp, took, nil, 0)
				return ans, nil
			}
			d.log(ctx, slog.LevelInfo, call, ans.resp, took, nil, wait)

		case err == nil:
			d.answered(ans)
			d.log(ctx, slog.LevelDebug, call, ans.resp, took, nil, 0)
			return ans, nil

		default:
			var tooLarge *BodyTooLargeError
			if errors.As(err, &tooLarge) {
				// The server acted and answered; only the answer is unusable.
				call.MaybeApplied = call.MaybeApplied || call.Write
				d.log(ctx, slog.LevelWarn, call, nil, took, err, 0)
				return answer{}, err
			}
			if sent && call.Write {
				call.MaybeApplied = true
			}
			if ctx.Err() != nil || sent && call.Write && !call.RetryAmbiguous || attempt > d.Policy.MaxRetries {
				d.log(ctx, slog.LevelWarn, call, nil, took, err, 0)
				return answer{}, err
			}
			wait = d.backoff(attempt)
			d.log(ctx, slog.LevelInfo, call, nil, took, err, wait)
		}
		if err := pacing.Sleep(ctx, wait); err != nil {
			return answer{}, err
		}
	}
}

// attempt sends req once more and reads its answer. sent reports whether the request may have
// reached the server when err is not nil.
func (d *Doer) attempt(req *http.Request, attempt int) (ans answer, sent bool, err error) {
	r := req
	if attempt > 1 {
		// A fresh request: the transport may still hold the last one.
		r = req.WithContext(req.Context())
		if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
			if r.Body, err = req.GetBody(); err != nil {
				return ans, false, fmt.Errorf("replaying the request body: %w", err)
			}
		}
	}
	resp, err := d.Next.Do(r)
	if err != nil {
		// net/http sends a request again by itself when a reused connection fails before
		// anything is written; what reaches here was sent, unless no connection was made.
		return ans, !isDialError(err), err
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if ok && resp.ContentLength > d.Policy.MaxBody {
		resp.Body.Close() // announced too large: not read at all
		return ans, true, &BodyTooLargeError{StatusCode: resp.StatusCode, Limit: d.Policy.MaxBody}
	}
	buf, readErr := readBody(resp.Body, resp.ContentLength, d.Policy.MaxBody)
	resp.Body.Close()
	switch {
	case ok && int64(len(buf)) > d.Policy.MaxBody:
		return ans, true, &BodyTooLargeError{StatusCode: resp.StatusCode, Limit: d.Policy.MaxBody}
	case readErr != nil:
		// An answer cut short says too little to act on, even an error: a refusal's code (is it
		// a duplicate?) is in the body.
		return ans, true, &BodyReadError{StatusCode: resp.StatusCode, Err: readErr}
	case int64(len(buf)) > d.Policy.MaxBody:
		buf = buf[:d.Policy.MaxBody] // an error answer keeps what fits
	}
	return answer{resp: resp, body: buf}, true, nil
}

// readBody reads at most limit+1 bytes, so that a body over the limit can be told apart. A body
// of announced length is read into a buffer of that size at once.
func readBody(body io.Reader, length, limit int64) ([]byte, error) {
	if length <= 0 || length > limit {
		return io.ReadAll(io.LimitReader(body, limit+1))
	}
	buf := make([]byte, length)
	n, err := io.ReadFull(body, buf)
	return buf[:n], err
}

// answered tells Skew how far the server's clock, read from the Date header, is from the client's.
func (d *Doer) answered(ans answer) {
	if d.Skew == nil {
		return
	}
	if date := ans.resp.Header.Get("Date"); date == "" {
		return
	} else if t, err := http.ParseTime(date); err == nil {
		d.Skew(t.Sub(time.Now()))
	}
}

// retryableStatus: the server or a proxy in front of it is rate limiting or briefly unable.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// isDialError reports whether err says no connection was made, so nothing was sent.
func isDialError(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) || errors.Is(err, syscall.ECONNREFUSED)
}

func (d *Doer) backoff(attempt int) time.Duration {
	ceiling := d.Policy.MaxDelay
	if shift := attempt - 1; shift < 30 && d.Policy.BaseDelay<<shift < ceiling {
		ceiling = d.Policy.BaseDelay << shift
	}
	jitter := rand.Float64
	if d.Jitter != nil {
		jitter = d.Jitter
	}
	return time.Duration(jitter() * float64(ceiling))
}

// log records one attempt: never a body, a query string (it can hold an address) or a header.
func (d *Doer) log(ctx context.Context, level slog.Level, call *Call, resp *http.Response, took time.Duration, err error, retryIn time.Duration) {
	if d.Logger == nil || !d.Logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("op", call.Op),
		slog.Int("attempt", call.Attempts),
		slog.Duration("duration", took),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
		if trace := resp.Header.Get("Clerk-Trace-Id"); trace != "" {
			attrs = append(attrs, slog.String("trace_id", d.redact(trace)))
		}
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", d.redact(ScrubError(err))))
	}
	if retryIn > 0 || level == slog.LevelInfo {
		attrs = append(attrs, slog.Duration("retry_in", retryIn))
	}
	msg := "invitations: call"
	if level == slog.LevelInfo {
		msg = "invitations: retrying"
	}
	d.Logger.LogAttrs(ctx, level, msg, attrs...)
}

func (d *Doer) redact(s string) string {
	if d.Secret == "" {
		return s
	}
	return strings.ReplaceAll(s, d.Secret, "[redacted]")
}

// ScrubError returns err's text without the request URL that *url.Error puts in it: a list's
// query string can hold an email address.
func ScrubError(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return strings.Replace(err.Error(), urlErr.Error(), urlErr.Err.Error(), 1)
	}
	return err.Error()
}

// maxBlock bounds how long the pacer holds an operation back after one 429.
const maxBlock = 24 * time.Hour

// maxDuration is the largest time.Duration; a Retry-After longer than that is clamped to it.
const maxDuration = time.Duration(1<<63 - 1)

// ParseRetryAfter reads a Retry-After value, in seconds or as an HTTP date, as a wait from now.
// It returns 0 for an absent, unreadable, negative or past value, and clamps a value too large
// for a time.Duration to the largest one rather than letting it wrap.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if allDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(maxDuration/time.Second) {
			return maxDuration // too many digits for an int64, or for a Duration
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
