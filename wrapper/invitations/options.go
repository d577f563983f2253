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
	DefaultBaseURL      = "https://api.clerk.com/v1"
	DefaultAPIVersion   = "2026-05-12"
	DefaultTimeout      = 30 * time.Second // per attempt
	DefaultRetries      = 2                // attempts after the first, for failures safe to retry
	DefaultMaxRetryWait = 30 * time.Second // the longest wait before a retry
	Version             = "0.1.0"          // this library's, sent in the User-Agent
)

// An Option configures a Client in New, which returns the first option's error and no Client.
type Option func(*config) error

// option is the Option that sets what set sets, or fails with problem ("" for none).
func option(problem string, set func(*config)) Option {
	return func(c *config) error {
		if problem != "" {
			return errors.New("invitations: " + problem)
		}
		set(c)
		return nil
	}
}

type config struct {
	baseURL, apiVersion, userAgent string
	httpClient                     *http.Client
	timeout, maxRetryWait          time.Duration
	retries                        int
	budgets                        *rules.Budgets // the project's one definition, which pacing uses
	logger                         *slog.Logger
	insecureHTTP                   bool
}

// WithBaseURL sends requests to baseURL, an absolute https URL without query or fragment to
// which the operation paths are appended: an embedded Clerk's, for example
// ("http://127.0.0.1:4010/v1"). Plain http is accepted for loopback hosts and, with
// WithInsecureHTTP, anywhere.
func WithBaseURL(baseURL string) Option {
	u, err := url.Parse(baseURL)
	problem := ""
	switch {
	case err != nil:
		problem = "WithBaseURL: " + err.Error()
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		problem = fmt.Sprintf("WithBaseURL: %q is not an absolute http or https URL", baseURL)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		problem = fmt.Sprintf("WithBaseURL: %q must not carry a query, fragment or user info", baseURL)
	}
	return option(problem, func(c *config) { c.baseURL = strings.TrimSuffix(u.String(), "/") })
}

// WithInsecureHTTP lets WithBaseURL name a plain http URL off loopback, for a network you
// trust: the key then crosses it unencrypted.
func WithInsecureHTTP() Option { return option("", func(c *config) { c.insecureHTTP = true }) }

// WithHTTPClient sends requests through a copy of hc (its Transport, Jar, Timeout and
// CheckRedirect), behind one rule of the client's own: a redirect to another host or scheme
// never carries the Authorization header. WithTimeout, when also given, replaces the Timeout.
func WithHTTPClient(hc *http.Client) Option {
	return option(problemIf(hc == nil, "WithHTTPClient: client is nil"), func(c *config) { c.httpClient = hc })
}

// WithTimeout bounds each attempt of a call, from sending the request to reading the whole
// answer (DefaultTimeout). Bound a whole call, retries included, with the context.
func WithTimeout(d time.Duration) Option {
	return option(problemIf(d <= 0, "WithTimeout: %v is not positive", d), func(c *config) { c.timeout = d })
}

// WithRetries sets how many times a call is sent again after a failure that is safe to retry
// (DefaultRetries); 0 sends every call once.
func WithRetries(n int) Option {
	return option(problemIf(n < 0, "WithRetries: %d is negative", n), func(c *config) { c.retries = n })
}

// WithMaxRetryWait bounds one wait before a retry (DefaultMaxRetryWait). A 429 whose
// Retry-After asks for longer ends the call at once with ErrRateLimited.
func WithMaxRetryWait(d time.Duration) Option {
	return option(problemIf(d < 0, "WithMaxRetryWait: %v is negative", d), func(c *config) { c.maxRetryWait = d })
}

// Budget allows Calls calls in any window of length Per; the zero Budget, any number.
type Budget struct {
	Calls int
	Per   time.Duration
}

// Budgets are what WithPacing keeps to: Create for POST /invitations, Bulk for
// POST /invitations/bulk, Overall for every call.
type Budgets struct {
	Create, Bulk, Overall Budget
}

// DevelopmentBudgets are Clerk's for a development instance: 100 creates and 25 bulk creates
// an hour, 100 calls in any 10 seconds. ProductionBudgets allow 1000 calls in any 10 seconds.
func DevelopmentBudgets() Budgets { return budgetsOf(rules.DevelopmentBudgets()) }

// ProductionBudgets are Clerk's for a production instance.
func ProductionBudgets() Budgets { return budgetsOf(rules.ProductionBudgets()) }

func budgetsOf(b rules.Budgets) Budgets {
	return Budgets{Create: Budget(b.Create), Bulk: Budget(b.Bulk), Overall: Budget(b.Overall)}
}

// WithPacing keeps the client within b: each attempt waits until it fits every budget that
// applies, counting the calls of all goroutines sharing the Client, and after a 429 an operation
// waits its Retry-After. The waits end only with the call's context.
func WithPacing(b Budgets) Option {
	problem := ""
	for name, budget := range map[string]Budget{"Create": b.Create, "Bulk": b.Bulk, "Overall": b.Overall} {
		if budget.Calls < 0 || budget.Per < 0 || (budget.Calls > 0) != (budget.Per > 0) {
			problem = fmt.Sprintf("WithPacing: %s budget %d per %v: give both a positive count and a positive window, or neither", name, budget.Calls, budget.Per)
		}
	}
	return option(problem, func(c *config) {
		c.budgets = &rules.Budgets{Create: rules.Budget(b.Create), Bulk: rules.Budget(b.Bulk), Overall: rules.Budget(b.Overall)}
	})
}

// WithLogger logs every attempt to l: the operation, the attempt, the status, the duration,
// Clerk's trace id and, before a retry, the error and the wait; at Debug when it ends the call
// (Warn without an answer), at Info before a retry. Never a body, a query string, a header, an
// email address or the key.
func WithLogger(l *slog.Logger) Option {
	return option(problemIf(l == nil, "WithLogger: logger is nil"), func(c *config) { c.logger = l })
}

// WithAPIVersion sets the Clerk-API-Version header, a date such as "2025-04-10"
// (DefaultAPIVersion).
func WithAPIVersion(version string) Option {
	_, err := time.Parse(time.DateOnly, version)
	return option(problemIf(err != nil, "WithAPIVersion: %q is not a date like 2025-04-10", version), func(c *config) { c.apiVersion = version })
}

// WithUserAgent puts product ("my-app/1.2") in front of the library's own User-Agent.
func WithUserAgent(product string) Option {
	return option(problemIf(strings.TrimSpace(product) == "" || hasControl(product), "WithUserAgent: %q is empty or contains control characters", product),
		func(c *config) { c.userAgent = product })
}

// problemIf is the problem format describes, when bad.
func problemIf(bad bool, format string, args ...any) string {
	if !bad {
		return ""
	}
	return fmt.Sprintf(format, args...)
}

// isLoopback reports whether host (without port) names this machine.
func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
