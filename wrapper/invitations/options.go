package invitations

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// Defaults used by New.
const (
	DefaultBaseURL    = "https://api.clerk.com/v1"
	DefaultAPIVersion = "2026-05-12"
	DefaultTimeout    = 30 * time.Second // per attempt
	// DefaultRetries is how many times a call is sent again after a failure that is safe to
	// retry; see the package documentation for which are.
	DefaultRetries = 2
	// DefaultMaxRetryWait bounds one wait before a retry. A 429 whose Retry-After asks for
	// longer ends the call with ErrRateLimited at once.
	DefaultMaxRetryWait = 30 * time.Second
	// Version is this library's version, sent in the User-Agent header.
	Version = "0.1.0"
)

// An Option configures a Client in New. Options check their argument: New returns the first
// option's error and no Client.
type Option func(*config) error

type config struct {
	baseURL      string
	httpClient   *http.Client
	timeout      time.Duration
	apiVersion   string
	userAgent    string
	retries      int
	maxRetryWait time.Duration
	budgets      *Budgets
	logger       *slog.Logger
	insecureHTTP bool
}

// WithBaseURL sends requests to baseURL instead of DefaultBaseURL, for example a server started
// with invitationstest or `clerk-invitations serve` ("http://127.0.0.1:4010/v1"). It must be an
// absolute https URL without query or fragment; the operation paths are appended to it. Plain
// http is accepted for loopback addresses (localhost, 127.0.0.0/8, ::1) and, with
// WithInsecureHTTP, anywhere.
func WithBaseURL(baseURL string) Option {
	return func(c *config) error {
		u, err := url.Parse(baseURL)
		if err != nil {
			return fmt.Errorf("invitations: WithBaseURL: %w", err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("invitations: WithBaseURL: %q is not an absolute http or https URL", baseURL)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("invitations: WithBaseURL: %q must not carry a query, fragment or user info", baseURL)
		}
		c.baseURL = strings.TrimSuffix(u.String(), "/")
		return nil
	}
}

// WithInsecureHTTP lets WithBaseURL name a plain http URL on a host other than loopback, for a
// proxy or a test server on a network you trust. The secret key then crosses that network
// unencrypted.
func WithInsecureHTTP() Option {
	return func(c *config) error {
		c.insecureHTTP = true
		return nil
	}
}

// WithHTTPClient sends requests through a copy of hc, for custom transports, proxies or
// instrumentation. The copy keeps hc's Transport, Jar and Timeout (none when zero; WithTimeout,
// when also passed, replaces it), and its CheckRedirect, behind one rule of the client's own: a
// redirect to another host or scheme never carries the Authorization header.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("invitations: WithHTTPClient: client is nil")
		}
		c.httpClient = hc
		return nil
	}
}

// WithTimeout bounds each attempt of a call, from sending the request to reading the whole
// response (http.Client.Timeout). The default is DefaultTimeout. A call with retries can take
// longer in all; bound it with the context's deadline.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("invitations: WithTimeout: %v is not positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithRetries sets how many times a call is sent again after a failure that is safe to retry
// (see the package documentation); 0 disables retries. The default is DefaultRetries.
func WithRetries(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("invitations: WithRetries: %d is negative", n)
		}
		c.retries = n
		return nil
	}
}

// WithMaxRetryWait bounds one wait before a retry, the backoff or a 429's Retry-After. A 429
// asking for a longer wait ends the call at once with an error matching ErrRateLimited, whose
// APIError.RetryAfter says how long. 0 retries a 429 only when it asks for no wait. The
// default is DefaultMaxRetryWait.
func WithMaxRetryWait(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("invitations: WithMaxRetryWait: %v is negative", d)
		}
		c.maxRetryWait = d
		return nil
	}
}

// Budget allows Calls calls in any window of length Per. The zero Budget sets no limit.
type Budget struct {
	Calls int
	Per   time.Duration
}

// Budgets are the request budgets WithPacing keeps to: Create for POST /invitations, Bulk for
// POST /invitations/bulk, Overall for every call.
type Budgets struct {
	Create  Budget
	Bulk    Budget
	Overall Budget
}

// DevelopmentBudgets returns Clerk's documented limits for a development instance: 100 creates
// and 25 bulk creates an hour, and 100 calls in any 10 seconds.
func DevelopmentBudgets() Budgets { return budgetsOf(rules.DevelopmentBudgets()) }

// ProductionBudgets returns Clerk's documented limits for a production instance: 100 creates
// and 25 bulk creates an hour, and 1000 calls in any 10 seconds.
func ProductionBudgets() Budgets { return budgetsOf(rules.ProductionBudgets()) }

func budgetsOf(b rules.Budgets) Budgets {
	return Budgets{Create: Budget(b.Create), Bulk: Budget(b.Bulk), Overall: Budget(b.Overall)}
}

// rules is b as the project's one definition of a budget, which pacing and the embedded Clerk use.
func (b Budgets) rules() rules.Budgets {
	return rules.Budgets{Create: rules.Budget(b.Create), Bulk: rules.Budget(b.Bulk), Overall: rules.Budget(b.Overall)}
}

// WithPacing makes the client keep to b: before each attempt it waits until the attempt fits
// every budget that applies, counting the calls of all goroutines that share the Client, and
// after a 429 it holds that operation back until the Retry-After has passed. Waits are bounded
// only by the call's context. Budgets are the instance's, so other clients of the same instance
// spend them too. Without WithPacing the client never waits for a budget.
func WithPacing(b Budgets) Option {
	return func(c *config) error {
		for name, budget := range map[string]Budget{"Create": b.Create, "Bulk": b.Bulk, "Overall": b.Overall} {
			if budget.Calls < 0 || budget.Per < 0 || (budget.Calls > 0) != (budget.Per > 0) {
				return fmt.Errorf("invitations: WithPacing: %s budget %d per %v: give both a positive count and a positive window, or neither", name, budget.Calls, budget.Per)
			}
		}
		c.budgets = &b
		return nil
	}
}

// WithLogger logs every attempt of every call to l: the operation, the attempt, the status,
// the duration, Clerk's trace id, and, before a retry, the error and the wait. Attempts that
// end a call are logged at Debug (at Warn when no answer came), retries at Info. Bodies, query
// strings, headers, email addresses and the key are never logged. Without WithLogger nothing is.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("invitations: WithLogger: logger is nil")
		}
		c.logger = l
		return nil
	}
}

// WithAPIVersion sets the Clerk-API-Version header, a release date such as "2025-04-10".
// The default is DefaultAPIVersion.
func WithAPIVersion(version string) Option {
	return func(c *config) error {
		if _, err := time.Parse(time.DateOnly, version); err != nil {
			return fmt.Errorf("invitations: WithAPIVersion: %q is not a date like 2025-04-10", version)
		}
		c.apiVersion = version
		return nil
	}
}

// WithUserAgent puts product (for example "my-app/1.2") in front of this library's own
// User-Agent, so Clerk's logs show both.
func WithUserAgent(product string) Option {
	return func(c *config) error {
		if strings.TrimSpace(product) == "" || hasControl(product) {
			return fmt.Errorf("invitations: WithUserAgent: %q is empty or contains control characters", product)
		}
		c.userAgent = product
		return nil
	}
}

// isLoopback reports whether host (without port) names this machine.
func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
