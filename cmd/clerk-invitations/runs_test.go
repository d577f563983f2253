package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

// TestUndoABulkRunFromTheCommandLine: revoke --from a bulk report revokes exactly what that run
// created and is still pending, says so first, and writes a report.
func TestUndoABulkRunFromTheCommandLine(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	other, err := c.srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: "other@example.com", Notify: invitations.Ptr(false)})
	require.NoError(t, err)
	dir := t.TempDir()
	bulkReport := filepath.Join(dir, "team.report.json")
	c.ok("bulk", writeFile(t, "team.txt", "a@example.com\nb@example.com\nc@example.com\n"), "--notify=false", "--pacing", "none", "--report", bulkReport)
	saved, err := readReport(bulkReport)
	require.NoError(t, err)
	require.NoError(t, c.srv.Accept(saved.Entries[0].InvitationID)) // a signed up meanwhile

	report := filepath.Join(dir, "undo.json")
	r := c.run("", false, "revoke", "--from", bulkReport, "--report", report, "--pacing", "dev")
	require.Equal(t, exitOK, r.code, r.err)
	assert.Contains(t, r.err, "2 invitations to revoke; Clerk's development limits let it go at once")
	assert.Regexp(t, `(?m)^revoked\s+2$`, r.out)
	undo, err := readReport(report)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.ActionRevoke, undo.Action)
	assert.True(t, undo.Complete)
	for _, e := range saved.Entries[1:] {
		d, _ := c.srv.Lookup(e.InvitationID)
		assert.Equal(t, invitations.StatusRevoked, d.Status, e.EmailAddress)
	}
	d, _ := c.srv.Lookup(saved.Entries[0].InvitationID)
	assert.Equal(t, invitations.StatusAccepted, d.Status)
	d, _ = c.srv.Lookup(other.ID)
	assert.Equal(t, invitations.StatusPending, d.Status, "not that run's")
	_, err = os.Stat(report + ".journal")
	assert.ErrorIs(t, err, os.ErrNotExist, "the report replaces the journal")

	// Resuming the done run acts on nothing; resuming it as another action is refused.
	r = c.ok("revoke", "--resume", report)
	assert.Contains(t, r.err, "Nothing to revoke")
	r = c.run("", false, "delete", "--resume", report)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.err, "is the report of a revoke run, not of delete")
	r = c.run("", false, "revoke", "--resume", bulkReport)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.err, "is the report of a bulk run, not of revoke")
}

// TestResendExpiredFromTheCommandLine: reissue --status expired gives every expired invitation
// a replacement with its metadata, and the report names each.
func TestResendExpiredFromTheCommandLine(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	var expired []string
	for i := range 3 {
		inv, err := c.srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: fmt.Sprintf("x%d@example.com", i),
			PublicMetadata: map[string]any{"n": i}, Notify: invitations.Ptr(false)})
		require.NoError(t, err)
		require.NoError(t, c.srv.Expire(inv.ID))
		expired = append(expired, inv.ID)
	}
	pending, err := c.srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: "p@example.com", Notify: invitations.Ptr(false)})
	require.NoError(t, err)

	r := c.ok("reissue", "--status", "expired", "--notify=false", "--expires-in-days", "14", "--output", "json", "--report", filepath.Join(t.TempDir(), "r.json"))
	var report lifecycle.Report
	require.NoError(t, json.Unmarshal([]byte(r.out), &report))
	assert.Equal(t, map[lifecycle.Result]int{lifecycle.Replaced: 3}, report.Counts)
	for _, e := range report.Entries {
		d, ok := c.srv.Lookup(e.NewInvitationID)
		require.True(t, ok)
		assert.Equal(t, invitations.StatusPending, d.Status)
		assert.Equal(t, e.EmailAddress, d.EmailAddress)
		assert.False(t, d.Notified)
	}
	d, _ := c.srv.Lookup(pending.ID)
	assert.Equal(t, invitations.StatusPending, d.Status, "not selected")
	for _, id := range expired {
		d, _ := c.srv.Lookup(id)
		assert.Equal(t, invitations.StatusExpired, d.Status)
	}
}

