package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

const apiFlagsHelp = `  --api-url URL     base URL (default: CLERK_API_URL, else https://api.clerk.com/v1)
  --output FORMAT   table (default), json or csv
  --pacing MODE     keep to Clerk's rate limits: auto (default: by the key), dev, prod or none
  --timeout D       bound on each attempt of a call (default 30s); a call may retry
  --insecure-http   allow a plain http --api-url on a host other than loopback
`

const createHelp = `usage: clerk-invitations create EMAIL [flags]

Creates one invitation and prints it. Clerk emails the link unless --notify=false.

flags:
  --metadata JSON          public metadata, a JSON object copied to the user at sign-up
  --redirect-url URL       where the link lands (an http or https URL, or a path)
  --expires-in-days N      1 to 365 (default: Clerk's 30)
  --template NAME          invitation (default) or waitlist_invitation
  --notify=false           create it without sending the email
  --ignore-existing        create it even if the address has a pending invitation
` + apiFlagsHelp + `
examples:
  clerk-invitations create ada@example.com
  clerk-invitations create ada@example.com --metadata '{"plan":"pro"}' --expires-in-days 7 --notify=false
`

func createCmd(ctx context.Context, args []string, env func(string) string, con console) int {
	fs := newFlags("create")
	api := addAPIFlags(fs, env)
	cf := addCreateFlags(fs)
	meta := fs.String("metadata", "", "public metadata, a JSON object")
	ignore := fs.Bool("ignore-existing", false, "create it even if the address has a pending invitation")
	pos, code, ok := parseArgs(fs, args, createHelp, con)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(con, "create", "give one email address")
	}
	p := invitations.CreateParams{EmailAddress: pos[0], RedirectURL: cf.redirectURL, ExpiresInDays: cf.expiresInDays,
		TemplateSlug: invitations.TemplateSlug(cf.template), Notify: cf.notifyParam()}
	if *meta != "" {
		if err := json.Unmarshal([]byte(*meta), &p.PublicMetadata); err != nil || p.PublicMetadata == nil {
			return usageError(con, "create", "--metadata is not a JSON object")
		}
	}
	if *ignore {
		p.IgnoreExisting = invitations.Ptr(true)
	}
	client, err := api.client(env)
	if err != nil {
		return usageError(con, "create", "%v", err)
	}
	inv, err := client.Create(ctx, p)
	if err != nil {
		return failed(con, "create", err)
	}
	if err := printInvitation(con.out, api.output, *inv); err != nil {
		return failed(con, "create", err)
	}
	return exitOK
}

const listHelp = `usage: clerk-invitations list [flags]

Lists invitations, newest first: one page, or every page with --all. Without --status, revoked
invitations are left out, as Clerk lists them.

flags:
  --status S        pending, accepted, revoked or expired; repeat it or separate with commas
  --query TEXT      only invitations whose address or id contains TEXT
  --order-by FIELD  created_at, email_address or expires_at, with + or - in front
  --limit N         page size, 1 to 500 (default: 10, or 500 with --all)
  --offset N        skip N matches
  --all             walk every page
` + apiFlagsHelp + `
examples:
  clerk-invitations list
  clerk-invitations list --status pending --status expired --all --output csv > invitations.csv
  clerk-invitations list --query @example.com --order-by +email_address
`

