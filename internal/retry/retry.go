// Package retry sends a client's requests with retries, pacing and logging. Its Doer is the
// generated client's HttpRequestDoer: every attempt of a call goes through it.
//
// The client describes each call in a Call stored in the request's context (With). A read is
// retried after any transient failure. A write has no idempotency key: after an attempt that
// may have taken effect without a usable answer, it is sent again only when the server would
// refuse a repeat rather than act twice (RetryAmbiguous), and the Call records MaybeApplied so
// that the client can settle the outcome.
package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
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

// Call describes one client call; Do fills in Attempts and MaybeApplied.
type Call struct {
	Op             string // an operation name (rules.Op…), for pacing and logs
	Write          bool   // the call changes state and has no idempotency key
	RetryAmbiguous bool   // the server refuses a repeat of this write rather than acting twice

	Attempts     int  // attempts made
	MaybeApplied bool // the write may have taken effect without a usable answer (the client may set it too)
}

// Policy bounds the retries of a call.
type Policy struct {
	MaxRetries int           // attempts after the first
	MaxWait    time.Duration // longest wait before an attempt; a longer Retry-After ends the call
	BaseDelay  time.Duration // backoff before attempt n+1: uniform in [0, min(MaxDelay, BaseDelay·2^(n-1)))
	MaxDelay   time.Duration
	MaxBody    int64 // largest body read
}

type callKey struct{}

// With returns ctx carrying call, for Do.
func With(ctx context.Context, call *Call) context.Context {
	return context.WithValue(ctx, callKey{}, call)
}

// Doer sends requests with retries.
type Doer struct {
	Next interface {
		Do(*http.Request) (*http.Response, error)
	} // an *http.Client, typically
	Policy Policy
	Pacer  *pacing.Limiter     // nil: no pacing; else every attempt waits its turn, and a 429 blocks its operation
	Logger *slog.Logger        // nil: no logging
	Secret string              // removed from anything an answer puts in a log line
	Jitter func() float64      // in [0, 1); nil: math/rand/v2
	Skew   func(time.Duration) // nil, or told the server's clock less the client's at every Date header
}

// BodyTooLargeError is returned for a 2xx answer whose body exceeds Policy.MaxBody.
type BodyTooLargeError struct {
	StatusCode int
	Limit      int64
}

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("%d response body exceeds %d bytes", e.StatusCode, e.Limit)
}

// Do sends req for the Call in its context (a read, without one) as often as the call and the
// Policy allow, and returns the last answer or the error that ended the call. The answer's body
// is read whole and held in memory as an io.ReadSeeker, which a caller may read again from its
// start. A request body must be replayable (GetBody, as http.NewRequest sets for in-memory
// bodies); req itself is never changed.
func (d *Doer) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	call, _ := ctx.Value(callKey{}).(*Call)
	if call == nil {
		call = &Call{Op: req.Method}
	}
	for attempt := 1; ; attempt++ {
		var ticket pacing.Ticket
		if d.Pacer != nil {
			var err error
			if ticket, err = d.Pacer.Take(ctx, call.Op); err != nil {
				return nil, err
			}
		}
		call.Attempts = attempt
		began := time.Now()
		resp, sent, err := d.attempt(req, attempt)
		took := time.Since(began)
		ticket.Done() // the server had the request by now, if it ever will

		wait, retry := d.backoff(attempt), false
		switch {
		case err != nil:
			var tooLarge *BodyTooLargeError
			call.MaybeApplied = call.MaybeApplied || sent && call.Write
			retry = !errors.As(err, &tooLarge) && ctx.Err() == nil && !(sent && call.Write && !call.RetryAmbiguous)
		case retryable(resp.StatusCode):
			d.answered(resp)
			if resp.StatusCode != http.StatusTooManyRequests && call.Write {
				call.MaybeApplied = true // a proxy's 502/503/504 may stand in front of a server that acted
			}
			retry = resp.StatusCode == http.StatusTooManyRequests || !call.Write || call.RetryAmbiguous
			if ra := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); resp.StatusCode == http.StatusTooManyRequests && ra > 0 {
				wait = ra
				if d.Pacer != nil {
					d.Pacer.Block(call.Op, time.Now().Add(min(ra, maxBlock)))
				}
			}
		default:
			d.answered(resp)
		}
		if !retry || attempt > d.Policy.MaxRetries || err == nil && wait > d.Policy.MaxWait {
			d.log(ctx, call, resp, took, err, -1)
			return resp, err
		}
		d.log(ctx, call, resp, took, err, wait)
		if err := pacing.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// body is the body of an answer Do returns.