func TestADryRunChangesNothing(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for i := range 3 {
		inv, err := c.srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: fmt.Sprintf("=cmd%d@example.com", i), Notify: invitations.Ptr(false)})
		require.NoError(t, err)
		_, err = c.srv.Client.Revoke(t.Context(), inv.ID)
		require.NoError(t, err)
	}
	r := c.ok("delete", "--status", "revoked", "--dry-run", "--output", "csv")
	assert.Contains(t, r.err, "Dry run: 3 invitations to delete for good")
	rows, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4)
	assert.Equal(t, []string{"email_address", "invitation_id", "result", "new_invitation_id", "error"}, rows[0])
	assert.Equal(t, "would_delete", rows[1][2])
	assert.True(t, strings.HasPrefix(rows[1][0], "'="), "a formula cell is neutralised: %q", rows[1][0])
	assert.Equal(t, 3, c.srv.Len())
}

func TestARunAsksFirstOnATerminal(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for i := range 2 {
		_, err := c.srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: fmt.Sprintf("t%d@old.example.com", i), Notify: invitations.Ptr(false)})
		require.NoError(t, err)
	}
	report := filepath.Join(t.TempDir(), "r.json")
	r := c.run("no\n", true, "revoke", "--query", "@old.example.com", "--report", report)
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.err, "2 invitations to revoke; Clerk's development limits let it go at once.")
	assert.Contains(t, r.err, "Go on? [y/N]")
	assert.Contains(t, r.err, "nothing changed")
	_, err := os.Stat(report)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing written either")

	r = c.run("y\n", true, "revoke", "--query", "@old.example.com", "--report", report)
	assert.Equal(t, exitOK, r.code, r.err)
	assert.Regexp(t, `(?m)^revoked\s+2$`, r.out)
}

// TestResumeKnowsWhatBothTheReportAndTheJournalSettled: a run resumed from a report, then cut
// short, leaves the report of the first run and the journal of the second; resuming again acts
// only on what neither settled.
func TestResumeKnowsWhatBothTheReportAndTheJournalSettled(t *testing.T) {
	t.Parallel()
	for _, action := range []string{"bulk", "revoke"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			c := newCLI(t)
			var lines []string
			for i := range 6 {
				lines = append(lines, fmt.Sprintf("j%d@example.com", i))
			}
			file := writeFile(t, "l.txt", strings.Join(lines, "\n")+"\n")
			report := filepath.Join(t.TempDir(), "r.json")
			boom := invitationstest.Fault{Status: 500, Header: http.Header{"Content-Type": {"application/json"}},
				Body: `{"errors":[{"code":"internal_clerk_error","message":"x","long_message":"boom"}]}`}
			args := []string{"bulk", file, "--notify=false", "--pacing", "none"}
			op := invitations.OpCreate
			if action == "revoke" {
				c.ok("bulk", file, "--notify=false", "--pacing", "none", "--report", filepath.Join(t.TempDir(), "b.json"))
				args, op = []string{"revoke", "--query", "@example.com"}, invitations.OpRevoke
			}
			// First run: everything fails (the bulk call of six; five revokes in a row, which
			// stop the run).
			if action == "bulk" {
				c.srv.FailNext(invitations.OpBulkCreate, 1, boom)
			} else {
				c.srv.FailNext(op, 5, boom)
			}
			r := c.run("", false, append(args, "--report", report)...)
			assert.NotEqual(t, exitOK, r.code)
			first, err := readReport(report)
			require.NoError(t, err)
			require.False(t, first.Complete)

			// The journal of a second run cut short: what it settled, the report does not know.
			settledBySecond := lifecycle.Entry{EmailAddress: lines[0], Result: lifecycle.Created, InvitationID: "inv_fromthejournal"}
			if action == "revoke" {
				settledBySecond = first.Entries[0]
				settledBySecond.Result, settledBySecond.Error = lifecycle.Revoked, ""
				_, err := c.srv.Client.Revoke(t.Context(), settledBySecond.InvitationID)
				require.NoError(t, err)
			} else {
				_, err := c.srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: lines[0], Notify: invitations.Ptr(false)})
				require.NoError(t, err)
			}
			jr, err := openJournal(report+".journal", false)
			require.NoError(t, err)
			require.NoError(t, jr.add([]lifecycle.Entry{settledBySecond}))
			jr.close()

			c.srv.ClearRequests()
			resumeArgs := []string{"revoke", "--resume", report}
			if action == "bulk" {
				resumeArgs = []string{"bulk", file, "--notify=false", "--pacing", "none", "--resume", report}
			}
			r = c.run("", false, resumeArgs...)
			require.Equal(t, exitOK, r.code, r.err)
			done, err := readReport(report)
			require.NoError(t, err)
			assert.True(t, done.Complete)
			for _, req := range c.srv.Requests() {
				assert.NotContains(t, req.Path, settledBySecond.InvitationID, "what the journal settled is not acted on again")
				if action == "bulk" {
					assert.NotEqual(t, invitations.OpCreate, req.Operation, "one bulk call for the five left")
				}
			}
		})
	}
}

