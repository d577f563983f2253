package invitations

import (
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// Operation names a call of Clerk's invitation API, as errors (APIError.Operation), log
// records, Client.Ready and the embedded Clerk's faults (invitationstest) name it.
type Operation string

// The operations.
const (
	OpCreate     Operation = rules.OpCreate // Create: CreateInvitation, POST /invitations
	OpBulkCreate Operation = rules.OpBulk   // BulkCreate: CreateBulkInvitations, POST /invitations/bulk
	OpList       Operation = rules.OpList   // List, All, Get: ListInvitations, GET /invitations
	OpRevoke     Operation = rules.OpRevoke // Revoke: RevokeInvitation, POST /invitations/{invitation_id}/revoke
	OpDelete     Operation = rules.OpDelete // Delete: DeleteInvitation, DELETE /invitations/{invitation_id}
)

// Status is where an invitation is in its life. It is an open set: a status Clerk adds later
// decodes as its own value rather than failing, so compare with the constants and keep a default.
type Status string

// The statuses Clerk documents.
const (
	StatusPending  Status = "pending"  // sent, not yet used; the only status that can be revoked
	StatusAccepted Status = "accepted" // the person signed up through the link
	StatusRevoked  Status = "revoked"  // revoked; the link no longer works
	StatusExpired  Status = "expired"  // past its expiry; the link leads to ordinary sign-up
)

// TemplateSlug selects the email template an invitation is sent with.
type TemplateSlug string

// The templates Clerk offers.
const (
	TemplateInvitation         TemplateSlug = "invitation"
	TemplateWaitlistInvitation TemplateSlug = "waitlist_invitation"
)

// Invitation is one application invitation as Clerk returns it.
type Invitation struct {
	ID           string // "inv_…"
	EmailAddress string // who was invited
	Status       Status // see the Status constants; may hold a value added later
	Revoked      bool   // true once revoked
	URL          string // the accept link; "" when Clerk does not return one
	// PublicMetadata is copied to the user at sign-up. Clerk answers {} for an invitation
	// created without metadata, which decodes to an empty, non-nil map; nil means the answer
	// held null or no public_metadata at all.
	PublicMetadata map[string]any
	ExpiresAt      time.Time // zero when the invitation never expires
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Page is one page of a listing.
type Page struct {
	Invitations []Invitation
	TotalCount  int // how many invitations match the filters, across all pages
}
