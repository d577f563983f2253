package invitations

import (
	"fmt"
	"strings"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// Clerk's limits, checked before a request is sent (a test keeps them equal to the definitions
// the checks and the embedded Clerk use).
const (
	MaxBulkItems     = 10      // items in one BulkCreate
	MaxExpiresInDays = 365     // CreateParams.ExpiresInDays
	MaxLimit         = 500     // ListParams.Limit
	MaxMetadataBytes = 8 << 10 // CreateParams.PublicMetadata encoded as JSON
)

// CreateParams describes one invitation. Only EmailAddress is required; a field left at its
// zero value is not sent, and Clerk applies its default.
type CreateParams struct {
	EmailAddress string // a plain address, "ada@example.com"
	// PublicMetadata is copied into the user's public metadata at sign-up; at most
	// MaxMetadataBytes as JSON.
	PublicMetadata map[string]any
	RedirectURL    string // where the emailed link lands: an http or https URL, or a path
	// Notify: nil sends the email (Clerk's default); Ptr(false) creates the invitation silently.
	Notify *bool
	// IgnoreExisting: Ptr(true) creates the invitation even when the address has a pending one;
	// nil fails with ErrDuplicate then.
	IgnoreExisting *bool
	ExpiresInDays  int          // 1 to MaxExpiresInDays; 0: Clerk's 30
	TemplateSlug   TemplateSlug // "": TemplateInvitation
}

// Ptr returns a pointer to v, for the optional fields: Notify: invitations.Ptr(false).
func Ptr[T any](v T) *T { return &v }

// Validate returns the *ValidationError Create would return for p before sending anything, or
// nil: for work that checks invitations before queuing them. It names the first bad field.
func (p CreateParams) Validate() error {
	if err := rules.CheckEmail(p.EmailAddress); err != nil {
		return &ValidationError{Field: "email_address", Reason: err.Error()}
	}
	if p.ExpiresInDays != 0 && (p.ExpiresInDays < rules.MinExpiresInDays || p.ExpiresInDays > rules.MaxExpiresInDays) {
		return &ValidationError{Field: "expires_in_days", Reason: fmt.Sprintf("%d is outside %d..%d", p.ExpiresInDays, rules.MinExpiresInDays, rules.MaxExpiresInDays)}
	}
	if p.TemplateSlug != "" && !generated.InvitationTemplateSlug(p.TemplateSlug).Valid() {
		return &ValidationError{Field: "template_slug", Reason: fmt.Sprintf("%q is not %q or %q", p.TemplateSlug, TemplateInvitation, TemplateWaitlistInvitation)}
	}
	if hasControl(p.RedirectURL) {
		return &ValidationError{Field: "redirect_url", Reason: "contains control characters"}
	}
	if err := rules.CheckRedirectURL(p.RedirectURL); err != nil {
		return &ValidationError{Field: "redirect_url", Reason: err.Error()}
	}
	if len(p.PublicMetadata) > 0 {
		if err := rules.CheckMetadata(p.PublicMetadata); err != nil {
			return &ValidationError{Field: "public_metadata", Reason: err.Error()}
		}
	}
	return nil
}

func (p CreateParams) toGenerated() generated.CreateInvitationParams {
	return generated.CreateInvitationParams{EmailAddress: p.EmailAddress, Notify: p.Notify, IgnoreExisting: p.IgnoreExisting,
		PublicMetadata: p.PublicMetadata, // nil or empty: left out (omitempty)
		RedirectURL:    nonZero(p.RedirectURL), ExpiresInDays: nonZero(p.ExpiresInDays), TemplateSlug: nonZero(generated.InvitationTemplateSlug(p.TemplateSlug))}
}

// nonZero returns a pointer to v, or nil for the zero value: a field the server defaults.
func nonZero[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	p := new(T) // a copy: v itself does not escape, so a zero value costs no allocation
	*p = v
	return p
}

// ListParams filters, orders and pages a listing; the zero value lists the newest 10
// invitations that are not revoked.
type ListParams struct {
	// Statuses keeps invitations in any of these; none: every status but StatusRevoked, as Clerk
	// lists them.
	Statuses []Status
	Query    string // keeps invitations whose address or id contains it (a substring match)
	// OrderBy is created_at, email_address or expires_at, with "+" (the default) or "-" in
	// front; "": "-created_at", newest first.
	OrderBy string
	Limit   int // 1 to MaxLimit; 0: Clerk's 10
	Offset  int // matches to skip
}

func (p ListParams) validate() error {
	for i, s := range p.Statuses {
		if s == "" || hasControl(string(s)) {
			return &ValidationError{Field: fmt.Sprintf("status[%d]", i), Reason: fmt.Sprintf("%q is not a status", s)}
		}
	}
	if _, _, ok := rules.ParseOrderBy(p.OrderBy); p.OrderBy != "" && !ok {
		return &ValidationError{Field: "order_by", Reason: fmt.Sprintf("%q is not one of %s with an optional + or - in front", p.OrderBy, strings.Join(rules.OrderByFields, ", "))}
	}
	if p.Limit != 0 && (p.Limit < rules.MinLimit || p.Limit > rules.MaxLimit) {
		return &ValidationError{Field: "limit", Reason: fmt.Sprintf("%d is outside %d..%d", p.Limit, rules.MinLimit, rules.MaxLimit)}
	}
	if p.Offset < 0 {
		return &ValidationError{Field: "offset", Reason: fmt.Sprintf("%d is negative", p.Offset)}
	}
	return nil
}

// toGenerated is p as ListInvitations' parameters, always asking for the paginated shape.
func (p ListParams) toGenerated() *generated.ListInvitationsParams {
	g := &generated.ListInvitationsParams{Paginated: Ptr(true), Query: nonZero(p.Query), OrderBy: nonZero(p.OrderBy), Limit: nonZero(p.Limit), Offset: nonZero(p.Offset)}
	for _, s := range p.Statuses {
		g.Status = append(g.Status, generated.InvitationStatus(s))
	}
	return g
}

// checkID refuses an id that could change which endpoint a request hits.
func checkID(id string) error {
	if err := rules.CheckID(id); err != nil {
		return &ValidationError{Field: "invitation_id", Reason: err.Error()}
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
