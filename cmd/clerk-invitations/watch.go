package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

const watchHelp = `usage: clerk-invitations watch [flags]

Reports what happens to the instance's invitations as it happens: created, accepted, expired,
revoked or deleted, a line each (or, with --output json, a JSON line each: the change, the
invitation, its old and new status), for piping into anything. Clerk sends no webhook for
application invitations, so watch polls: the pending invitations (a list call per 500), the
ones created since the last poll and already gone from pending (one list call), and a lookup
of each invitation that left pending, every --interval, paced to Clerk's limits.

--state FILE keeps what it knows, saved after every poll (whole or not at all): a watch
restarted from it reports what changed while it was stopped. It misses nothing; a watch killed
after printing a poll's changes and before saving them prints those again (at-least-once, never
more than the last poll's). Without a state file, the first poll only learns what exists.
--once polls once, compares with the state file and exits: for cron jobs and CI.

Ctrl-C or SIGTERM stops it (status 0), with the state of the last poll saved.

flags:
  --interval D      time between polls (default 1m)
  --state FILE      what it knows, loaded at start and saved after every poll
  --once            poll once and exit
` + apiFlagsHelp + `
examples:
  clerk-invitations watch --state invitations.state.json
  clerk-invitations watch --state invitations.state.json --output json | jq 'select(.change == "accepted")'
  clerk-invitations watch --state invitations.state.json --once
`

func watchCmd(ctx context.Context, args []string, env func(string) string, con console) int {
	flags := newFlags("watch")
	api := addAPIFlags(flags, env)
	interval := flags.Duration("interval", time.Minute, "time between polls")
	statePath := flags.String("state", "", "what it knows, loaded at start and saved after every poll")
	once := flags.Bool("once", false, "poll once and exit")
	pos, code, ok := parseArgs(flags, args, watchHelp, con)
	if !ok {
		return code
	}
	switch {
	case len(pos) != 0:
		return usageError(con, "watch", "unexpected argument %q", pos[0])
	case *interval <= 0:
		return usageError(con, "watch", "--interval must be positive, not %v", *interval)
	}
	client, err := api.client(env)
	if err != nil {
		return usageError(con, "watch", "%v", err)
	}
	var state []byte
	if *statePath != "" {
		if state, err = os.ReadFile(*statePath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return usageError(con, "watch", "--state: %v", err)
		}
	}
	w, err := lifecycle.New(client).NewWatcher(state)
	if err != nil {
		return usageError(con, "watch", "--state: %s is not a state this command saved", *statePath)
	}
	for {
		changes, pollErr := w.Poll(ctx)
		for _, ch := range changes {
			if err := printChange(con.out, api.output, ch); err != nil {
				return failed(con, "watch", err)
			}
		}
		// What was printed is saved before anything else: a restart repeats at most this poll.
		if *statePath != "" && (len(changes) > 0 || pollErr == nil) {
			if err := writeJSONFile(*statePath, w); err != nil {
				return failed(con, "watch", fmt.Errorf("saving the state: %w", err))
			}
		}
		switch {
		case ctx.Err() != nil:
			return exitOK
		case pollErr != nil && *once:
			return failed(con, "watch", pollErr)
		case pollErr != nil:
			fmt.Fprintf(con.err, "clerk-invitations watch: %s; trying again in %s\n", printable(pollErr.Error()), *interval)
		case *once:
			return exitOK
		}
		t := time.NewTimer(*interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return exitOK
		case <-t.C:
		}
	}
}

// changeJSON is a change as watch prints it for scripts.
type changeJSON struct {
	At         time.Time          `json:"at"`
	Change     string             `json:"change"`
	OldStatus  invitations.Status `json:"old_status,omitempty"`
	NewStatus  invitations.Status `json:"new_status,omitempty"`
	Invitation invitationJSON     `json:"invitation"`
}

// printChange prints a change: a line, or a JSON line.
func printChange(w io.Writer, format string, ch lifecycle.Change) error {
	now := time.Now().UTC()
	if format == "json" {
		return writeJSONLine(w, changeJSON{At: now, Change: ch.Kind, OldStatus: ch.OldStatus, NewStatus: ch.NewStatus, Invitation: toJSON(ch.Invitation)})
	}
	from, to := cmp.Or(string(ch.OldStatus), "new"), cmp.Or(string(ch.NewStatus), "gone")
	_, err := fmt.Fprintf(w, "%s %-8s %s %s (%s -> %s)\n", now.Format(time.RFC3339), ch.Kind, printable(ch.Invitation.ID), printable(ch.Invitation.EmailAddress), from, to)
	return err
}
