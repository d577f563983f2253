package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

// A run acts on many invitations (bulk, and revoke, delete or reissue of a selection): it says
// up front what it will do and how long that takes at Clerk's limits, asks on a terminal,
// journals every settled step before the next call, shows its progress, and writes a report
// that --resume goes on from. This file holds what runs share.

// interruption is what the first Ctrl-C says: what the run is doing at that moment.
var interruption struct {
	mu      sync.Mutex
	running bool               // a run is under way
	now     lifecycle.Activity // the call under way, if any
}

// noteActivity records what a run is doing, for the first Ctrl-C to say.
func noteActivity(a lifecycle.Activity) {
	interruption.mu.Lock()
	defer interruption.mu.Unlock()
	interruption.running, interruption.now = true, a
}

// interruptedNote is what the first Ctrl-C prints: "" when no run is under way.
func interruptedNote() string {
	interruption.mu.Lock()
	defer interruption.mu.Unlock()
	a := interruption.now
	switch {
	case !interruption.running:
		return ""
	case a.Operation == "":
		return "clerk-invitations: interrupted; no call is under way, stopping now"
	}
	left := max(0, a.AtMost)
	return fmt.Sprintf("clerk-invitations: interrupted; waiting for the %s under way (%s so far) to finish, at most %s; Ctrl-C again stops at once",
		printable(a.What), time.Since(a.Since).Round(time.Millisecond), left)
}

// dateFlag is a time given as RFC 3339 or as a date (midnight UTC).
type dateFlag struct{ t time.Time }

func (d *dateFlag) String() string {
	if d.t.IsZero() {
		return ""
	}
	return d.t.Format(time.RFC3339)
}

func (d *dateFlag) Set(v string) error {
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			d.t = t
			return nil
		}
	}
	return fmt.Errorf("%q is not a date (2026-01-31) or a time (2026-01-31T12:00:00Z)", v)
}

// selectionFlags choose the invitations a run acts on.
type selectionFlags struct {
	statuses                                   statusList
	query, file, from                          string
	createdBefore, createdAfter, expiresBefore dateFlag
}

const selectionHelp = `selection (combine them; an invitation must match every one given):
  --status S            pending, accepted, revoked or expired (repeatable)
  --query TEXT          address or id contains TEXT
  --created-before T    created before T (a date, 2026-01-31, or an RFC 3339 time)
  --created-after T     created after T
  --expires-before T    expiring before T
  --file FILE           the invitation ids or email addresses in FILE, one per line ("-": standard input)
  --from REPORT         the invitations a bulk (or reissue) run created, by its report
`

func addSelectionFlags(fs *flag.FlagSet) *selectionFlags {
	f := &selectionFlags{}
	fs.Var(&f.statuses, "status", "pending, accepted, revoked or expired (repeatable)")
	fs.StringVar(&f.query, "query", "", "only invitations whose address or id contains this text")
	fs.Var(&f.createdBefore, "created-before", "only invitations created before this date or time")
	fs.Var(&f.createdAfter, "created-after", "only invitations created after this date or time")
	fs.Var(&f.expiresBefore, "expires-before", "only invitations expiring before this date or time")
	fs.StringVar(&f.file, "file", "", "a file of invitation ids or email addresses, one per line")
	fs.StringVar(&f.from, "from", "", "the report of a bulk run: the invitations it created")
	return f
}

// given reports whether any selection flag was given.
func (f *selectionFlags) given(fs *flag.FlagSet) bool {
	given := false
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "status", "query", "created-before", "created-after", "expires-before", "file", "from":
			given = true
		}
	})
	return given
}

// selection reads the flags, the --file and the --from report into a selection.
func (f *selectionFlags) selection(in io.Reader) (lifecycle.Selection, error) {
	sel := lifecycle.Selection{Statuses: f.statuses, Query: f.query, CreatedBefore: f.createdBefore.t, CreatedAfter: f.createdAfter.t, ExpiresBefore: f.expiresBefore.t}
	if f.file != "" {
		ids, emails, err := readSelectionFile(f.file, in)
		if err != nil {
			return sel, fmt.Errorf("--file: %w", err)
		}
		sel.IDs, sel.Emails = ids, emails
	}
	if f.from != "" {
		r, err := readResume(f.from)
		if err != nil {
			return sel, fmt.Errorf("--from: %w", err)
		}
		created := []string{}
		for _, e := range r.Entries {
			switch {
			case e.Result == lifecycle.Created && e.InvitationID != "":
				created = append(created, e.InvitationID)
			case e.Result == lifecycle.Replaced && e.NewInvitationID != "":
				created = append(created, e.NewInvitationID)
			}
		}
		if sel.IDs != nil { // both: the ids in both
			keep := map[string]bool{}
			for _, id := range created {
				keep[id] = true
			}
			var both []string
			for _, id := range sel.IDs {
				if keep[id] {
					both = append(both, id)
				}
			}
			created = append([]string{}, both...)
		}
		sel.IDs = created
	}
	return sel, nil
}

