package invitations

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults used by New.
const (
	DefaultBaseURL    = "https://api.clerk.com/v1"
	DefaultAPIVersion = "2026-05-12"
	DefaultTimeout    = 30 * time.Second
	// Version is this library's version, sent in the User-Agent header.
	Version = "0.1.0"
)

// An Option configures a Client in New. Options check their argument: New returns the first
// option's error and no Client.
type Option func(*config) error

type config struct {
	baseURL    string
	httpClient *http.Client
	timeout    time.Duration
	apiVersion string
	userAgent  string
}

// WithBaseURL sends requests to baseURL instead of DefaultBaseURL, for example a server started
// with invitationstest or `clerk-invitations serve` ("http://127.0.0.1:4010/v1"). It must be an
// absolute http or https URL without query or fragment; the operation paths are appended to it.
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

// WithHTTPClient sends requests through hc, for custom transports, proxies or instrumentation.
// The client is used as given, its Timeout included (none when zero), except that WithTimeout,
// when also passed, applies to a copy.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("invitations: WithHTTPClient: client is nil")
		}
		c.httpClient = hc
		return nil
	}
}

// WithTimeout bounds each call, from sending the request to reading the whole response
// (http.Client.Timeout). The default is DefaultTimeout; a context deadline applies as well.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("invitations: WithTimeout: %v is not positive", d)
		}
		c.timeout = d
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