func TestWatchFromTheCommandLine(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	a, err := c.srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: "a@example.com", Notify: invitations.Ptr(false)})
	require.NoError(t, err)
	state := filepath.Join(t.TempDir(), "state.json")
	r := c.ok("watch", "--state", state, "--once")
	assert.Empty(t, r.out, "the first poll only learns what exists")

	require.NoError(t, c.srv.Accept(a.ID))
	c.srv.Advance(time.Second)
	_, err = c.srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: "b\u009b@example.com", Notify: invitations.Ptr(false)})
	require.Error(t, err, "an address with a C1 control character is refused")
	_, err = c.srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: "b@example.com", Notify: invitations.Ptr(false)})
	require.NoError(t, err)
	r = c.ok("watch", "--state", state, "--once")
	assert.Regexp(t, `(?m)^\S+ accepted +inv_\w+ a@example.com \(pending -> accepted\)$`, r.out)
	assert.Regexp(t, `(?m)^\S+ created +inv_\w+ b@example.com \(new -> pending\)$`, r.out)
	assert.Len(t, strings.Split(strings.TrimSpace(r.out), "\n"), 2, r.out)
	r = c.ok("watch", "--state", state, "--once")
	assert.Empty(t, r.out, "nothing twice")

	_, err = c.srv.Client.Revoke(t.Context(), a.ID)
	require.Error(t, err, "accepted: not revocable")
	found, err := lifecycle.New(c.srv.Client).FindByEmail(t.Context(), "b@example.com")
	require.NoError(t, err)
	require.NoError(t, c.srv.Client.Delete(t.Context(), found[0].ID))
	r = c.ok("watch", "--state", state, "--once", "--output", "json")
	var change changeJSON
	require.NoError(t, json.Unmarshal([]byte(r.out), &change))
	assert.Equal(t, "deleted", change.Change)
	assert.Equal(t, invitations.StatusPending, change.OldStatus)
	assert.Equal(t, "b@example.com", change.Invitation.EmailAddress)

	require.NoError(t, os.WriteFile(state, []byte(`{"not":"a state"}`), 0o600))
	r = c.run("", false, "watch", "--state", state, "--once")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.err, "is not a state this command saved")
	data, err := os.ReadFile(state)
	require.NoError(t, err)
	assert.Equal(t, `{"not":"a state"}`, string(data), "left as it was")
}

// TestTerminalOutputEscapesC1AndCSVNeutralisesTabAndCR: what the server says is printed with
// C1 control characters escaped as well as C0 ones, and a CSV cell starting with a tab or a
// carriage return is neutralised as one starting with = is.
func TestTerminalOutputEscapesC1AndCSVNeutralisesTabAndCR(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	inv, err := c.srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com",
		PublicMetadata: map[string]any{"note": "\u009b2J\u0085"}, Notify: invitations.Ptr(false)})
	require.NoError(t, err)
	r := c.ok("get", inv.ID)
	assert.NotContains(t, r.out, "\u009b")
	assert.NotContains(t, r.out, "\u0085")
	assert.Contains(t, r.out, `\x9b2J\x85`)
	for in, want := range map[string]string{"\tx": "'\tx", "\rx": "'\rx", "=x": "'=x", "x": "x"} {
		assert.Equal(t, want, csvCell(in))
	}
}
