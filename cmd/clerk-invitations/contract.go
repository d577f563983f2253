package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/clerk-invitations/clerk-invitations-go/internal/contract"
	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

const contractHelp = `usage: clerk-invitations contract

Runs the contract suite. Without CLERK_SECRET_KEY it starts the embedded server on loopback and
runs against it. With CLERK_SECRET_KEY it runs against the live API at https://api.clerk.com/v1,
or at CLERK_API_URL when that is set (for example a serve process). It prints one line per
scenario, then whether each inferred fact held, and ends with "N passed, M failed, K skipped".
Use a development instance: the run creates invitations (never emailed) and deletes them at the
end.

exit status: 0 every scenario passed; 1 a scenario failed on an answer it checked (the target
and openapi.yaml disagree, or an inferred fact is refuted); 4 trouble only: the target could not
be reached or would not take the calls (no answer, 401, 403, 429, 5xx), so nothing was refuted.

environment:
  CONTRACT_RECORD=FILE          write a transcript of every exchange to FILE, for
                                clerk-invitations fidelity; trace ids, invitation links and
                                other people's addresses and metadata are redacted, the key is
                                never written
  CONTRACT_RECORD_UNREDACTED=1  keep what CONTRACT_RECORD would redact (never the key)
  CLERK_CONTRACT_USER_EMAIL     the address of a user of the instance, to check what inviting
                                one answers (the embedded Clerk registers its own)

examples:
  clerk-invitations contract
  CLERK_SECRET_KEY=sk_test_... CONTRACT_RECORD=live.jsonl clerk-invitations contract
`

func contractCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("contract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, contractHelp)
			return exitOK
		}
		return exitUsage
	}
	key, apiURL := getenv("CLERK_SECRET_KEY"), getenv("CLERK_API_URL")
	target := contract.Target{BaseURL: apiURL, SecretKey: key, Live: key != "", ExistingUser: getenv("CLERK_CONTRACT_USER_EMAIL"),
		RecordUnredacted: getenv("CONTRACT_RECORD_UNREDACTED") == "1"}
	if path := getenv("CONTRACT_RECORD"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(stderr, "clerk-invitations contract: CONTRACT_RECORD: %v\n", err)
			return 1
		}
		defer f.Close()
		target.Record = f
	}
	switch {
	case key == "" && apiURL != "":
		fmt.Fprintln(stderr, "clerk-invitations contract: CLERK_API_URL is set but CLERK_SECRET_KEY is not")
		return 2
	case key == "":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintf(stderr, "clerk-invitations contract: %v\n", err)
			return 1
		}
		fake := fakeclerk.New(fakeclerk.Options{})
		target.ExistingUser, target.Expire = "contract-user@example.com", fake.Expire
		fake.RegisterUser(target.ExistingUser)
		srvCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- serve(srvCtx, ln, fake, defaultServeLimits, io.Discard) }()
		defer func() { cancel(); <-done }()
		target.BaseURL, target.SecretKey = "http://"+ln.Addr().String()+"/v1", fake.SecretKey()
	case apiURL == "":
		target.BaseURL = invitations.DefaultBaseURL
	}
	sum, err := contract.Run(ctx, target, stdout)
	switch {
	case errors.Is(err, contract.ErrTrouble):
		fmt.Fprintf(stderr, "clerk-invitations contract: %v\n", err)
		return exitTrouble
	case err != nil:
		fmt.Fprintf(stderr, "clerk-invitations contract: %v\n", err)
		return exitFailed
	case sum.Disagreed():
		return exitFailed
	case sum.Failed > 0:
		fmt.Fprintln(stderr, "clerk-invitations contract: every failure met trouble before its check (see above): nothing was refuted")
		return exitTrouble
	}
	return exitOK
}
