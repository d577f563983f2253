package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

// cli runs the tool in-process against an embedded Clerk.
type cli struct {
	t   *testing.T
	srv *invitationstest.Server
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, srv: invitationstest.NewServer(t, invitationstest.WithValidation())}
}

// result is one run: its exit status and what it wrote.
type result struct {
	code     int
	out, err string
}

// run runs args with the server's key and URL; stdin is in, and inTTY says whether it is a
// terminal.
func (c *cli) run(in string, inTTY bool, args ...string) result {
	c.t.Helper()
	var out, errOut bytes.Buffer
	con := console{in: strings.NewReader(in), out: &out, err: &errOut, inTTY: inTTY}
	env := env(map[string]string{"CLERK_SECRET_KEY": c.srv.SecretKey, "CLERK_API_URL": c.srv.URL})
	code := run(c.t.Context(), args, env, con)
	r := result{code, out.String(), errOut.String()}
	assert.NotContains(c.t, r.out+r.err, c.srv.SecretKey, "the key never reaches the output")
	return r
}

func (c *cli) ok(args ...string) result {
	c.t.Helper()
	r := c.run("", false, args...)
	require.Equal(c.t, exitOK, r.code, "stdout:\n%s\nstderr:\n%s", r.out, r.err)
	return r
}

func TestCreateAndGet(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	r := c.ok("create", "ada@example.com", "--metadata", `{"plan":"pro"}`, "--expires-in-days", "7", "--notify=false", "--template", "waitlist_invitation")
	assert.Regexp(t, `(?m)^email\s+ada@example.com$`, r.out)
	assert.Regexp(t, `(?m)^metadata\s+\{"plan":"pro"\}$`, r.out)

	r = c.ok("list", "--output", "json")
	var listed []invitationJSON
	require.NoError(t, json.Unmarshal([]byte(r.out), &listed))
	require.Len(t, listed, 1)
	d, _ := c.srv.Lookup(listed[0].ID)
	assert.False(t, d.Notified, "--notify=false reached the server")
	assert.Equal(t, invitations.TemplateWaitlistInvitation, d.TemplateSlug)
	assert.Equal(t, 7*24.0, listed[0].ExpiresAt.Sub(listed[0].CreatedAt).Hours())

	r = c.ok("get", listed[0].ID, "--output", "json")
	var got invitationJSON
	require.NoError(t, json.Unmarshal([]byte(r.out), &got))
	assert.Equal(t, "ada@example.com", got.EmailAddress)

	r = c.run("", false, "get", "inv_missing")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.err, "no invitation has id inv_missing")

	r = c.run("", false, "create", "ada@example.com")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.err, "code duplicate_record", "Clerk's code on standard error")
	assert.Contains(t, r.err, "trace ", "and its trace id")
	assert.NotContains(t, r.err, "ada@example.com", "addresses in Clerk's messages are masked")
}

func TestListFiltersPagesAndFormats(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for i := range 12 {
		c.ok("create", fmt.Sprintf("p%02d@example.com", i), "--notify=false", "--pacing", "none")
	}
	r := c.ok("list", "--query", "p0", "--order-by", "+email_address")
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	require.Len(t, lines, 11, "a header and ten rows")
	assert.Regexp(t, `^ID\s+EMAIL\s+STATUS\s+CREATED\s+EXPIRES$`, lines[0])
	assert.Contains(t, lines[1], "p00@example.com")

	r = c.ok("list", "--limit", "5")
	assert.Contains(t, r.err, "5 of 12 shown")
	r = c.ok("list", "--all", "--limit", "5", "--output", "csv")
	rows, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	require.NoError(t, err)
	assert.Len(t, rows, 13)
	assert.Equal(t, []string{"id", "email_address", "status", "revoked", "created_at", "expires_at", "url", "public_metadata"}, rows[0])

	c.ok("revoke", "--email", "p03@example.com")
	r = c.ok("list", "--status", "revoked,expired", "--status", "accepted", "--output", "json")
	var listed []invitationJSON
	require.NoError(t, json.Unmarshal([]byte(r.out), &listed))
	require.Len(t, listed, 1)
	assert.Equal(t, "p03@example.com", listed[0].EmailAddress)

	r = c.ok("list", "--query", "@example.com", "--status", "pending", "--all")
	assert.Len(t, strings.Split(strings.TrimSpace(r.out), "\n"), 12, "a header and the eleven pending")

	r = c.run("", false, "list", "--status", "gone")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.err, `"gone" is not pending`)
}

