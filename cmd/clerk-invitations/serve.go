package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"time"

	"golang.org/x/net/netutil"

	"github.com/clerk-invitations/clerk-invitations-go/generated/control"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

const serveHelp = `usage: clerk-invitations serve [--addr 127.0.0.1:4010] [--secret-key sk_test_...] [--rate-limits none|dev|prod]
                              [--max-invitations N] [--max-conns N] [--state FILE] [--control=false]

Serves an in-memory Clerk invitations API under /v1 until interrupted (SIGINT or SIGTERM): the
five invitation operations as Clerk answers them, for tests and for Clerk's own SDKs. It prints
the base URL and the secret key clients must send: --secret-key, else CLERK_SECRET_KEY (printed
as $CLERK_SECRET_KEY, never its value), else a random one. GET /healthz answers 200 "ok" without
a key once it serves (clerk-invitations health asks it).

Under /_control/, with the same key, a control plane moves its world along from any language:
accept or expire an invitation, register a user, move the clock, inject faults, set rate
limits, read the request log, reset, export and import the state (control.yaml describes it;
--control=false turns it off). --state FILE loads the state at start and saves it at exit
(written whole or not at all); a FILE that does not parse stops serve and is left alone.

Base URLs: this library and Clerk's Go SDK take http://ADDR/v1; Clerk's JavaScript SDK adds /v1
itself and takes http://ADDR.

examples:
  clerk-invitations serve
  clerk-invitations serve --addr 127.0.0.1:4010 --secret-key sk_test_local --rate-limits dev
`

func serveCmd(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:4010", "address to listen on (loopback by default)")
	key := fs.String("secret-key", "", `secret key clients must send (default: CLERK_SECRET_KEY, else a random "sk_test_..." key)`)
	limits := fs.String("rate-limits", "none", "none, dev (Clerk's development budgets: 100 calls per 10 s) or prod (1000 per 10 s); both add 100 creates and 25 bulk creates per hour")
	maxStored := fs.Int("max-invitations", 100_000, "invitations the server holds at most, in any status; past it creates answer 403 quota_exceeded")
	maxConns := fs.Int("max-conns", defaultServeLimits.MaxConns, "concurrent connections at most; more wait to be accepted")
	statePath := fs.String("state", "", "load the state from FILE at start (if it exists) and save it there at exit")
	controlOn := fs.Bool("control", true, "serve the control plane under /_control/")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, serveHelp)
			return exitOK
		}
		return exitUsage
	}
	if *maxStored < 1 || *maxConns < 1 {
		fmt.Fprintln(stderr, "clerk-invitations serve: --max-invitations and --max-conns must be at least 1")
		return 2
	}
	keyName := "--secret-key"
	if *key == "" && env("CLERK_SECRET_KEY") != "" {
		*key, keyName = env("CLERK_SECRET_KEY"), "CLERK_SECRET_KEY"
		stdout = keyHidden{stdout, *key}
	}
	opts := fakeclerk.Options{SecretKey: *key, MaxInvitations: *maxStored, Control: *controlOn}
	sl := defaultServeLimits
	sl.MaxConns = *maxConns
	switch *limits {
	case "none":
	case "dev":
		b := rules.DevelopmentBudgets()
		opts.RateLimits = &b
	case "prod":
		b := rules.ProductionBudgets()
		opts.RateLimits = &b
	default:
		fmt.Fprintf(stderr, "clerk-invitations serve: --rate-limits must be none, dev or prod, not %q\n", *limits)
		return 2
	}
	if *key != "" {
		if len(*key) > maxKeyBytes {
			fmt.Fprintf(stderr, "clerk-invitations serve: %s is %d bytes long; Clerk's keys are about 50, and at most %d are accepted\n", keyName, len(*key), maxKeyBytes)
			return 2
		}
		if _, err := invitations.New(*key); err != nil {
			fmt.Fprintf(stderr, "clerk-invitations serve: %s: %v\n", keyName, err)
			return 2
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "clerk-invitations serve: %v\n", err)
		return 1
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		fmt.Fprintf(stderr, "clerk-invitations serve: warning: listening on %s, which is not loopback\n", ln.Addr())
	}
	fake := fakeclerk.New(opts)
	if *statePath != "" {
		if err := loadState(fake, *statePath); err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "clerk-invitations serve: --state: %v\n", err)
			return 2
		}
	}
	err = serve(ctx, ln, fake, sl, stdout)
	if *statePath != "" {
		if saveErr := saveState(fake, *statePath); saveErr != nil {
			err = errors.Join(err, fmt.Errorf("--state: %w", saveErr))
		} else {
			fmt.Fprintf(stdout, "state saved to %s\n", *statePath)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "clerk-invitations serve: %v\n", err)
		return 1
	}
	return 0
}

