package invitations

import (
	"fmt"
	"strings"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// Clerk's limits, enforced before a request is sent. (They are written out for go doc; the
// checks use the project's one definition in internal/rules, and a test keeps both equal.)
const (
	MaxBulkItems     = 10      // the most items one BulkCreate call takes
	MaxExpiresInDays = 365     // the longest CreateParams.ExpiresInDays
	MaxLimit         = 500     // the largest ListParams.Limit
	MaxMetadataBytes = 8 << 10 // CreateParams.PublicMetadata encoded as JSON: 8 KB
)

// maxIDLength bounds an invitation id; Clerk's are about 31 bytes.
const maxIDLength = 128

// CreateParams describes one invitation to create. Only EmailAddress is required; every other
// field left at its zero value is not sent, and Clerk applies its default.
type CreateParams struct {
	// EmailAddress is who is invited. Required; must be a plain address ("ada@example.com").
	EmailAddress string
	// PublicMetadata is copied into the user's public metadata when they sign up. At most
	// MaxMetadataBytes once encoded as JSON. Nil or empty: none is sent.
	PublicMetadata map[string]any
	// RedirectURL is where the link in the email lands (for custom flows): an http or https
	// URL, or a path. "": not sent.
	RedirectURL string
	// Notify says whether Clerk emails the invitation. Nil: Clerk's default, which is to send it.
	// Ptr(false) creates the invitation without an email.
	Notify *bool
	// IgnoreExisting creates the invitation even when a pending one exists for the address.
	// Nil: Clerk's default (false), so a duplicate fails with ErrDuplicate.
	IgnoreExisting *bool
	// ExpiresInDays is how long the invitation is valid, 1 to MaxExpiresInDays. 0: Clerk's
	// default of 30.
	ExpiresInDays int
	// TemplateSlug selects the email template. "": Clerk's default (TemplateInvitation).
	TemplateSlug TemplateSlug
}

// Ptr returns a pointer to v, for the optional fields: CreateParams{Notify: invitations.Ptr(false)}.
func Ptr[T any](v T) *T { return &v }

// Validate returns the *ValidationError Create would return for p before sending anything, or
// nil: for work that checks invitations before queuing them. It names the first bad field, and
// never quotes the address (errors end up in logs).
func (p CreateParams) Validate() error {
	if err := p.validate(); err != nil {
		return err
	}
	return nil
}

// validate is Validate; BulkCreate puts "items[3]." before the field it names.
func (p CreateParams) validate() *ValidationError {
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

// ListParams filters, orders and pages a listing. The zero value lists the newest 10
// invitations that are not revoked.
type ListParams struct {
	// Statuses keeps only invitations in any of these states. Empty: every status but
	// StatusRevoked, as Clerk lists them; name StatusRevoked to see revoked ones.
	Statuses []Status
	// Query keeps only invitations whose email address or id contains this text. "": no filter.
	Query string
	// OrderBy is a field, created_at, email_address or expires_at, with an optional "+"
	// (ascending, also when no sign is given) or "-" (descending) in front. "": "-created_at".
	OrderBy string
	// Limit is the page size, 1 to MaxLimit. 0: Clerk's default of 10.
	Limit int
	// Offset skips this many matching invitations; must not be negative.
	Offset int
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

// checkID rejects an invitation id that is empty or could change which endpoint a request hits:
// only letters, digits, '_' and '-' are allowed, which every Clerk id ("inv_…") satisfies.
func checkID(id string) error {
	if id == "" {
		return &ValidationError{Field: "invitation_id", Reason: "is empty"}
	}
	if len(id) > maxIDLength {
		return &ValidationError{Field: "invitation_id", Reason: fmt.Sprintf("is longer than %d bytes", maxIDLength)}
	}
	for i, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return &ValidationError{Field: "invitation_id", Reason: fmt.Sprintf("contains %q at byte %d; only letters, digits, '_' and '-' are allowed", r, i)}
		}
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