func TestRevokeReissueAndDelete(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.ok("create", "ada@example.com", "--metadata", `{"plan":"pro"}`, "--notify=false")
	r := c.ok("reissue", "ada@example.com", "--expires-in-days", "7", "--notify=false", "--output", "json")
	var pair []invitationJSON
	require.NoError(t, json.Unmarshal([]byte(r.out), &pair))
	require.Len(t, pair, 2)
	assert.Equal(t, "revoked", pair[0].Status)
	assert.Equal(t, "pending", pair[1].Status)
	assert.Equal(t, map[string]any{"plan": "pro"}, pair[1].PublicMetadata)
	assert.Equal(t, 7*24.0, pair[1].ExpiresAt.Sub(pair[1].CreatedAt).Hours())

	r = c.ok("revoke", pair[1].ID)
	assert.Regexp(t, `(?m)^status\s+revoked$`, r.out)
	r = c.run("", false, "revoke", pair[1].ID)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.err, "invitation_already_revoked")

	// On a terminal, delete asks; no means nothing happens.
	r = c.run("n\n", true, "delete", "--email", "ada@example.com")
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.err, "Delete all 2 invitations of ada@example.com for good? [y/N]")
	assert.Contains(t, r.err, "nothing deleted")
	assert.Equal(t, 2, c.srv.Len())
	r = c.run("y\n", true, "delete", pair[0].ID)
	assert.Equal(t, exitOK, r.code, r.err)
	assert.Equal(t, pair[0].ID+"\n", r.out)
	assert.Equal(t, 1, c.srv.Len())
	// Off a terminal it does not ask, nor with --yes.
	r = c.ok("delete", "--email", "ada@example.com", "--output", "json")
	assert.JSONEq(t, `{"deleted":["`+pair[1].ID+`"]}`, r.out)
	assert.Equal(t, 0, c.srv.Len())
	c.ok("create", "grace@example.com", "--notify=false")
	r = c.run("", true, "delete", "--email", "grace@example.com", "--yes")
	assert.Equal(t, exitOK, r.code)
	assert.NotContains(t, r.err, "[y/N]")
	assert.Equal(t, 0, c.srv.Len())
}

func TestUsageMistakes(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"create"}, "give one email address"},
		{[]string{"create", "a@example.com", "--metadata", "[1]"}, "--metadata is not a JSON object"},
		{[]string{"create", "a@example.com", "--output", "yaml"}, "--output must be table, json or csv"},
		{[]string{"create", "a@example.com", "--pacing", "fast"}, "--pacing must be"},
		{[]string{"revoke"}, "give one invitation, --email or a selection"},
		{[]string{"revoke", "inv_1", "--email", "a@example.com"}, "give one invitation, --email or a selection"},
		{[]string{"delete", "inv_1", "inv_2"}, "give one invitation, --email or a selection"},
		{[]string{"delete", "--yes"}, "never acts on all of them unasked"},
		{[]string{"reissue", "--dry-run"}, "give one invitation, --email or a selection"},
		{[]string{"revoke", "inv_1", "--dry-run"}, "--dry-run and --report are for a run over a selection"},
		{[]string{"revoke", "inv_1", "--status", "pending"}, "not more than one of them"},
		{[]string{"revoke", "--status", "expired"}, "revoke applies to invitations that are pending, not expired"},
		{[]string{"delete", "--created-before", "yesterday"}, `"yesterday" is not a date`},
		{[]string{"delete", "--file", "/nonexistent/ids.txt"}, "--file: open /nonexistent/ids.txt"},
		{[]string{"revoke", "--resume", "/nonexistent/r.json"}, "--resume: "},
		{[]string{"watch", "--interval", "0s"}, "--interval must be positive"},
		{[]string{"watch", "now"}, `unexpected argument "now"`},
		{[]string{"list", "--bogus"}, "flag provided but not defined"},
		{[]string{"bulk"}, "give one file"},
		{[]string{"nonsense"}, `unknown command "nonsense"`},
	}
	for _, tc := range cases {
		r := c.run("", false, tc.args...)
		assert.Equal(t, exitUsage, r.code, tc.args)
		assert.Contains(t, r.err, tc.want, tc.args)
	}

	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"list"}, env(nil), testConsole(&out, &errOut))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut.String(), "CLERK_SECRET_KEY is not set")

	// A mistake the client catches before any request is a failure with the field named.
	r := c.run("", false, "create", "ada@example.com", "--redirect-url", "javascript:alert(1)")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.err, "invalid redirect_url")
}