func listCmd(ctx context.Context, args []string, env func(string) string, con console) int {
	fs := newFlags("list")
	api := addAPIFlags(fs, env)
	var p invitations.ListParams
	var statuses statusList
	fs.Var(&statuses, "status", "pending, accepted, revoked or expired (repeatable)")
	fs.StringVar(&p.Query, "query", "", "only invitations whose address or id contains this text")
	fs.StringVar(&p.OrderBy, "order-by", "", "created_at, email_address or expires_at, with + or - in front")
	fs.IntVar(&p.Limit, "limit", 0, "page size, 1 to 500")
	fs.IntVar(&p.Offset, "offset", 0, "skip this many matches")
	all := fs.Bool("all", false, "walk every page")
	pos, code, ok := parseArgs(fs, args, listHelp, con)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return usageError(con, "list", "unexpected argument %q", pos[0])
	}
	p.Statuses = statuses
	client, err := api.client(env)
	if err != nil {
		return usageError(con, "list", "%v", err)
	}
	var invs []invitations.Invitation
	if *all {
		for inv, err := range client.All(ctx, p) {
			if err != nil {
				return failed(con, "list", err)
			}
			invs = append(invs, inv)
		}
	} else {
		page, err := client.List(ctx, p)
		if err != nil {
			return failed(con, "list", err)
		}
		invs = page.Invitations
		if api.output == "table" && page.TotalCount > p.Offset+len(invs) {
			defer fmt.Fprintf(con.err, "%d of %d shown; --all lists every one\n", len(invs), page.TotalCount)
		}
	}
	if err := printInvitations(con.out, api.output, invs); err != nil {
		return failed(con, "list", err)
	}
	return exitOK
}

const getHelp = `usage: clerk-invitations get ID [flags]

Shows the invitation with exactly this id, in any status.

flags:
` + apiFlagsHelp + `
examples:
  clerk-invitations get inv_2abc...
  clerk-invitations get inv_2abc... --output json
`

func getCmd(ctx context.Context, args []string, env func(string) string, con console) int {
	fs := newFlags("get")
	api := addAPIFlags(fs, env)
	pos, code, ok := parseArgs(fs, args, getHelp, con)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(con, "get", "give one invitation id")
	}
	client, err := api.client(env)
	if err != nil {
		return usageError(con, "get", "%v", err)
	}
	inv, err := client.Get(ctx, pos[0])
	if err != nil {
		return failed(con, "get", err)
	}
	if err := printInvitation(con.out, api.output, *inv); err != nil {
		return failed(con, "get", err)
	}
	return exitOK
}

const revokeHelp = `usage: clerk-invitations revoke ID [flags]
       clerk-invitations revoke --email EMAIL [flags]
       clerk-invitations revoke SELECTION [flags]

Revokes a pending invitation, every pending invitation of an address (exact match, any case),
or every pending invitation a selection finds, and prints what was revoked. The link stops
working; the person can still sign up the ordinary way.

A run over a selection says first how many it will revoke and how long that takes at Clerk's
limits, asks on a terminal (--yes skips the question), shows its progress, journals every step
before the next call and writes a report: --resume REPORT goes on after Ctrl-C, a kill or a
crash, and nothing is revoked twice. --from REPORT undoes a bulk run: it revokes exactly the
invitations that run created, those still pending.

flags:
  --email EMAIL         revoke every pending invitation of this address
` + selectionHelp + runFlagsHelp + apiFlagsHelp + `
examples:
  clerk-invitations revoke inv_2abc...
  clerk-invitations revoke --email ada@example.com
  clerk-invitations revoke --from team.report.json --yes
  clerk-invitations revoke --query @old.example.com --dry-run
`

func revokeCmd(ctx context.Context, args []string, env func(string) string, con console) int {
	fs := newFlags("revoke")
	api := addAPIFlags(fs, env)
	email := fs.String("email", "", "revoke every pending invitation of this address")
	sf, rf := addSelectionFlags(fs), addRunFlags(fs)
	pos, code, ok := parseArgs(fs, args, revokeHelp, con)
	if !ok {
		return code
	}
	many, code := targets(con, "revoke", fs, sf, rf, pos, *email != "")
	if code >= 0 {
		return code
	}
	client, err := api.client(env)
	if err != nil {
		return usageError(con, "revoke", "%v", err)
	}
	if many {
		sel, err := sf.selection(con.in)
		if err != nil {
			return usageError(con, "revoke", "%v", err)
		}
		return runSelection(ctx, "revoke", lifecycle.ActionRevoke, sel, rf, lifecycle.ReissueParams{}, api, client, env, con)
	}
	if *email == "" {
		inv, err := client.Revoke(ctx, pos[0])
		if err != nil {
			return failed(con, "revoke", err)
		}
		if err := printInvitation(con.out, api.output, *inv); err != nil {
			return failed(con, "revoke", err)
		}
		return exitOK
	}
	revoked, err := lifecycle.New(client).RevokeByEmail(ctx, *email)
	if printErr := printInvitations(con.out, api.output, revoked); printErr != nil {
		return failed(con, "revoke", printErr)
	}
	if err != nil {
		code := failed(con, "revoke", err)
		if len(revoked) > 0 && code == exitFailed {
			return exitPartial
		}
		return code
	}
	if len(revoked) == 0 {
		fmt.Fprintf(con.err, "no pending invitation for %s\n", printable(*email))
	}
	return exitOK
}

