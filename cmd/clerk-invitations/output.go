package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// invitationJSON is an invitation as the tool prints it for scripts: Clerk's field names, times
// in RFC 3339.
type invitationJSON struct {
	ID             string         `json:"id"`
	EmailAddress   string         `json:"email_address"`
	Status         string         `json:"status"`
	Revoked        bool           `json:"revoked"`
	URL            string         `json:"url,omitempty"`
	PublicMetadata map[string]any `json:"public_metadata"`
	ExpiresAt      *time.Time     `json:"expires_at"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

func toJSON(inv invitations.Invitation) invitationJSON {
	out := invitationJSON{ID: inv.ID, EmailAddress: inv.EmailAddress, Status: string(inv.Status), Revoked: inv.Revoked, URL: inv.URL,
		PublicMetadata: inv.PublicMetadata, CreatedAt: inv.CreatedAt, UpdatedAt: inv.UpdatedAt}
	if !inv.ExpiresAt.IsZero() {
		out.ExpiresAt = &inv.ExpiresAt
	}
	return out
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func metadata(m map[string]any) string {
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// printInvitation prints one invitation: fields one per line in a table, an object in JSON.
func printInvitation(w io.Writer, format string, inv invitations.Invitation) error {
	switch format {
	case "json":
		return writeJSON(w, toJSON(inv))
	case "csv":
		return printInvitations(w, format, []invitations.Invitation{inv})
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range [][2]string{
		{"id", inv.ID}, {"email", inv.EmailAddress}, {"status", string(inv.Status)}, {"created", when(inv.CreatedAt)},
		{"expires", when(inv.ExpiresAt)}, {"url", inv.URL}, {"metadata", metadata(inv.PublicMetadata)},
	} {
		if row[1] != "" {
			fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
		}
	}
	return tw.Flush()
}

// printInvitations prints a list: a table, a JSON array or CSV with a header row.
func printInvitations(w io.Writer, format string, invs []invitations.Invitation) error {
	switch format {
	case "json":
		out := make([]invitationJSON, len(invs))
		for i, inv := range invs {
			out[i] = toJSON(inv)
		}
		return writeJSON(w, out)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"id", "email_address", "status", "revoked", "created_at", "expires_at", "url", "public_metadata"})
		for _, inv := range invs {
			expires := ""
			if !inv.ExpiresAt.IsZero() {
				expires = inv.ExpiresAt.Format(time.RFC3339)
			}
			_ = cw.Write([]string{inv.ID, inv.EmailAddress, string(inv.Status), strconv.FormatBool(inv.Revoked),
				inv.CreatedAt.Format(time.RFC3339), expires, inv.URL, metadata(inv.PublicMetadata)})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tSTATUS\tCREATED\tEXPIRES")
	for _, inv := range invs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", inv.ID, inv.EmailAddress, inv.Status, when(inv.CreatedAt), when(inv.ExpiresAt))
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