// loadState seeds fake from path, when it exists.
func loadState(fake *fakeclerk.Server, path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // saved there at exit
	}
	if err != nil {
		return err
	}
	var st control.State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil || st.Invitations == nil || st.Users == nil {
		return fmt.Errorf("%s is not a state this server saved (%v): it is left as it is", path, cmp.Or(err, errors.New("no invitations or users")))
	}
	if err := fake.SetState(st); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// saveState writes fake's state to path whole or not at all.
func saveState(fake *fakeclerk.Server, path string) error { return writeJSONFile(path, fake.State()) }

// keyHidden writes to w with key replaced by $CLERK_SECRET_KEY: a key serve took from the
// environment is never printed.
type keyHidden struct {
	w   io.Writer
	key string
}

func (k keyHidden) Write(p []byte) (int, error) {
	if _, err := k.w.Write(bytes.ReplaceAll(p, []byte(k.key), []byte("$CLERK_SECRET_KEY"))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// healthPath is what serve answers 200 "ok" on, without a key, once it serves: for a container's
// health check and for tests waiting on it. Clerk's own paths are all under /v1.
const healthPath = "/healthz"

// maxKeyBytes bounds --secret-key: every request carries it in a header.
const maxKeyBytes = 512

// serveLimits bound what one client can hold of the server: a request trickled in slowly, an
// answer read slowly, an idle keep-alive connection, or a flood of connections.
type serveLimits struct {
	ReadHeader time.Duration // to read a request's headers
	Read       time.Duration // to read a whole request, body included
	Write      time.Duration // to write an answer, from the end of reading the request
	Idle       time.Duration // a keep-alive connection waiting for its next request
	MaxConns   int           // connections served at once; more wait in the listen queue
	Grace      time.Duration // for requests under way at a stop; then every connection is closed
}

var defaultServeLimits = serveLimits{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 30 * time.Second, Idle: 60 * time.Second, MaxConns: 512, Grace: 5 * time.Second}

// serve answers on ln until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, ln net.Listener, fake *fakeclerk.Server, limits serveLimits, stdout io.Writer) error {
	api := fake.Handler()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == healthPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				_, _ = io.WriteString(w, "ok\n")
				return
			}
			api.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: limits.ReadHeader,
		ReadTimeout:       limits.Read,
		WriteTimeout:      limits.Write,
		IdleTimeout:       limits.Idle,
		MaxHeaderBytes:    1 << 20, // far past fakeclerk.MaxHeaderBytes, which answers with Clerk's body
	}
	ln = netutil.LimitListener(ln, limits.MaxConns)
	fmt.Fprintf(stdout, "serving the Clerk invitations API at http://%s/v1\n", ln.Addr())
	fmt.Fprintf(stdout, "secret key: %s\n", fake.SecretKey())
	fmt.Fprintf(stdout, "  this library:      invitations.WithBaseURL(%q)\n", "http://"+ln.Addr().String()+"/v1")
	fmt.Fprintf(stdout, "  Clerk's Go SDK:    clerk.BackendConfig{URL: clerk.String(%q)}\n", "http://"+ln.Addr().String()+"/v1")
	fmt.Fprintf(stdout, "  Clerk's JS SDK:    createClerkClient({apiUrl: %q}) (it adds /v1 itself)\n", "http://"+ln.Addr().String())
	fmt.Fprintf(stdout, "contract suite: CLERK_API_URL=http://%s/v1 CLERK_SECRET_KEY=%s make contract\n", ln.Addr(), fake.SecretKey())
	if fake.Control() {
		fmt.Fprintf(stdout, "control plane: http://%s/_control/ (control.yaml), with the same key\n", ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), limits.Grace)
	defer cancel()
	err := srv.Shutdown(shutdown)
	if errors.Is(err, context.DeadlineExceeded) {
		// What is still open after the grace period is closed. net/http waits 5 s before it
		// counts a connection that never carried a request as idle, and clients keep such spare
		// connections: a stop is not a failure because of them.
		err = srv.Close()
	}
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	fmt.Fprintln(stdout, "stopped")
	return err
}
