package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

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
			fmt.Fprintf(tw, "%s\t%s\n", row[0], printable(row[1]))
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
		cw := newCSV(w)
		cw.row("id", "email_address", "status", "revoked", "created_at", "expires_at", "url", "public_metadata")
		for _, inv := range invs {
			expires := ""
			if !inv.ExpiresAt.IsZero() {
				expires = inv.ExpiresAt.Format(time.RFC3339)
			}
			cw.row(inv.ID, inv.EmailAddress, string(inv.Status), strconv.FormatBool(inv.Revoked),
				inv.CreatedAt.Format(time.RFC3339), expires, inv.URL, metadata(inv.PublicMetadata))
		}
		return cw.flush()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tSTATUS\tCREATED\tEXPIRES")
	for _, inv := range invs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", printable(inv.ID), printable(inv.EmailAddress), printable(string(inv.Status)), when(inv.CreatedAt), when(inv.ExpiresAt))
	}
	return tw.Flush()
}

// printable returns s safe to print on a terminal: control characters (C0, C1, DEL) and
// invisible or direction-changing format characters (bidi overrides, zero widths, byte-order
// marks) are written as Go escapes (\x1b, \u202e), so that what a server or an input file holds
// cannot clear the screen, retitle the terminal or reorder what is shown. JSON output is exact.
func printable(s string) string {
	if !strings.ContainsFunc(s, unprintable) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unprintable(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func unprintable(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }

// csvWriter writes CSV rows with csvCell applied to every cell.
type csvWriter struct{ w *csv.Writer }

func newCSV(w io.Writer) csvWriter { return csvWriter{csv.NewWriter(w)} }

func (c csvWriter) row(cells ...string) {
	for i := range cells {
		cells[i] = csvCell(cells[i])
	}
	_ = c.w.Write(cells)
}

func (c csvWriter) flush() error {
	c.w.Flush()
	return c.w.Error()
}

// csvCell neutralises a cell that a spreadsheet would run as a formula (a leading =, +, -, @,
// tab or carriage return, as OWASP's CSV-injection guidance lists them) by putting ' in front.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }
