package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

const bulkHelp = `usage: clerk-invitations bulk FILE [flags]

Invites every address in FILE ("-" for standard input), paced to Clerk's rate limits (25 bulk
calls of up to 10 addresses and 100 single creates an hour: 350 invitations), and writes a
report saying, per address: created, already invited, already a user, invalid or failed (with
the error). Addresses are trimmed and de-duplicated, ignoring case; nobody is invited twice,
also when a run is resumed.

FILE is CSV with a header row, or one address per line (blank lines and lines starting with #
are skipped), in UTF-8 or in UTF-16 with a byte-order mark; at most 32 MiB and 100,000
addresses. CSV columns: email_address (required), public_metadata (a JSON object),
redirect_url, expires_in_days, template_slug (invitation or waitlist_invitation).

Clerk emails every invitation unless --notify=false. The tool first says how many addresses it
is about to invite and how long that takes at least at Clerk's limits; on a terminal it asks to
go on (--yes skips the question), and shows a progress bar with the rate and the time left
(pacing waits included). Ctrl-C, SIGTERM or a closed terminal (SIGHUP) says what the run is
waiting for, lets the call under way finish (within --timeout), writes the report and stops
(130; a second Ctrl-C stops at once); run again with --resume REPORT to invite the rest. While a
run sends, every settled address goes to REPORT.journal, synced before the next call, so that
--resume REPORT also goes on after a kill or a crash.

flags:
  --dry-run         check the file and report what would be done; send nothing
  --report FILE     where to write the report (default: FILE.report.json, or the --resume file)
  --resume FILE     a report of an earlier run over the same file: skip what it settled
  --notify=false    create the invitations without sending emails
  --yes             do not ask before starting
` + apiFlagsHelp + `
exit status: 0 every address settled, 1 the run failed, 2 a usage or file error, 3 some addresses
failed (see the report; --resume retries them), 130 interrupted

examples:
  clerk-invitations bulk team.csv --dry-run
  clerk-invitations bulk team.csv --notify=false --report team-report.json
  clerk-invitations bulk team.csv --resume team-report.json
  cut -d, -f1 users.csv | clerk-invitations bulk - --yes
`

func bulkCmd(ctx context.Context, args []string, env func(string) string, con console) int {
	fs := newFlags("bulk")
	api := addAPIFlags(fs, env)
	dryRun := fs.Bool("dry-run", false, "report what would be done; send nothing")
	reportPath := fs.String("report", "", "where to write the report")
	resumePath := fs.String("resume", "", "a report of an earlier run: skip what it settled")
	notify := fs.Bool("notify", true, "email the invitations (--notify=false sends none)")
	yes := fs.Bool("yes", false, "do not ask before starting")
	pos, code, ok := parseArgs(fs, args, bulkHelp, con)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(con, "bulk", "give one file (or - for standard input)")
	}
	items, err := readInvitationsFile(pos[0], con.in)
	if err != nil {
		return usageError(con, "bulk", "%v", err)
	}
	if len(items) == 0 {
		return usageError(con, "bulk", "%s holds no address", pos[0])
	}
	if !*notify {
		for i := range items {
			items[i].Notify = invitations.Ptr(false)
		}
	}
	var resume *lifecycle.Report
	if *resumePath != "" {
		if resume, err = readResume(*resumePath); err != nil {
			return usageError(con, "bulk", "--resume: %v", err)
		}
	}
	switch {
	case *reportPath != "":
	case *resumePath != "":
		*reportPath = *resumePath
	case pos[0] == "-":
		*reportPath = "invitations-report.json"
	default:
		*reportPath = strings.TrimSuffix(pos[0], filepath.Ext(pos[0])) + ".report.json"
	}
	client, err := api.client(env)
	if err != nil {
		return usageError(con, "bulk", "%v", err)
	}

	budgets, _ := api.budgets(env("CLERK_SECRET_KEY"))
	took := func(n int) string {
		if budgets == nil || n == 0 {
			return ""
		}
		said := atLimits(api.limitsName(env("CLERK_SECRET_KEY")), lifecycle.LeastTime(*budgets, 0, n))
		return " " + strings.ToUpper(said[:1]) + said[1:] + "."
	}
	switch {
	case !*dryRun && con.inTTY && !*yes:
		preview, err := lifecycle.New(client).InviteMany(ctx, items, lifecycle.InviteOptions{DryRun: true, Resume: resume})
		if err != nil {
			return failed(con, "bulk", err)
		}
		fmt.Fprintln(con.err, plan(preview, *notify, false)+took(preview.Counts[lifecycle.WouldCreate]))
		if !confirm(con, "Go on?") {
			fmt.Fprintln(con.err, "nothing sent")
			return exitOK
		}
	case !*dryRun:
		n := toInvite(items, resume)
		fmt.Fprintf(con.err, "Inviting up to %d addresses.%s\n", n, took(n))
	}
	// Before anything is sent: the journal proves the report can be written where it goes.
	var jr *journal
	if !*dryRun {
		if jr, err = openJournal(*reportPath+".journal", *resumePath != "" && *resumePath == *reportPath); err != nil {
			return usageError(con, "bulk", "%v", err)
		}
		defer jr.close()
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	view := newProgressView(con.err, con.errTTY, -1)
	// After Ctrl-C the call under way gets one attempt's --timeout to finish, then is given up.
	report, runErr := lifecycle.New(client).InviteMany(runCtx, items, lifecycle.InviteOptions{DryRun: *dryRun, Resume: resume, FinishTimeout: api.timeout,
		Activity: noteActivity, Progress: func(p lifecycle.Progress) {
			if err := jr.add(p.Settled); err != nil {
				cancel(err) // nothing more is sent that the journal could not record
			}
			least := time.Duration(0)
			if budgets != nil {
				least = lifecycle.LeastTime(*budgets, 0, p.Total-p.Done)
			}
			view.startAt(p.Done - len(p.Settled))
			view.update(p.Done, p.Total, p.Counts, least)
		}})
	view.finish()
	if cause := context.Cause(runCtx); runErr != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		runErr = fmt.Errorf("writing the journal: %w", cause)
	}
	if *dryRun {
		fmt.Fprintln(con.err, plan(report, *notify, true)+took(report.Counts[lifecycle.WouldCreate]))
	}
	return finishRun(con, "bulk", api.output, *reportPath, report, jr, runErr)
}

// toInvite counts the addresses of items that a run would still send: each address once, and
// none that resume settled.
func toInvite(items []invitations.CreateParams, resume *lifecycle.Report) int {
	settled := map[string]bool{}
	if resume != nil {
		for _, e := range resume.Entries {
			if e.Result.Final("") {
				settled[strings.ToLower(strings.TrimSpace(e.EmailAddress))] = true
			}
		}
	}
	for _, p := range items {
		key := strings.ToLower(strings.TrimSpace(p.EmailAddress))
		if _, seen := settled[key]; !seen {
			settled[key] = false
		}
	}
	n := 0
	for _, done := range settled {
		if !done {
			n++
		}
	}
	return n
}

// plan describes a dry run's report: what a run will do, or would do.
func plan(r *lifecycle.Report, notify, dryRun bool) string {
	n := r.Counts[lifecycle.WouldCreate]
	verb, emails := "About to invite", "Clerk will email each of them"
	if dryRun {
		verb, emails = "Would invite", "Clerk would email each of them"
	}
	if !notify {
		emails = "no email is sent (--notify=false)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d addresses; %s.", verb, n, emails)
	var skipped []string
	for _, c := range []struct {
		result lifecycle.Result
		what   string
	}{
		{lifecycle.AlreadyInvited, "already invited"},
		{lifecycle.Invalid, "invalid"},
		{lifecycle.Created, "created by an earlier run"},
		{lifecycle.AlreadyUser, "already users"},
	} {
		if k := r.Counts[c.result]; k > 0 {
			skipped = append(skipped, fmt.Sprintf("%d %s", k, c.what))
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(&b, " Skipped: %s.", strings.Join(skipped, ", "))
	}
	return b.String()
}

// Bounds on bulk input: a run of the most addresses takes Clerk's budgets weeks, and a file
// over the size is not an address list (bulk /dev/zero ran out of memory).
const (
	maxInputBytes = 32 << 20
	maxInputRows  = 100_000
)

// readInvitationsFile reads path, or in for "-".
func readInvitationsFile(path string, in io.Reader) ([]invitations.CreateParams, error) {
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	data, err := io.ReadAll(io.LimitReader(in, maxInputBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxInputBytes {
		return nil, fmt.Errorf("the input is larger than %d MiB; split it into smaller files", maxInputBytes>>20)
	}
	out, err := parseInvitations(data)
	if err == nil && len(out) > maxInputRows {
		err = fmt.Errorf("the input holds %d addresses, more than %d; split it into smaller files", len(out), maxInputRows)
	}
	return out, err
}

// csvColumns are the columns a CSV file may have.
var csvColumns = []string{"email_address", "public_metadata", "redirect_url", "expires_in_days", "template_slug"}

// parseInvitations reads CSV with a header row, or one address per line, in UTF-8 or, with its
// byte-order mark, UTF-16 (a spreadsheet's "Unicode text").
func parseInvitations(data []byte) ([]invitations.CreateParams, error) {
	if le, be := bytes.HasPrefix(data, []byte{0xff, 0xfe}), bytes.HasPrefix(data, []byte{0xfe, 0xff}); le || be {
		units := make([]uint16, (len(data)-2)/2)
		for i := range units {
			lo, hi := data[2+2*i], data[3+2*i]
			if be {
				lo, hi = hi, lo
			}
			units[i] = uint16(hi)<<8 | uint16(lo)
		}
		data = []byte(string(utf16.Decode(units)))
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, errors.New("the input holds NUL bytes: is it UTF-16 without a byte-order mark? save it as UTF-8")
	}
	first := ""
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			first = line
			break
		}
	}
	if !strings.Contains(first, ",") && strings.TrimSpace(strings.ToLower(first)) != "email_address" {
		return parseLines(data), nil
	}
	return parseCSV(data)
}

func parseLines(data []byte) []invitations.CreateParams {
	var out []invitations.CreateParams
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, invitations.CreateParams{EmailAddress: line})
		}
	}
	return out
}

func parseCSV(data []byte) ([]invitations.CreateParams, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the header row: %w", err)
	}
	col := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		known := false
		for _, c := range csvColumns {
			known = known || c == name
		}
		if !known {
			return nil, fmt.Errorf("unknown column %q in the header row; the columns are %s", name, strings.Join(csvColumns, ", "))
		}
		if _, twice := col[name]; twice {
			return nil, fmt.Errorf("the header row names %q twice", name)
		}
		col[name] = i
	}
	if _, ok := col["email_address"]; !ok {
		return nil, errors.New("the header row has no email_address column")
	}
	var out []invitations.CreateParams
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, err
		}
		cell := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		p := invitations.CreateParams{EmailAddress: cell("email_address"), RedirectURL: cell("redirect_url"), TemplateSlug: invitations.TemplateSlug(cell("template_slug"))}
		if v := cell("public_metadata"); v != "" {
			if err := json.Unmarshal([]byte(v), &p.PublicMetadata); err != nil || p.PublicMetadata == nil {
				return nil, fmt.Errorf("line %d: public_metadata is not a JSON object", line)
			}
		}
		if v := cell("expires_in_days"); v != "" {
			if p.ExpiresInDays, err = strconv.Atoi(v); err != nil {
				return nil, fmt.Errorf("line %d: expires_in_days %q is not a whole number", line, v)
			}
		}
		out = append(out, p)
	}
}

// readReport reads a report this tool wrote. Anything else, a package.json say, is refused
// (and so never overwritten by the run's own report).
func readReport(path string) (*lifecycle.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r lifecycle.Report
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil || r.Entries == nil || r.Counts == nil {
		return nil, fmt.Errorf("%s is not a report of this tool", path)
	}
	return &r, nil
}

// readResume reads what an earlier run settled: its report and, when the run was cut short
// (killed, the machine down), its journal, each of which may be missing but not both.
func readResume(path string) (*lifecycle.Report, error) {
	r, err := readReport(path)
	if errors.Is(err, fs.ErrNotExist) {
		r, err = &lifecycle.Report{}, nil
		if _, statErr := os.Stat(path + ".journal"); statErr != nil {
			return nil, fmt.Errorf("%s: no such report, and no journal of a run cut short (%s.journal)", path, path)
		}
	}
	if err != nil {
		return nil, err
	}
	entries, err := readJournal(path + ".journal")
	if len(r.Entries) == 0 {
		r.Entries = entries // a bulk run killed before its report: InviteMany lets later entries win
	} else {
		r.Record(entries...) // the journal is newer than the report
	}
	return r, err
}

// journal records a run as it goes, in REPORT.journal: one JSON line per settled address (its
// result and, when created, the invitation's id), appended and synced to disk before the next
// call is sent. Whatever ends the process, --resume REPORT then knows every address the run
// settled. A complete report replaces it.
type journal struct{ f *os.File }

// openJournal opens path for a run, continuing it when the run resumes the report it belongs
// to. A journal left by a run cut short is never overwritten: that run must be resumed, or the
// journal removed.
func openJournal(path string, continuing bool) (*journal, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if !continuing {
		flags |= os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, 0o644)
	switch {
	case errors.Is(err, fs.ErrExist):
		report := strings.TrimSuffix(path, ".journal")
		return nil, fmt.Errorf("%s exists: a run was cut short; resume it with --resume %s, or remove the journal", path, report)
	case err != nil:
		return nil, fmt.Errorf("the report cannot be written there (give --report FILE): %w", err)
	}
	return &journal{f}, nil
}

func (j *journal) add(entries []lifecycle.Entry) error {
	if j == nil || len(entries) == 0 {
		return nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	if _, err := j.f.Write(b.Bytes()); err != nil {
		return err
	}
	return j.f.Sync()
}

func (j *journal) close() { _ = j.f.Close() }

func (j *journal) remove() {
	if j != nil {
		j.close()
		_ = os.Remove(j.f.Name())
	}
}

// readJournal reads the entries of a journal; none when there is no journal. A last line cut
// short (the process died while writing it) is left out: its address was not settled.
func readJournal(path string) ([]lifecycle.Entry, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []lifecycle.Entry
	lines := bytes.Split(data, []byte("\n"))
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e lifecycle.Entry
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil || e.EmailAddress == "" {
			if i == len(lines)-1 {
				break // cut short
			}
			return nil, fmt.Errorf("%s line %d is not a journal entry of this tool", path, i+1)
		}
		out = append(out, e)
	}
	return out, nil
}

// writeReport writes r to path whole or not at all.
func writeReport(path string, r *lifecycle.Report) error { return writeJSONFile(path, r) }

// writeJSONFile writes v to path as JSON whole or not at all: through a temporary file, synced,
// renamed over it.
func writeJSONFile(path string, v any) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := writeJSON(tmp, v); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// progressView shows a run's progress: a bar redrawn in place on a terminal, a line per step
// elsewhere, with the rate and the time left: the rate's estimate or, when longer, the least
// time Clerk's budgets allow what is left.
type progressView struct {
	w         io.Writer
	tty       bool
	began     time.Time
	startDone int // entries settled before this run's first step (resumed, invalid); -1: not yet known
	drawn     time.Time
	active    bool
}

func newProgressView(w io.Writer, tty bool, startDone int) *progressView {
	return &progressView{w: w, tty: tty, began: time.Now(), startDone: startDone}
}

// startAt sets how many entries were settled before this run's first step, once.
func (v *progressView) startAt(done int) {
	if v.startDone < 0 {
		v.startDone = done
	}
}

func (v *progressView) update(done, total int, counts map[lifecycle.Result]int, least time.Duration) {
	now := time.Now()
	if v.tty && done < total && now.Sub(v.drawn) < 100*time.Millisecond {
		return
	}
	v.drawn = now
	rate, eta := "-", "-"
	if n, took := done-max(v.startDone, 0), now.Sub(v.began); n > 0 && took > 0 {
		perMinute := float64(n) / took.Minutes()
		rate = strconv.FormatFloat(perMinute, 'f', 1, 64)
		eta = max(time.Duration(float64(total-done)/perMinute*float64(time.Minute)), least).Round(time.Second).String()
	}
	var parts []string
	for _, res := range resultOrder {
		if n := counts[res]; n > 0 && res != lifecycle.NotSent {
			parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(string(res), "_", " "), n))
		}
	}
	summary := strings.Join(parts, ", ")
	if !v.tty {
		fmt.Fprintf(v.w, "progress: %d/%d, %s/min, %s left; %s\n", done, total, rate, eta, summary)
		return
	}
	const width = 24
	filled := width * done / max(total, 1)
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	if filled > 0 && filled < width {
		bar = bar[:filled-1] + ">" + bar[filled:]
	}
	fmt.Fprintf(v.w, "\r[%s] %d/%d %3d%%  %s/min  ETA %s  %s\x1b[K", bar, done, total, 100*done/max(total, 1), rate, eta, summary)
	v.active = true
}

func (v *progressView) finish() {
	if v.active {
		fmt.Fprintln(v.w)
	}
}