func TestHelpForEveryCommand(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for _, name := range commandOrder {
		for _, args := range [][]string{{"help", name}, {name, "--help"}} {
			r := c.run("", false, args...)
			assert.Equal(t, exitOK, r.code, args)
			assert.Contains(t, r.out, "usage: clerk-invitations "+name, args)
			assert.Contains(t, r.out, "example", args)
		}
	}
	r := c.ok("help")
	for _, name := range commandOrder {
		assert.Contains(t, r.out, "  "+name+" ")
	}
	assert.Contains(t, r.out, "exit status")
}

// TestEveryCommandIsDocumented: the usage text, the command's package documentation,
// docs/cli.md and CONTRIBUTING.md each name every command there is.
func TestEveryCommandIsDocumented(t *testing.T) {
	t.Parallel()
	assert.ElementsMatch(t, slices.Collect(maps.Keys(commands)), commandOrder, "usage lists every command once")
	read := func(name string) string {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		return string(data)
	}
	main, cli, contributing := read("main.go"), read("../../docs/cli.md"), read("../../CONTRIBUTING.md")
	for _, name := range commandOrder {
		assert.Contains(t, main, "//\tclerk-invitations "+name, "main.go's documentation")
		assert.Contains(t, cli, "| `"+name, "docs/cli.md's table")
		assert.Regexp(t, "command-line tool: [^\n]*`"+name+"`", contributing, "CONTRIBUTING.md's layout")
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestBulkFromCSV(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.srv.RegisterUser("user@example.com")
	c.ok("create", "pending@example.com", "--notify=false")
	var b strings.Builder
	b.WriteString("\ufeffemail_address,public_metadata,expires_in_days,template_slug\n")
	for i := range 23 {
		fmt.Fprintf(&b, "m%02d@example.com,\"{\"\"row\"\":%d}\",,\n", i, i)
	}
	b.WriteString("M05@Example.com,,,\n") // the same address as row 5
	b.WriteString("user@example.com,,,\n")
	b.WriteString("pending@example.com,,3,\n")
	b.WriteString("not-an-address,,,\n")
	b.WriteString("w@example.com,,,waitlist_invitation\n")
	file := writeFile(t, "team.csv", b.String())

	// A dry run sends nothing and says what would be done.
	r := c.ok("bulk", file, "--dry-run", "--pacing", "none")
	assert.Contains(t, r.err, "Would invite 25 addresses; Clerk would email each of them.")
	assert.Contains(t, r.err, "Skipped: 1 already invited, 1 invalid.")
	assert.Equal(t, 1, c.srv.Len())

	r = c.ok("bulk", file, "--notify=false", "--pacing", "none")
	assert.Regexp(t, `(?m)^created\s+24$`, r.out)
	assert.Regexp(t, `(?m)^already_user\s+1$`, r.out)
	assert.Regexp(t, `(?m)^already_invited\s+1$`, r.out)
	assert.Regexp(t, `(?m)^invalid\s+1$`, r.out)
	assert.Contains(t, r.out, "invalid not-an-address: invitations: invalid email_address")
	assert.Contains(t, r.err, "progress: ", "plain progress lines off a terminal")
	report := strings.TrimSuffix(file, ".csv") + ".report.json"
	assert.Contains(t, r.err, "report: "+report)
	saved, err := readReport(report)
	require.NoError(t, err)
	assert.Equal(t, 24, saved.Counts[lifecycle.Created])
	assert.True(t, saved.Complete)
	assert.Equal(t, 25, c.srv.Len())
	for _, e := range saved.Entries {
		if e.EmailAddress == "m05@example.com" {
			assert.Equal(t, []int{5, 23}, e.Rows)
			d, _ := c.srv.Lookup(e.InvitationID)
			assert.Equal(t, map[string]any{"row": float64(5)}, d.PublicMetadata)
			assert.False(t, d.Notified, "--notify=false reached every row")
		}
		if e.EmailAddress == "w@example.com" {
			d, _ := c.srv.Lookup(e.InvitationID)
			assert.Equal(t, invitations.TemplateWaitlistInvitation, d.TemplateSlug)
		}
	}

	// Run again on the report: everything is settled, nothing is sent.
	r = c.ok("bulk", file, "--resume", report, "--pacing", "none", "--output", "json")
	var again lifecycle.Report
	require.NoError(t, json.Unmarshal([]byte(r.out), &again))
	assert.Zero(t, again.Calls)
	assert.Equal(t, 25, c.srv.Len())
}

func TestBulkFileErrors(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	cases := map[string]string{
		"email_address,role\na@example.com,admin\n":                                `unknown column "role"`,
		"name,redirect_url\nAda,https://x.test\n":                                  `unknown column "name"`,
		"redirect_url,template_slug\nhttps://x.test,invitation\n":                  "no email_address column",
		"email_address,public_metadata\na@example.com,not json\n":                  "line 2: public_metadata is not a JSON object",
		"email_address,expires_in_days\na@example.com,soon\n":                      `line 2: expires_in_days "soon" is not a whole number`,
		"email_address,expires_in_days\na@example.com,7\nb@x.test\n":               "wrong number of fields",
		"# only a comment\n\n":                                                     "holds no address",
		"email_address,public_metadata\na@example.com,\"{\"\"a\"\":1\n":            "extraneous or missing",
		"email_address,redirect_url,Email_Address\na@example.com,,b@example.com\n": `names "email_address" twice`,
		string(utf16LE("email_address\na@example.com\n")[2:]):                      "UTF-16 without a byte-order mark",
		strings.Repeat("x@example.com\n", maxInputRows+1):                          "more than 100000",
	}
	for content, want := range cases {
		r := c.run("", false, "bulk", writeFile(t, "f.csv", content), "--pacing", "none")
		assert.Equal(t, exitUsage, r.code, content)
		assert.Contains(t, r.err, want, content)
	}
	assert.Equal(t, 0, c.srv.Len(), "nothing is sent from a file with an error")
	r := c.run("", false, "bulk", filepath.Join(t.TempDir(), "missing.csv"))
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.err, "no such file")
	r = c.run("", false, "bulk", "/dev/zero", "--pacing", "none")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.err, "larger than 32 MiB")
}

