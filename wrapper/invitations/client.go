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

// Client calls Clerk's invitation endpoints. Make one with New and reuse it: it is safe for
// concurrent use, and its goroutines share its pacing budgets.
type Client struct {
	api                         *generated.Client
	secretKey, baseURL, version string
	pacer                       *pacing.Limiter               // nil without WithPacing
	skew                        atomic.Pointer[time.Duration] // the server's clock less ours, from the last Date header
}

// ErrInsecureBaseURL is New's error for a plain http base URL off loopback.
var ErrInsecureBaseURL = errors.New("would send the secret key unencrypted; use https, or WithInsecureHTTP on a network you trust")

// New returns a Client that authenticates with secretKey ("sk_test_…" or "sk_live_…"). Without
// options it calls DefaultBaseURL with DefaultTimeout, DefaultRetries and DefaultAPIVersion, and
// does not pace itself. It fails, with an error that never holds the key, when the key is
// malformed, an option refuses its argument, or the base URL is plain http off loopback
// (ErrInsecureBaseURL).
func New(secretKey string, opts ...Option) (*Client, error) {
	switch {
	case secretKey == "":
		return nil, errors.New("invitations: New: secret key is empty")
	case !strings.HasPrefix(secretKey, "sk_"):
		return nil, errors.New(`invitations: New: secret key does not start with "sk_" (is it a publishable key?)`)
	case strings.ContainsFunc(secretKey, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return nil, errors.New("invitations: New: secret key contains spaces or control characters")
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
	c := &Client{secretKey: secretKey, baseURL: cfg.baseURL, version: cfg.apiVersion}
	doer := &retry.Doer{Next: httpClient(cfg), Logger: cfg.logger, Secret: secretKey, Skew: func(d time.Duration) { c.skew.Store(&d) },
		// Backoff with full jitter: uniform in [0, min(8 s, 0.5 s·2^n)); answers up to 16 MiB.
		Policy: retry.Policy{MaxRetries: cfg.retries, MaxWait: cfg.maxRetryWait, BaseDelay: 500 * time.Millisecond, MaxDelay: 8 * time.Second, MaxBody: 16 << 20}}
	if b := cfg.budgets; b != nil {
		c.pacer = pacing.New(b.Overall, b.PerOperation())
		doer.Pacer = c.pacer
	}
	auth, ua := "Bearer "+secretKey, strings.TrimSpace(cfg.userAgent+" clerk-invitations-go/"+Version)
	api, err := generated.NewClient(cfg.baseURL, generated.WithHTTPClient(doer),
		generated.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			// Values of its own for every request: a transport editing one in place (masking
			// the key in a log, say) changes that request only.
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

// httpClient returns a copy of the caller's http.Client, or a new one, with the timeout and a
// redirect rule that keeps the key on its host.
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

// String describes the client, showing only its secret key's prefix.
func (c *Client) String() string {
	masked := "***"
	if i := strings.LastIndexByte(c.secretKey, '_'); i > 0 && i < len(c.secretKey)-1 {
		masked = c.secretKey[:i+1] + masked
	}
	return fmt.Sprintf("invitations.Client{baseURL: %q, apiVersion: %q, secretKey: %q}", c.baseURL, c.version, masked)
}

// GoString is String, so that %#v does not print the key either.
func (c *Client) GoString() string { return c.String() }

// Ready returns nil once a call of op would go out at once under WithPacing's budgets (and any
// 429's Retry-After), counting none, or ctx's error if ctx ends first; with a context that has
// ended, it only checks. Package lifecycle waits here where it can be interrupted.
func (c *Client) Ready(ctx context.Context, op Operation) error {
	if ctx == nil {
		return fmt.Errorf("invitations: %s: nil context", op)
	}
	if c.pacer == nil {
		return nil
	}
	return c.pacer.Ready(ctx, string(op))
}
