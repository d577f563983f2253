package main

import (
	"bufio"
	"context"
	"encoding/json"
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

Revokes a pending invitation, or every pending invitation of an address (exact match, any
case), and prints what was revoked. The link stops working; the person can still sign up the
ordinary way.

flags:
  --email EMAIL     revoke every pending invitation of this address
` + apiFlagsHelp + `
examples:
  clerk-invitations revoke inv_2abc...
  clerk-invitations revoke --email ada@example.com
`

func revokeCmd(ctx context.Context, args []string, env func(string) string, con console) int {
	fs := newFlags("revoke")
	api := addAPIFlags(fs, env)
	email := fs.String("email", "", "revoke every pending invitation of this address")
	pos, code, ok := parseArgs(fs, args, revokeHelp, con)
	if !ok {
		return code
	}
	if (len(pos) == 1) == (*email != "") || len(pos) > 1 {
		return usageError(con, "revoke", "give one invitation id, or --email")
	}
	client, err := api.client(env)
	if err != nil {
		return usageError(con, "revoke", "%v", err)
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

Sends an invitation again: creates a new one for the same address with the same public metadata,
then revokes the old one if it is still pending (an expired one is simply replaced). Given an
address, it reissues that address's newest pending invitation, else its newest expired one.
Clerk does not return an invitation's redirect URL, template or expiry, so the new one takes them
from the flags (Clerk's defaults when not given). Prints the old and the new invitation.

flags:
  --redirect-url URL       where the new link lands
  --expires-in-days N      1 to 365 (default: Clerk's 30)
  --template NAME          invitation (default) or waitlist_invitation
  --notify=false           create it without sending the email
` + apiFlagsHelp + `
examples:
  clerk-invitations reissue ada@example.com
  clerk-invitations reissue inv_2abc... --expires-in-days 7
`

func reissueCmd(ctx context.Context, args []string, env func(string) string, con console) int {
	fs := newFlags("reissue")
	api := addAPIFlags(fs, env)
	cf := addCreateFlags(fs)
	pos, code, ok := parseArgs(fs, args, reissueHelp, con)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(con, "reissue", "give one invitation id or email address")
	}
	client, err := api.client(env)
	if err != nil {
		return usageError(con, "reissue", "%v", err)
	}
	got, err := lifecycle.New(client).Reissue(ctx, pos[0], lifecycle.ReissueParams{RedirectURL: cf.redirectURL, ExpiresInDays: cf.expiresInDays,
		TemplateSlug: invitations.TemplateSlug(cf.template), Notify: cf.notifyParam()})
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

Deletes an invitation for good, whatever its status, or every invitation of an address (exact
match, any case): what a data-erasure request needs. Other records of the address, such as a
user, are not touched. On a terminal it asks first; --yes skips the question. Prints the ids
deleted.

flags:
  --email EMAIL     delete every invitation of this address
  --yes             do not ask
` + apiFlagsHelp + `
examples:
  clerk-invitations delete inv_2abc...
  clerk-invitations delete --email ada@example.com --yes
`

func deleteCmd(ctx context.Context, args []string, env func(string) string, con console) int {
	fs := newFlags("delete")
	api := addAPIFlags(fs, env)
	email := fs.String("email", "", "delete every invitation of this address")
	yes := fs.Bool("yes", false, "do not ask")
	pos, code, ok := parseArgs(fs, args, deleteHelp, con)
	if !ok {
		return code
	}
	if (len(pos) == 1) == (*email != "") || len(pos) > 1 {
		return usageError(con, "delete", "give one invitation id, or --email")
	}
	client, err := api.client(env)
	if err != nil {
		return usageError(con, "delete", "%v", err)
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