type body struct{ *bytes.Reader }

func (body) Close() error { return nil }

// attempt sends req once more and reads its answer whole. sent reports whether the request may
// have reached the server when err is not nil.
func (d *Doer) attempt(req *http.Request, attempt int) (resp *http.Response, sent bool, err error) {
	r := req
	if attempt > 1 {
		// A fresh request: the transport may still hold the last one.
		r = req.WithContext(req.Context())
		if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
			if r.Body, err = req.GetBody(); err != nil {
				return nil, false, fmt.Errorf("replaying the request body: %w", err)
			}
		}
	}
	if resp, err = d.Next.Do(r); err != nil {
		// net/http sends a request again by itself when a reused connection fails before
		// anything is written; what reaches here was sent, unless no connection was made.
		return nil, !isDialError(err), err
	}
	defer resp.Body.Close()
	ok, limit := resp.StatusCode >= 200 && resp.StatusCode < 300, d.Policy.MaxBody
	if ok && resp.ContentLength > limit {
		return nil, true, &BodyTooLargeError{StatusCode: resp.StatusCode, Limit: limit} // announced too large: not read
	}
	buf, err := readBody(resp.Body, resp.ContentLength, limit)
	switch {
	case ok && int64(len(buf)) > limit:
		return nil, true, &BodyTooLargeError{StatusCode: resp.StatusCode, Limit: limit}
	case err != nil:
		// An answer cut short says too little to act on, even a refusal, whose code is in the body.
		return nil, true, fmt.Errorf("reading the %d answer: %w", resp.StatusCode, err)
	}
	buf = buf[:min(int64(len(buf)), limit)] // an error answer keeps what fits
	resp.Body, resp.ContentLength = body{bytes.NewReader(buf)}, int64(len(buf))
	return resp, true, nil
}

// readBody reads at most limit+1 bytes, so that a body over the limit can be told apart; one
// of announced length into a buffer of that size.
func readBody(r io.Reader, length, limit int64) ([]byte, error) {
	if length <= 0 || length > limit {
		return io.ReadAll(io.LimitReader(r, limit+1))
	}
	buf := make([]byte, length)
	n, err := io.ReadFull(r, buf)
	return buf[:n], err
}

// answered tells Skew how far the server's clock, read from the Date header, is from the client's.
func (d *Doer) answered(resp *http.Response) {
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil && d.Skew != nil {
		d.Skew(time.Until(t))
	}
}

// retryable: the server or a proxy in front of it is rate limiting or briefly unable.
func retryable(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// isDialError reports whether err says no connection was made, so nothing was sent.
func isDialError(err error) bool {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	return errors.As(err, &opErr) && opErr.Op == "dial" || errors.As(err, &dnsErr) || errors.Is(err, syscall.ECONNREFUSED)
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

// log records one attempt, retryIn < 0 when it ends the call: at Debug, or Warn without an
// answer; before a retry at Info. Never a body, a query string (it can hold an address) or a
// header.
func (d *Doer) log(ctx context.Context, call *Call, resp *http.Response, took time.Duration, err error, retryIn time.Duration) {
	level, msg := slog.LevelInfo, "invitations: retrying"
	if retryIn < 0 {
		level, msg = slog.LevelDebug, "invitations: call"
		if resp == nil {
			level = slog.LevelWarn
		}
	}
	if d.Logger == nil || !d.Logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{slog.String("op", call.Op), slog.Int("attempt", call.Attempts), slog.Duration("duration", took)}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
		if trace := resp.Header.Get("Clerk-Trace-Id"); trace != "" {
			attrs = append(attrs, slog.String("trace_id", d.redact(trace)))
		}
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", d.redact(ScrubError(err))))
	}
	if retryIn >= 0 {
		attrs = append(attrs, slog.Duration("retry_in", retryIn))
	}
	d.Logger.LogAttrs(ctx, level, msg, attrs...)
}

func (d *Doer) redact(s string) string { return string(Redact([]byte(s), d.Secret)) }

// Redact returns b with every copy of secret replaced by "[redacted]".
func Redact(b []byte, secret string) []byte {
	if secret == "" || !bytes.Contains(b, []byte(secret)) {
		return b
	}
	return bytes.ReplaceAll(b, []byte(secret), []byte("[redacted]"))
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

// ParseRetryAfter reads a Retry-After value, in seconds or as an HTTP date, as a wait from now:
// 0 for an absent, unreadable or past value, and the largest Duration for one too large.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v != "" && strings.Trim(v, "0123456789") == "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(time.Duration(math.MaxInt64)/time.Second) {
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}