// readSelectionFile reads invitation ids and email addresses, one per line; blank lines and
// lines starting with # are skipped.
func readSelectionFile(path string, in io.Reader) (ids, emails []string, err error) {
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		in = f
	}
	lines := bufio.NewScanner(io.LimitReader(in, maxInputBytes))
	for n := 1; lines.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimPrefix(lines.Text(), "\ufeff"))
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case rules.CheckEmail(line) == nil:
			emails = append(emails, line)
		case rules.CheckID(line) == nil:
			ids = append(ids, line)
		default:
			return nil, nil, fmt.Errorf("line %d is neither an invitation id nor an email address", n)
		}
	}
	if err := lines.Err(); err != nil {
		return nil, nil, err
	}
	if ids == nil && emails == nil {
		return nil, nil, errors.New("holds no invitation id or email address")
	}
	return ids, emails, nil
}

// runFlags are the flags of every run.
type runFlags struct {
	yes, dryRun    bool
	report, resume string
}

const runFlagsHelp = `  --dry-run             list what would be done; change nothing
  --yes                 do not ask before starting
  --report FILE         where to write the report (default: ACTION-TIME.report.json, or the --resume file)
  --resume FILE         the report of an earlier run: go on where it stopped
`

func addRunFlags(fs *flag.FlagSet) *runFlags {
	f := &runFlags{}
	fs.BoolVar(&f.dryRun, "dry-run", false, "list what would be done; change nothing")
	fs.BoolVar(&f.yes, "yes", false, "do not ask before starting")
	fs.StringVar(&f.report, "report", "", "where to write the report")
	fs.StringVar(&f.resume, "resume", "", "the report of an earlier run: go on where it stopped")
	return f
}

// verbs says what each action does, for the statements a run makes.
var verbs = map[lifecycle.Action][2]string{
	lifecycle.ActionRevoke:  {"revoke", "revoking"},
	lifecycle.ActionDelete:  {"delete for good", "deleting"},
	lifecycle.ActionReissue: {"reissue (revoke where pending, invite again)", "reissuing"},
}

// runSelection runs action on the invitations sel selects, or on those an earlier run's report
// (--resume) left to do.
func runSelection(ctx context.Context, name string, action lifecycle.Action, sel lifecycle.Selection, rf *runFlags, reissue lifecycle.ReissueParams,
	api *apiFlags, client *invitations.Client, env func(string) string, con console) int {
	m := lifecycle.New(client)
	reportPath := rf.report
	var plan *lifecycle.Report
	if rf.resume != "" {
		var err error
		if plan, err = readResume(rf.resume); err != nil {
			return usageError(con, name, "--resume: %v", err)
		}
		if plan.Action != action {
			return usageError(con, name, "--resume: %s is the report of a %s run, not of %s", rf.resume, cmp.Or(string(plan.Action), "bulk"), action)
		}
		reportPath = cmp.Or(reportPath, rf.resume)
	} else {
		var err error
		if plan, err = m.Plan(ctx, action, sel); err != nil {
			var verr *invitations.ValidationError
			if errors.As(err, &verr) {
				return usageError(con, name, "%v", err)
			}
			return failed(con, name, err)
		}
		reportPath = cmp.Or(reportPath, fmt.Sprintf("%s-%s.report.json", action, time.Now().UTC().Format("20060102T150405Z")))
	}
	todo := len(plan.Entries) - countFinal(plan)
	budgets, _ := api.budgets(env("CLERK_SECRET_KEY"))
	statement := fmt.Sprintf("%d invitations to %s", todo, verbs[action][0])
	if budgets != nil && todo > 0 {
		statement += "; " + atLimits(api.limitsName(env("CLERK_SECRET_KEY")), plan.LeastTime(*budgets))
	}
	if rf.dryRun {
		plan.MarkDryRun()
		fmt.Fprintf(con.err, "Dry run: %s. Nothing was changed.\n", statement)
		if err := printReport(con.out, api.output, plan, true); err != nil {
			return failed(con, name, err)
		}
		return exitOK
	}
	if todo == 0 {
		fmt.Fprintf(con.err, "Nothing to %s: no invitation left to act on.\n", verbs[action][0])
		return exitOK
	}
	fmt.Fprintf(con.err, "%s.\n", statement)
	if con.inTTY && !rf.yes {
		if !confirm(con, "Go on?") {
			fmt.Fprintln(con.err, "nothing changed")
			return exitOK
		}
	}
	// Before any call: the plan is saved where the report goes (a run killed at any point
	// resumes from it), and the journal is opened beside it.
	if err := writeReport(reportPath, plan); err != nil {
		return usageError(con, name, "the report cannot be written there (give --report FILE): %v", err)
	}
	jr, err := openJournal(reportPath+".journal", rf.resume != "" && rf.resume == reportPath)
	if err != nil {
		return usageError(con, name, "%v", err)
	}
	defer jr.close()

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	view := newProgressView(con.err, con.errTTY, len(plan.Entries)-todo)
	var runErr error
	for e, err := range m.Run(runCtx, plan, lifecycle.RunOptions{Reissue: reissue, FinishTimeout: api.timeout, Activity: noteActivity}) {
		if err != nil {
			runErr = err
			continue
		}
		if err := jr.add([]lifecycle.Entry{e}); err != nil {
			cancel(err) // nothing more is sent that the journal could not record
		}
		plan.Record(e)
		least := time.Duration(0)
		if budgets != nil {
			least = plan.LeastTime(*budgets)
		}
		view.update(len(plan.Entries)-countTodo(plan), len(plan.Entries), plan.Counts, least)
	}
	view.finish()
	if cause := context.Cause(runCtx); runErr != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		runErr = fmt.Errorf("writing the journal: %w", cause)
	}
	return finishRun(con, name, api.output, reportPath, plan, jr, runErr)
}

// finishRun writes a run's report in place of its journal, prints it, and returns the exit
// status: 0 every entry settled, 1 the run failed, 3 some failed, 130 interrupted.
func finishRun(con console, name, output, reportPath string, report *lifecycle.Report, jr *journal, runErr error) int {
	if err := writeReport(reportPath, report); err != nil {
		fmt.Fprintf(con.err, "clerk-invitations %s: writing the report: %v\n", name, err)
		if jr != nil {
			fmt.Fprintf(con.err, "what the run settled is in %s; run again with --resume %s\n", jr.f.Name(), reportPath)
		}
		return exitFailed
	}
	jr.remove() // the report holds it all now
	if err := printReport(con.out, output, report, false); err != nil {
		return failed(con, name, err)
	}
	fmt.Fprintf(con.err, "report: %s\n", reportPath)
	left := report.Counts[lifecycle.NotSent]
	switch {
	case errors.Is(runErr, context.Canceled) || errors.Is(runErr, context.DeadlineExceeded):
		fmt.Fprintf(con.err, "interrupted: %d not sent, %d failed; run again with --resume %s\n", left, report.Counts[lifecycle.Failed], reportPath)
		return exitInterrupted
	case runErr != nil:
		fmt.Fprintf(con.err, "clerk-invitations %s: %s\n", name, printable(runErr.Error()))
		fmt.Fprintf(con.err, "run again with --resume %s to do the rest\n", reportPath)
		return exitFailed
	case !report.Complete:
		fmt.Fprintf(con.err, "%d failed or left to do; run again with --resume %s to retry them\n", len(report.Entries)-countFinal(report), reportPath)
		return exitPartial
	}
	return exitOK
}

// atLimits says how long Clerk's limits let a run take at the least.
func atLimits(limits string, least time.Duration) string {
	if least < time.Second {
		return fmt.Sprintf("Clerk's %s limits let it go at once", limits)
	}
	return fmt.Sprintf("at Clerk's %s limits this takes at least %s", limits, least.Round(time.Second))
}

// countFinal counts the entries a resumed run keeps.
func countFinal(r *lifecycle.Report) int {
	n := 0
	for result, k := range r.Counts {
		if result.Final(r.Action) {
			n += k
		}
	}
	return n
}

// countTodo counts the entries not yet settled by this run or an earlier one.
func countTodo(r *lifecycle.Report) int { return r.Counts[lifecycle.NotSent] }

// printReport prints a report: a table of results with a line per entry that failed or was
// skipped (every entry, for a dry run), the report as JSON, or its entries as CSV.
func printReport(w io.Writer, format string, r *lifecycle.Report, every bool) error {
	switch format {
	case "json":
		return writeJSON(w, r)
	case "csv":
		var b bytes.Buffer
		cw := newCSV(&b)
		cw.row("email_address", "invitation_id", "result", "new_invitation_id", "error")
		for _, e := range r.Entries {
			cw.row(e.EmailAddress, e.InvitationID, string(e.Result), e.NewInvitationID, e.Error)
		}
		if err := cw.flush(); err != nil {
			return err
		}
		_, err := w.Write(b.Bytes())
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tCOUNT")
	for _, res := range resultOrder {
		if n := r.Counts[res]; n > 0 {
			fmt.Fprintf(tw, "%s\t%d\n", res, n)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range r.Entries {
		if every || e.Result == lifecycle.Invalid || e.Result == lifecycle.Failed || e.Result == lifecycle.Skipped {
			line := fmt.Sprintf("%s %s", e.Result, printable(e.EmailAddress))
			if e.InvitationID != "" && r.Action != "" {
				line += " " + printable(e.InvitationID)
			}
			if e.Error != "" {
				line += ": " + printable(e.Error)
			}
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
		}
	}
	return nil
}

// resultOrder is the order results are counted in.
var resultOrder = []lifecycle.Result{lifecycle.Created, lifecycle.Revoked, lifecycle.Deleted, lifecycle.Replaced, lifecycle.AlreadyInvited,
	lifecycle.AlreadyUser, lifecycle.Invalid, lifecycle.Skipped, lifecycle.Failed, lifecycle.NotSent,
	lifecycle.WouldCreate, lifecycle.WouldRevoke, lifecycle.WouldDelete, lifecycle.WouldReissue}
