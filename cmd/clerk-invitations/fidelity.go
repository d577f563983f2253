package main

import (
	"context"
	"fmt"
	"os"

	"github.com/clerk-invitations/clerk-invitations-go/internal/transcript"
)

const fidelityHelp = `usage: clerk-invitations fidelity TRANSCRIPT

Replays the requests of a contract run's transcript (clerk-invitations contract with
CONTRACT_RECORD=FILE) against a fresh embedded Clerk, in the same order and on the same clock,
and reports every answer that differs from the recorded one in status, error codes,
meta.param_name or shape (fields and their types, not their values). Answers recorded as 429 or
5xx, or not at all, are skipped. Exits 1 when anything differs: the embedded Clerk no longer
answers as the recorded service did.

example:
  CLERK_SECRET_KEY=sk_test_... CONTRACT_RECORD=live.jsonl clerk-invitations contract
  clerk-invitations fidelity live.jsonl
`

func fidelityCmd(ctx context.Context, args []string, _ func(string) string, con console) int {
	stdout, stderr := con.out, con.err
	pos, code, ok := parseArgs(newFlags("fidelity"), args, fidelityHelp, con)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(con, "fidelity", "give one transcript file")
	}
	path := pos[0]
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "clerk-invitations fidelity: %v\n", err)
		return 1
	}
	defer f.Close()
	h, exchanges, err := transcript.Read(f)
	if err != nil {
		fmt.Fprintf(stderr, "clerk-invitations fidelity: %s: %v\n", path, err)
		return 1
	}
	r, err := transcript.Replay(ctx, exchanges)
	if err != nil {
		fmt.Fprintf(stderr, "clerk-invitations fidelity: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "transcript of the %s run recorded %s, run tag %s\n", h.Target, h.RecordedAt.Format("2006-01-02 15:04 MST"), h.RunTag)
	for _, s := range r.Skipped {
		fmt.Fprintf(stdout, "skipped %s\n", s)
	}
	for _, d := range r.Differences {
		fmt.Fprintf(stdout, "DIFFERS %s\n", d)
	}
	fmt.Fprintf(stdout, "%d exchanges replayed against the embedded Clerk: %d differences, %d skipped\n", r.Compared, len(r.Differences), len(r.Skipped))
	if len(r.Differences) > 0 {
		return 1
	}
	return 0
}
