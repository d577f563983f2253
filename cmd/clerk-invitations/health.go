package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

const healthHelp = `usage: clerk-invitations health [--addr 127.0.0.1:4010]

Asks the serve process at ADDR whether it serves: GET http://ADDR/healthz, which serve answers
without a key. Exits 0 when the answer is 200 within 2 s, 1 otherwise (with the reason on
standard error). The container image runs it as its health check; the port is serve's default.

example:
  clerk-invitations health --addr 127.0.0.1:4010
`

func healthCmd(ctx context.Context, args []string, _ func(string) string, con console) int {
	fs := newFlags("health")
	addr := fs.String("addr", "127.0.0.1:4010", "the serve process's address")
	pos, code, ok := parseArgs(fs, args, healthHelp, con)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(con, "health", "takes no arguments, only --addr")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+*addr+healthPath, nil)
	if err != nil {
		return usageError(con, "health", "--addr %q: %v", *addr, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return failed(con, "health", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(con.err, "clerk-invitations health: %s answered %s\n", req.URL, resp.Status)
		return exitFailed
	}
	fmt.Fprintln(con.out, "ok")
	return exitOK
}
