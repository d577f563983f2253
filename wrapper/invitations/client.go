package invitations

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/pacing"
	"github.com/clerk-invitations/clerk-invitations-go/internal/retry"
)

// maxResponseBody bounds how much of a response the client reads. A full page of 500
// invitations is well under 1 MiB.
const maxResponseBody = 16 << 20

// Backoff between retries: full jitter, uniform in [0, min(maxBackoff, baseBackoff·2^n)).
const (
	baseBackoff = 500 * time.Millisecond
	maxBackoff  = 8 * time.Second
)

// Client calls Clerk's invitation endpoints. Create one with New and reuse it: it holds no
// per-call state and is safe for concurrent use by multiple goroutines, which share its pacing
// budgets (WithPacing).
type Client struct {
	api        *generated.Client
	secretKey  string
	baseURL    string
	apiVersion string
	pacer      *pacing.Limiter // nil without WithPacing
	// skew is the server's clock less the client's, from the latest Date header; nil before one.
	skew atomic.Pointer[time.Duration]
}

// ErrInsecureBaseURL is New's error for a plain http base URL on a host other than loopback.
var ErrInsecureBaseURL = errors.New("would send the secret key unencrypted; use https, or WithInsecureHTTP on a network you trust")

// New returns a Client that authenticates with secretKey, an instance's secret key
// ("sk_test_…" or "sk_live_…"). Without options it talks to DefaultBaseURL with
// DefaultTimeout per attempt, DefaultRetries and DefaultAPIVersion, and does not pace itself. It
// returns an error, and no Client, when the key is malformed, an option rejects its argument or
// the base URL is plain http on a host other than loopback (ErrInsecureBaseURL; see
// WithInsecureHTTP); the error never contains the key.
func New(secretKey string, opts ...Option) (*Client, error) {
	if err := checkSecretKey(secretKey); err != nil {
		return nil, err
	}
	cfg := config{baseURL: DefaultBaseURL, apiVersion: DefaultAPIVersion, retries: DefaultRetries, maxRetryWait: DefaultMaxRetryWait}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("invitations: New: nil Option")
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if u, err := url.Parse(cfg.baseURL); err == nil && u.Scheme == "http" && !isLoopback(u.Hostname()) && !cfg.insecureHTTP {
		return nil, fmt.Errorf("invitations: New: %q %w", cfg.baseURL, ErrInsecureBaseURL)
	}
	ua := "clerk-invitations-go/" + Version
	if cfg.userAgent != "" {
		ua = cfg.userAgent + " " + ua
	}
	c := &Client{secretKey: secretKey, baseURL: cfg.baseURL, apiVersion: cfg.apiVersion}
	doer := &retry.Doer{
		Next:   httpClient(cfg),
		Policy: retry.Policy{MaxRetries: cfg.retries, MaxWait: cfg.maxRetryWait, BaseDelay: baseBackoff, MaxDelay: maxBackoff, MaxBody: maxResponseBody},
		Logger: cfg.logger,
		Secret: secretKey,
		Skew:   func(d time.Duration) { c.skew.Store(&d) },
	}
	if cfg.budgets != nil {
		b := cfg.budgets.rules()
		c.pacer = pacing.New(b.Overall, b.PerOperation())
		doer.Pacer = c.pacer
	}
	auth := "Bearer " + secretKey
	api, err := generated.NewClient(cfg.baseURL, generated.WithHTTPClient(doer),
		generated.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			// Values of its own for every request: a transport that edits one in place (to
			// mask the key in a log, say) changes that request only.
			req.Header.Set("Authorization", auth)
			req.Header.Set("Clerk-Api-Version", cfg.apiVersion)
			req.Header.Set("User-Agent", ua)
			req.Header.Set("Accept", "application/json")
			return nil
		}))
	if err != nil {
		return nil, fmt.Errorf("invitations: New: %w", err)
	}
	c.api = api
	return c, nil
}

// httpClient returns the http.Client the calls go through: the caller's or a new one, copied,
// with the timeout and a redirect rule that keeps the key on its host.
func httpClient(cfg config) *http.Client {
	hc := &http.Client{Timeout: DefaultTimeout}
	if cfg.httpClient != nil {
		copied := *cfg.httpClient
		hc = &copied
	}
	if cfg.timeout > 0 {
		hc.Timeout = cfg.timeout
	}
	next := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if first := via[0].URL; req.URL.Host != first.Host || req.URL.Scheme != first.Scheme {
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return hc
}

func checkSecretKey(key string) error {
	switch {
	case key == "":
		return errors.New("invitations: New: secret key is empty")
	case !strings.HasPrefix(key, "sk_"):
		return errors.New(`invitations: New: secret key does not start with "sk_" (is it a publishable key?)`)
	case strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return errors.New("invitations: New: secret key contains spaces or control characters")
	}
	return nil
}

// String describes the client without its secret key.
func (c *Client) String() string {
	return fmt.Sprintf("invitations.Client{baseURL: %q, apiVersion: %q, secretKey: %q}", c.baseURL, c.apiVersion, maskKey(c.secretKey))
}

// GoString is String, so that %#v does not print the key either.
func (c *Client) GoString() string { return c.String() }

// maskKey keeps the key's environment prefix and hides the secret.
func maskKey(key string) string {
	if i := strings.LastIndexByte(key, '_'); i > 0 && i < len(key)-1 {
		return key[:i+1] + "***"
	}
	return "***"
}

// Ready waits until a call of op would go out at once under the client's pacing budgets
// (WithPacing), or after a 429 until its Retry-After has passed, without counting a call, and
// returns nil; or ctx's error when ctx ends first. Without WithPacing it returns at once.
// Work that must wait where it can be interrupted, and then make a call it lets finish, waits
// here first (package lifecycle does).
func (c *Client) Ready(ctx context.Context, op Operation) error {
	if ctx == nil {
		return fmt.Errorf("invitations: %s: nil context", op)
	}
	if c.pacer == nil {
		return ctx.Err()
	}
	return c.pacer.Ready(ctx, string(op))
}
