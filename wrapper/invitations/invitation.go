package invitations

import (
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// Operation names a call of the API in errors, logs, Client.Ready and invitationstest's faults.
type Operation string

// The operations, by the methods that call them and Clerk's names.
const (
	OpCreate     Operation = rules.OpCreate // "create": Create, CreateInvitation
	OpBulkCreate Operation = rules.OpBulk   // "bulk create": BulkCreate, CreateBulkInvitations
	OpList       Operation = rules.OpList   // "list": List, All, Get; ListInvitations
	OpRevoke     Operation = rules.OpRevoke // "revoke": Revoke, RevokeInvitation
	OpDelete     Operation = rules.OpDelete // "delete": Delete, DeleteInvitation
)

// Status is where an invitation is in its life. Clerk may add statuses, which decode as their
// own values: compare with the constants and keep a default.
type Status string

// The statuses Clerk documents.
const (
	StatusPending  Status = "pending"  // sent and unused; the only status that can be revoked
	StatusAccepted Status = "accepted" // the person signed up through the link
	StatusRevoked  Status = "revoked"  // the link no longer works
	StatusExpired  Status = "expired"  // the link leads to ordinary sign-up
)

// TemplateSlug selects the email template.
type TemplateSlug string

// The templates Clerk offers.
const (
	TemplateInvitation         TemplateSlug = "invitation"
	TemplateWaitlistInvitation TemplateSlug = "waitlist_invitation"
)

// Invitation is one application invitation as Clerk returns it.
type Invitation struct {
	ID           string // "inv_…"
	EmailAddress string
	Status       Status
	Revoked      bool
	URL          string // the accept link; "" when Clerk sends none
	// PublicMetadata is copied to the user at sign-up: empty and non-nil for an invitation
	// created without, nil when the answer held null.
	PublicMetadata       map[string]any
	ExpiresAt            time.Time // zero when it never expires
	CreatedAt, UpdatedAt time.Time
}

// Page is one page of a listing.
type Page struct {
	Invitations []Invitation
	TotalCount  int // how many invitations match, across all pages
}