// utf16LE is s in UTF-16, little-endian, with its byte-order mark: a spreadsheet's "Unicode text".
func utf16LE(s string) []byte {
	out := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

func TestBulkReadsUTF16(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	file := writeFile(t, "unicode.txt", string(utf16LE("email_address,public_metadata\nzoë@example.com,\"{\"\"n\"\":1}\"\nb@example.com,\n")))
	r := c.ok("bulk", file, "--notify=false", "--pacing", "none")
	assert.Regexp(t, `(?m)^created\s+2$`, r.out)
	found, err := lifecycle.New(c.srv.Client).FindByEmail(t.Context(), "zoë@example.com")
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, float64(1), found[0].PublicMetadata["n"])
}

func TestBulkFromLinesOnStandardInputWithFailures(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	broken := invitationstest.Fault{Status: 500, Header: map[string][]string{"Content-Type": {"application/json"}},
		Body: `{"errors":[{"code":"internal_clerk_error","message":"x","long_message":"boom"}]}`}
	c.srv.FailNext(invitations.OpBulkCreate, 1, broken)
	dir := t.TempDir()
	report := filepath.Join(dir, "r.json")
	in := "# invitees\nA@example.com\n\nb@example.com\nc@example.com\n"
	r := c.run(in, false, "bulk", "-", "--report", report, "--pacing", "none", "--notify=false")
	assert.Equal(t, exitPartial, r.code, r.err)
	assert.Regexp(t, `(?m)^failed\s+3$`, r.out)
	assert.Contains(t, r.err, "3 failed or left to do; run again with --resume "+report)

	r = c.run(in, false, "bulk", "-", "--resume", report, "--pacing", "none", "--notify=false")
	assert.Equal(t, exitOK, r.code, r.err)
	assert.Regexp(t, `(?m)^created\s+3$`, r.out)
	assert.Equal(t, 3, c.srv.Len())
}

func TestBulkAsksFirstOnATerminal(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	file := writeFile(t, "l.txt", "a@example.com\nb@example.com\n")
	r := c.run("no\n", true, "bulk", file, "--pacing", "none")
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.err, "About to invite 2 addresses; Clerk will email each of them.")
	assert.Contains(t, r.err, "Go on? [y/N]")
	assert.Contains(t, r.err, "nothing sent")
	assert.Equal(t, 0, c.srv.Len())

	r = c.run("y\n", true, "bulk", file, "--pacing", "none", "--notify=false")
	assert.Equal(t, exitOK, r.code, r.err)
	assert.Contains(t, r.err, "About to invite 2 addresses; no email is sent (--notify=false).")
	assert.Equal(t, 2, c.srv.Len())
}

