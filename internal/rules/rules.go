// Package rules is the one definition of Clerk's input limits and syntax rules for invitations.
// The client checks them before sending anything, the embedded server answers them the way Clerk
// does, and the spec validator and the docs follow them, so that all agree.
//
// Where Clerk's documents give no exact boundary (is 8 KB 8,000 or 8,192 bytes? which URLs
// count as having a scheme?), the choice here is marked inferred; the contract suite's scenarios
// name each one so that a live run confirms or refutes it.
package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of the invitation endpoints, from Clerk's published document unless marked.
const (
	MaxBulkItems         = 10  // invitations in one bulk create
	MinExpiresInDays     = 1   // expires_in_days
	MaxExpiresInDays     = 365 // expires_in_days
	DefaultExpiresInDays = 30  // when expires_in_days is absent
	MinLimit             = 1   // a list page
	MaxLimit             = 500 // a list page
	DefaultLimit         = 10  // when limit is absent

	// MaxMetadataBytes bounds public_metadata once encoded as JSON. Clerk documents "8 KB" for
	// every metadata field; 8,192 bytes as the exact boundary is inferred.
	MaxMetadataBytes = 8 << 10
)

// Clerk's documented rate limits: per instance, creates and bulk creates per hour, and every
// Backend API call per OverallWindow (development and production instances differ).
const (
	CreatesPerHour     = 100
	BulkCreatesPerHour = 25
	OverallDevelopment = 100
	OverallProduction  = 1000
	OverallWindow      = 10 * time.Second
)

// Budget allows Calls calls in any window of length Per; a zero Budget sets no limit. It is
// the one definition of a rate budget: the client's pacing and the embedded Clerk's limits use
// it, and invitations.Budget is its public form.
type Budget struct {
	Calls int
	Per   time.Duration
}

// Budgets are an instance's budgets: Create for POST /invitations, Bulk for
// POST /invitations/bulk, Overall for every call.
type Budgets struct {
	Create, Bulk, Overall Budget
}

// DevelopmentBudgets and ProductionBudgets are Clerk's documented limits.
func DevelopmentBudgets() Budgets { return clerkBudgets(OverallDevelopment) }
func ProductionBudgets() Budgets  { return clerkBudgets(OverallProduction) }

func clerkBudgets(overall int) Budgets {
	return Budgets{
		Create:  Budget{Calls: CreatesPerHour, Per: time.Hour},
		Bulk:    Budget{Calls: BulkCreatesPerHour, Per: time.Hour},
		Overall: Budget{Calls: overall, Per: OverallWindow},
	}
}

// PerOperation returns the budgets that apply to op besides Overall, by operation name.
func (b Budgets) PerOperation() map[string]Budget {
	return map[string]Budget{OpCreate: b.Create, OpBulk: b.Bulk}
}

// The operations' names: the one definition behind the client's invitations.Operation
// constants (its errors, logs and pacing), the embedded Clerk's faults, budgets and request log,
// and the control plane's operation enum (a test holds control.yaml to this list).
const (
	OpCreate = "create"      // CreateInvitation, POST /invitations
	OpBulk   = "bulk create" // CreateBulkInvitations, POST /invitations/bulk
	OpList   = "list"        // ListInvitations, GET /invitations
	OpRevoke = "revoke"      // RevokeInvitation, POST /invitations/{invitation_id}/revoke
	OpDelete = "delete"      // DeleteInvitation, DELETE /invitations/{invitation_id}
)

// Ops lists every operation name.
var Ops = []string{OpCreate, OpBulk, OpList, OpRevoke, OpDelete}

// DefaultOrderBy is the list order without order_by: newest first.
const DefaultOrderBy = "-created_at"

// OrderByFields are the fields a list can be ordered by.
var OrderByFields = []string{"created_at", "email_address", "expires_at"}

var orderByPattern = regexp.MustCompile(`^([+-]?)(created_at|email_address|expires_at)$`)

// ParseOrderBy splits an order_by value such as "-created_at" into its field and direction. A
// value without a sign is ascending. ok is false for anything else.
func ParseOrderBy(s string) (field string, descending, ok bool) {
	m := orderByPattern.FindStringSubmatch(s)
	if m == nil {
		return "", false, false
	}
	return m[2], m[1] == "-", true
}

// MaxIDLength bounds an invitation id; Clerk's are about 31 bytes.
const MaxIDLength = 128

// CheckID reports why id cannot be an invitation id that is safe in a path, or nil: only
// letters, digits, '_' and '-', as in every Clerk id ("inv_…"), so that no id changes which
// endpoint a request hits.
func CheckID(id string) error {
	if id == "" {
		return errors.New("is empty")
	}
	if len(id) > MaxIDLength {
		return fmt.Errorf("is longer than %d bytes", MaxIDLength)
	}
	for i, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Errorf("contains %q at byte %d; only letters, digits, '_' and '-' are allowed", r, i)
		}
	}
	return nil
}

// ErrURLScheme is returned by CheckRedirectURL for a URL whose scheme is not http or https.
var ErrURLScheme = errors.New("must be an http or https URL, or a path")

// CheckRedirectURL reports whether Clerk accepts s as a redirect_url: a path ("/welcome"), or a
// URL whose scheme is http or https, in any case. Clerk refuses other schemes with
// invalid_url_scheme; that a string without a scheme (a path) is accepted follows Clerk's SDK
// documentation ("the full URL or path") and is inferred.
//
// A scheme is what RFC 3986 calls one: a letter, then letters, digits, '+', '-' or '.', before
// the first ':' and before any '/', '?' or '#'. So "localhost:3000/x" has the scheme
// "localhost" and is refused, as url.Parse reads it.
func CheckRedirectURL(s string) error {
	scheme, ok := urlScheme(s)
	if !ok {
		return nil
	}
	switch strings.ToLower(scheme) {
	case "http", "https":
		return nil
	}
	return ErrURLScheme
}

func urlScheme(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') && i > 0:
		case c == ':' && i > 0:
			return s[:i], true
		default:
			return "", false
		}
	}
	return "", false
}

// MetadataSize returns the size of public_metadata v encoded as compact JSON by encoding/json:
// the measure both the client and the embedded server hold against MaxMetadataBytes.
func MetadataSize(v any) (int, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("cannot be encoded as JSON: %w", err)
	}
	return len(b), nil
}

// CheckMetadata returns an error naming the size when v is larger than MaxMetadataBytes encoded,
// holds a string or key that is not valid UTF-8 (encoding/json would send it altered, with
// U+FFFD in place of the bad bytes), or cannot be encoded at all.
func CheckMetadata(v any) error {
	if !validUTF8(v) {
		return errors.New("holds a string that is not valid UTF-8")
	}
	n, err := MetadataSize(v)
	if err != nil {
		return err
	}
	if n > MaxMetadataBytes {
		return fmt.Errorf("is %d bytes encoded as JSON, more than the %d Clerk allows", n, MaxMetadataBytes)
	}
	return nil
}

// validUTF8 reports whether every string and key in a JSON-like value is valid UTF-8.
func validUTF8(v any) bool {
	switch v := v.(type) {
	case string:
		return utf8.ValidString(v)
	case []any:
		for _, x := range v {
			if !validUTF8(x) {
				return false
			}
		}
	case map[string]any:
		for k, x := range v {
			if !utf8.ValidString(k) || !validUTF8(x) {
				return false
			}
		}
	}
	return true
}