const reissueHelp = `usage: clerk-invitations reissue ID|EMAIL [flags]
       clerk-invitations reissue SELECTION [flags]

Sends an invitation again, as Clerk has no resend: a new one for the same address with the same
public metadata, the old one revoked if it is still pending (an expired one is simply
replaced). Given an address, it reissues that address's newest pending invitation, else its
newest expired one. Clerk does not return an invitation's redirect URL, template or expiry, so
the new one takes them from the flags (Clerk's defaults when not given).

A run over a selection (pending and expired invitations; --status expired for the expired ones
only) revokes each pending one, then invites its address again, in the calls Clerk's create
budgets allow soonest (bulk creates of ten and single creates: 350 an hour), saying first how
long that takes. It journals every step, so that --resume goes on after any stop: one whose
revoke went through and whose new invitation did not is only invited again.

flags:
  --redirect-url URL    where the new link lands
  --expires-in-days N   1 to 365 (default: Clerk's 30)
  --template NAME       invitation (default) or waitlist_invitation
  --notify=false        create it without sending the email
` + selectionHelp + runFlagsHelp + apiFlagsHelp + `
examples:
  clerk-invitations reissue ada@example.com
  clerk-invitations reissue inv_2abc... --expires-in-days 7
  clerk-invitations reissue --status expired --yes
`

func reissueCmd(ctx context.Context, args []string, env func(string) string, con console) int {
	fs := newFlags("reissue")
	api := addAPIFlags(fs, env)
	cf := addCreateFlags(fs)
	sf, rf := addSelectionFlags(fs), addRunFlags(fs)
	pos, code, ok := parseArgs(fs, args, reissueHelp, con)
	if !ok {
		return code
	}
	many, code := targets(con, "reissue", fs, sf, rf, pos, false)
	if code >= 0 {
		return code
	}
	client, err := api.client(env)
	if err != nil {
		return usageError(con, "reissue", "%v", err)
	}
	params := lifecycle.ReissueParams{RedirectURL: cf.redirectURL, ExpiresInDays: cf.expiresInDays,
		TemplateSlug: invitations.TemplateSlug(cf.template), Notify: cf.notifyParam()}
	if many {
		sel, err := sf.selection(con.in)
		if err != nil {
			return usageError(con, "reissue", "%v", err)
		}
		return runSelection(ctx, "reissue", lifecycle.ActionReissue, sel, rf, params, api, client, env, con)
	}
	got, err := lifecycle.New(client).Reissue(ctx, pos[0], params)
	if got != nil {
		if printErr := printInvitations(con.out, api.output, []invitations.Invitation{got.Old, got.New}); printErr != nil {
			return failed(con, "reissue", printErr)
		}
	}
	if err != nil {
		return failed(con, "reissue", err)
	}
	return exitOK
}

const deleteHelp = `usage: clerk-invitations delete ID [--yes] [flags]
       clerk-invitations delete --email EMAIL [--yes] [flags]
       clerk-invitations delete SELECTION [flags]

Deletes an invitation for good, whatever its status, every invitation of an address (exact
match, any case), or every invitation a selection finds: what a data-erasure request needs.
Other records of the address, such as a user, are not touched. On a terminal it asks first;
--yes skips the question. Prints the ids deleted. A run over a selection journals every step
and writes a report, as revoke's does; a selection is required: nothing deletes everything.

flags:
  --email EMAIL         delete every invitation of this address
` + selectionHelp + runFlagsHelp + apiFlagsHelp + `
examples:
  clerk-invitations delete inv_2abc...
  clerk-invitations delete --email ada@example.com --yes
  clerk-invitations delete --status revoked --created-before 2026-01-01 --dry-run
`