// hostile is what a server or an input file might hold to take over a terminal: a clear-screen
// sequence, an OSC title sequence and a right-to-left override.
const hostile = "\x1b[2J\x1b]0;pwned\x07\u202egnp.exe"

func TestTablesEscapeWhatTheServerSays(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	inv, err := c.srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com", PublicMetadata: map[string]any{"note": hostile}})
	require.NoError(t, err)
	for _, args := range [][]string{{"list"}, {"get", inv.ID}} {
		r := c.ok(args...)
		for _, raw := range []string{"\x1b", "\x07", "\u202e"} {
			assert.NotContains(t, r.out+r.err, raw, "%v", args)
		}
	}
	assert.Contains(t, c.ok("get", inv.ID).out, `\u001b[2J\u001b]0;pwned\u0007\u202egnp.exe`, "escaped, not dropped")

	r := c.ok("get", inv.ID, "--output", "json")
	var got invitationJSON
	require.NoError(t, json.Unmarshal([]byte(r.out), &got))
	assert.Equal(t, hostile, got.PublicMetadata["note"], "JSON output is exact")
	rows, err := csv.NewReader(strings.NewReader(c.ok("list", "--output", "csv").out)).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, `{"note":"\u001b[2J\u001b]0;pwned\u0007`+"\u202e"+`gnp.exe"}`, rows[1][7], "so is CSV, formulas aside")
}

func TestCSVNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	// A server whose answer holds cells a spreadsheet would run.
	page := `{"data":[{"object":"invitation","id":"=HYPERLINK(\"x\")","email_address":"+1@example.com","public_metadata":null,` +
		`"status":"pending","url":"@SUM(1)","created_at":1,"updated_at":1}],"total_count":1}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(page))
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	env := env(map[string]string{"CLERK_SECRET_KEY": "sk_test_csv", "CLERK_API_URL": srv.URL + "/v1"})
	require.Equal(t, exitOK, run(t.Context(), []string{"list", "--output", "csv"}, env, console{in: strings.NewReader(""), out: &out, err: &errOut}), errOut.String())
	rows, err := csv.NewReader(&out).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, `'=HYPERLINK("x")`, rows[1][0])
	assert.Equal(t, "'+1@example.com", rows[1][1])
	assert.Equal(t, "'@SUM(1)", rows[1][6])
	assert.Equal(t, "pending", rows[1][2], "other cells stay as they are")
}

func TestBulkSummaryEscapesWhatTheInputSays(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	file := writeFile(t, "l.txt", "a@example.com\n"+hostile+"@example.com\n")
	r := c.ok("bulk", file, "--notify=false", "--pacing", "none")
	assert.Regexp(t, `(?m)^invalid\s+1$`, r.out)
	for _, raw := range []string{"\x1b", "\x07", "\u202e"} {
		assert.NotContains(t, r.out+r.err, raw)
	}
	assert.Contains(t, r.out, `invalid \x1b[2J\x1b]0;pwned\x07\u202egnp.exe@example.com: `)
}

