// Command clerk-invitations manages a Clerk instance's application invitations from the
// command line, invites thousands of addresses from a CSV file, serves an in-memory Clerk and
// runs the contract suite.
//
//	clerk-invitations create EMAIL [flags]
//	clerk-invitations list [--status S] [--query Q] [--all] [flags]
//	clerk-invitations get ID
//	clerk-invitations revoke ID | --email EMAIL | SELECTION [run flags]
//	clerk-invitations reissue ID | EMAIL | SELECTION [flags] [run flags]
//	clerk-invitations delete ID | --email EMAIL | SELECTION [--yes] [run flags]
//	clerk-invitations bulk FILE [--dry-run] [--report FILE] [--resume FILE] [--notify=false] [--yes]
//	clerk-invitations watch [--interval 1m] [--state FILE] [--once]
//	clerk-invitations serve [--addr 127.0.0.1:4010] [--secret-key sk_test_…] [--rate-limits none|dev|prod]
//	clerk-invitations health [--addr 127.0.0.1:4010]
//	clerk-invitations contract
//	clerk-invitations fidelity TRANSCRIPT
//	clerk-invitations version
//
// The secret key comes from CLERK_SECRET_KEY (never a flag, which would land in the shell's
// history); --api-url, or CLERK_API_URL, names another base URL, such as a serve process's.
// `clerk-invitations help COMMAND` describes each command with examples.
//
// SELECTION is any of --status, --query, --created-before, --created-after, --expires-before,
// --file and --from: a run over many invitations, which says first what it will do and how long
// that takes, asks on a terminal, journals every step and writes a report (--resume).
//
// Exit status: 0 when everything asked was done; 1 when a call failed (the error on standard
// error carries Clerk's message, code and trace id); 2 for a usage error; 3 when a run or an
// --email command left some failed or not sent; 4 when the contract suite met only trouble
// reaching its target, so that nothing was refuted; 130 when interrupted (a run first finishes the
// call under way and writes its report).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitPartial     = 3
	exitTrouble     = 4
	exitInterrupted = 130
)

// console is where a command talks: the standard streams and whether each is a terminal.
type console struct {
	in                    io.Reader
	out, err              io.Writer
	inTTY, outTTY, errTTY bool
}

func osConsole() console {
	isTTY := func(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
	return console{in: os.Stdin, out: os.Stdout, err: os.Stderr, inTTY: isTTY(os.Stdin), outTTY: isTTY(os.Stdout), errTTY: isTTY(os.Stderr)}
}

func main() {
	// A closed terminal or a dropped ssh session (SIGHUP) stops a run as Ctrl-C does. The first
	// says at once what the run is waiting for; a second ends the program at once (the signal's
	// own action), the journal intact: it was synced after every step.
	ctx, cancel := context.WithCancel(context.Background())
	signals := []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}
	caught := make(chan os.Signal, 1)
	signal.Notify(caught, signals...)
	go func() {
		<-caught
		signal.Reset(signals...)
		if note := interruptedNote(); note != "" {
			fmt.Fprintln(os.Stderr, note)
		}
		cancel()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, osConsole()))
}

// command is one subcommand: its one-line summary, its help text and what it runs.
type command struct {
	summary string
	help    string
	run     func(ctx context.Context, args []string, env func(string) string, con console) int
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"create":  {"create one invitation", createHelp, createCmd},
		"list":    {"list invitations, one page or --all", listHelp, listCmd},
		"get":     {"show one invitation by id", getHelp, getCmd},
		"revoke":  {"revoke an invitation, or every pending one of --email", revokeHelp, revokeCmd},
		"reissue": {"send an invitation again: a new one, the old one revoked", reissueHelp, reissueCmd},
		"delete":  {"delete an invitation, or every one of --email, for good", deleteHelp, deleteCmd},
		"bulk":    {"invite every address of a CSV file or list, paced, with a report", bulkHelp, bulkCmd},
		"watch":   {"report invitations created, accepted, expired, revoked or deleted", watchHelp, watchCmd},
		"serve": {"serve an in-memory Clerk invitations API", serveHelp, func(ctx context.Context, args []string, env func(string) string, con console) int {
			return serveCmd(ctx, args, env, con.out, con.err)
		}},
		"health":  {"check that a serve process answers", healthHelp, healthCmd},
		"version": {"print the version this tool was built from", versionHelp, versionCmd},
		"contract": {"run the contract suite against the embedded server or a live Clerk", contractHelp, func(ctx context.Context, args []string, env func(string) string, con console) int {
			return contractCmd(ctx, args, env, con.out, con.err)
		}},
		"fidelity": {"replay a contract run's transcript against the embedded server, report differences", fidelityHelp, fidelityCmd},
	}
}

var commandOrder = []string{"create", "list", "get", "revoke", "reissue", "delete", "bulk", "watch", "serve", "health", "contract", "fidelity", "version"}

func usage(w io.Writer) {
	fmt.Fprint(w, "usage: clerk-invitations COMMAND [flags]\n\ncommands:\n")
	for _, name := range commandOrder {
		fmt.Fprintf(w, "  %-9s %s\n", name, commands[name].summary)
	}
	fmt.Fprint(w, `
The secret key comes from CLERK_SECRET_KEY; --api-url (or CLERK_API_URL) names another base URL.
Run 'clerk-invitations help COMMAND' for a command's flags and examples.

exit status: 0 done, 1 a call failed, 2 usage error, 3 some failed or were not sent,
4 the contract suite met only trouble reaching its target, 130 interrupted
`)
}

func run(ctx context.Context, args []string, env func(string) string, con console) int {
	if len(args) == 0 {
		usage(con.err)
		return exitUsage
	}
	switch args[0] {
	case "--version":
		args[0] = "version"
	case "help", "-h", "--help", "-help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fmt.Fprint(con.out, c.help)
				return exitOK
			}
			fmt.Fprintf(con.err, "clerk-invitations: no command %q\n", args[1])
			return exitUsage
		}
		usage(con.out)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(con.err, "clerk-invitations: unknown command %q\n", args[0])
		usage(con.err)
		return exitUsage
	}
	return c.run(ctx, args[1:], env, con)
}

// failed reports err on standard error and returns the exit status it calls for.
func failed(con console, name string, err error) int {
	fmt.Fprintf(con.err, "clerk-invitations %s: %s\n", name, printable(err.Error()))
	if errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	return exitFailed
}