func deleteCmd(ctx context.Context, args []string, env func(string) string, con console) int {
	fs := newFlags("delete")
	api := addAPIFlags(fs, env)
	email := fs.String("email", "", "delete every invitation of this address")
	sf, rf := addSelectionFlags(fs), addRunFlags(fs)
	yes := &rf.yes
	pos, code, ok := parseArgs(fs, args, deleteHelp, con)
	if !ok {
		return code
	}
	many, code := targets(con, "delete", fs, sf, rf, pos, *email != "")
	if code >= 0 {
		return code
	}
	client, err := api.client(env)
	if err != nil {
		return usageError(con, "delete", "%v", err)
	}
	if many {
		sel, err := sf.selection(con.in)
		if err != nil {
			return usageError(con, "delete", "%v", err)
		}
		return runSelection(ctx, "delete", lifecycle.ActionDelete, sel, rf, lifecycle.ReissueParams{}, api, client, env, con)
	}
	if *email == "" {
		id := pos[0]
		if !*yes && con.inTTY {
			inv, err := client.Get(ctx, id)
			if err != nil {
				return failed(con, "delete", err)
			}
			if !confirm(con, fmt.Sprintf("Delete invitation %s (%s, %s) for good?", inv.ID, inv.EmailAddress, inv.Status)) {
				fmt.Fprintln(con.err, "nothing deleted")
				return exitOK
			}
		}
		if err := client.Delete(ctx, id); err != nil {
			return failed(con, "delete", err)
		}
		return printDeleted(con, api.output, []string{id})
	}
	if !*yes && con.inTTY {
		found, err := lifecycle.New(client).FindByEmail(ctx, *email)
		if err != nil {
			return failed(con, "delete", err)
		}
		if len(found) == 0 {
			fmt.Fprintf(con.err, "no invitation for %s\n", printable(*email))
			return exitOK
		}
		if !confirm(con, fmt.Sprintf("Delete all %d invitations of %s for good?", len(found), *email)) {
			fmt.Fprintln(con.err, "nothing deleted")
			return exitOK
		}
	}
	deleted, err := lifecycle.New(client).DeleteByEmail(ctx, *email)
	if code := printDeleted(con, api.output, deleted); code != exitOK {
		return code
	}
	if err != nil {
		code := failed(con, "delete", err)
		if len(deleted) > 0 && code == exitFailed {
			return exitPartial
		}
		return code
	}
	return exitOK
}

func printDeleted(con console, format string, ids []string) int {
	var err error
	switch format {
	case "json":
		if ids == nil {
			ids = []string{}
		}
		err = writeJSON(con.out, map[string][]string{"deleted": ids})
	default:
		for _, id := range ids {
			if _, err = fmt.Fprintln(con.out, printable(id)); err != nil {
				break
			}
		}
	}
	if err != nil {
		return failed(con, "delete", err)
	}
	return exitOK
}

// confirm asks question on the terminal and reports whether the answer was yes.
func confirm(con console, question string) bool {
	fmt.Fprintf(con.err, "%s [y/N] ", printable(question))
	line, _ := bufio.NewReader(con.in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// targets checks what a revoke, reissue or delete was given: one id (or address), --email, or a
// selection (a run over many; --resume goes on with one), one of them. many says a run;
// code is the exit status to end with, or -1 to go on.
func targets(con console, name string, fs *flag.FlagSet, sf *selectionFlags, rf *runFlags, pos []string, email bool) (many bool, code int) {
	many = sf.given(fs) || rf.resume != ""
	single := len(pos) > 0 || email
	switch {
	case many && single:
		return false, usageError(con, name, "give an invitation, --email or a selection, not more than one of them")
	case !many && (len(pos) != 1) == !email || len(pos) > 1:
		return false, usageError(con, name, "give one invitation, --email or a selection (a run over many invitations never acts on all of them unasked)")
	case !many && (rf.dryRun || rf.report != ""):
		return false, usageError(con, name, "--dry-run and --report are for a run over a selection")
	}
	return many, -1
}