// TestBulkChecksItsReportBeforeSending: a report that cannot be written, or a --resume file that
// is not a report of this tool, stops the run before anything is sent, and the file is left
// as it was.
func TestBulkChecksItsReportBeforeSending(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	file := writeFile(t, "l.txt", "a@example.com\nb@example.com\n")
	r := c.run("", false, "bulk", file, "--pacing", "none", "--report", filepath.Join(t.TempDir(), "missing-dir", "r.json"))
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.err, "the report cannot be written there (give --report FILE)")

	notAReport := writeFile(t, "package.json", `{"name":"app","version":"1.0.0"}`)
	for _, resume := range []string{notAReport, writeFile(t, "empty.json", `{}`), filepath.Join(t.TempDir(), "none.json")} {
		r = c.run("", false, "bulk", file, "--pacing", "none", "--resume", resume)
		assert.Equal(t, exitUsage, r.code, resume)
		assert.Contains(t, r.err, "--resume: ", resume)
	}
	data, err := os.ReadFile(notAReport)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"app","version":"1.0.0"}`, string(data), "never overwritten")
	assert.Zero(t, c.srv.Len(), "nothing was sent")
}

// TestBulkInterruptedInItsLastCall: a run whose context ends during its only call finishes that
// call, writes the report and says it was interrupted (130), not that addresses failed.
func TestBulkInterruptedInItsLastCall(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.srv.FailNext(invitations.OpBulkCreate, 1, invitationstest.Fault{Delay: 300 * time.Millisecond})
	file := writeFile(t, "l.txt", "a@example.com\nb@example.com\n")
	ctx, cancel := context.WithCancel(t.Context())
	var out, errOut bytes.Buffer
	env := env(map[string]string{"CLERK_SECRET_KEY": c.srv.SecretKey, "CLERK_API_URL": c.srv.URL})
	time.AfterFunc(100*time.Millisecond, cancel)
	code := run(ctx, []string{"bulk", file, "--pacing", "none", "--notify=false"}, env, console{in: strings.NewReader(""), out: &out, err: &errOut})
	assert.Equal(t, exitInterrupted, code, errOut.String())
	assert.Regexp(t, `(?m)^created\s+2$`, out.String(), "the call under way finished")
}

func TestAPIFlagsTimeoutAndPlainHTTP(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	r := c.run("", false, "list", "--api-url", "http://api.example.com/v1")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.err, "--api-url http://api.example.com/v1 would send the secret key unencrypted; use https, or --insecure-http")
	assert.NotContains(t, r.err, "WithInsecureHTTP", "the tool speaks of its own flags")

	fs := newFlags("list")
	f := addAPIFlags(fs, env(nil))
	require.NoError(t, fs.Parse([]string{"--api-url", "http://api.example.com/v1", "--insecure-http"}))
	_, err := f.client(env(map[string]string{"CLERK_SECRET_KEY": "sk_test_x"}))
	assert.NoError(t, err, "--insecure-http allows it")

	r = c.run("", false, "list", "--timeout", "0s")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.err, "--timeout must be positive")

	c.srv.FailNext(invitations.OpList, 3, invitationstest.Fault{Delay: time.Hour})
	r = c.run("", false, "list", "--timeout", "20ms")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.err, "Client.Timeout exceeded", "each attempt gave up at the timeout")
}

// TestProgressCountsPacingWaits: with two bulk calls and one create an hour, the time left after
// the first 20 addresses of 100 is the least the budgets allow the other 80 (four windows of 21:
// three hours), not the seconds the first calls took.
func TestProgressCountsPacingWaits(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		v := newProgressView(&out, false, 0)
		budgets := invitations.Budgets{Bulk: invitations.Budget{Calls: 2, Per: time.Hour}, Create: invitations.Budget{Calls: 1, Per: time.Hour}}
		counts := map[lifecycle.Result]int{}
		step := func(done int) {
			counts[lifecycle.Created] = done
			v.update(done, 100, counts, lifecycle.LeastTime(budgets, 0, 100-done))
		}
		step(10)
		time.Sleep(time.Second)
		step(20)
		assert.Contains(t, out.String(), "progress: 20/100, 1200.0/min, 3h0m0s left; created 20")
	})
}

// TestBulkInterruptedDuringAHungCall: Ctrl-C during a call to a server that never answers gives
// the call --timeout to finish, then gives it up: the run stops with 130 and a report whose
// addresses are failed (a resumed run retries them), not after a minute with 3.
func TestBulkInterruptedDuringAHungCall(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.srv.FailNext(invitations.OpBulkCreate, 3, invitationstest.Fault{Delay: time.Hour})
	file := writeFile(t, "l.txt", "a@example.com\nb@example.com\n")
	ctx, cancel := context.WithCancel(t.Context())
	var out, errOut bytes.Buffer
	env := env(map[string]string{"CLERK_SECRET_KEY": c.srv.SecretKey, "CLERK_API_URL": c.srv.URL})
	time.AfterFunc(100*time.Millisecond, cancel)
	code := run(ctx, []string{"bulk", file, "--pacing", "none", "--notify=false", "--timeout", "300ms"}, env, console{in: strings.NewReader(""), out: &out, err: &errOut})
	assert.Equal(t, exitInterrupted, code, errOut.String())
	assert.Regexp(t, `(?m)^failed\s+2$`, out.String())
	assert.Contains(t, errOut.String(), "interrupted: ")
}
