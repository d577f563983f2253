package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// newFlags returns a flag set for a command whose help is printed on --help.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {}
	return fs
}

// parseArgs parses flags wherever they stand among the positional arguments ("revoke ID
// --yes" as well as "revoke --yes ID") and returns the positional ones. It returns the exit
// status to end with when parsing ends the command: 0 after printing help, 2 after a bad flag.
func parseArgs(fs *flag.FlagSet, args []string, help string, con console) ([]string, int, bool) {
	fs.SetOutput(con.err)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(con.out, help)
				return nil, exitOK, false
			}
			fmt.Fprintf(con.err, "run 'clerk-invitations help %s' for its flags\n", fs.Name())
			return nil, exitUsage, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, 0, true
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// usageError reports a usage mistake and returns exitUsage.
func usageError(con console, name, format string, args ...any) int {
	fmt.Fprintf(con.err, "clerk-invitations %s: %s\nrun 'clerk-invitations help %s' for its flags\n", name, fmt.Sprintf(format, args...), name)
	return exitUsage
}

// apiFlags are the flags of every command that calls Clerk.
type apiFlags struct {
	apiURL   string
	output   string
	pacing   string
	timeout  time.Duration
	insecure bool
}

func addAPIFlags(fs *flag.FlagSet, env func(string) string) *apiFlags {
	f := &apiFlags{}
	def := env("CLERK_API_URL")
	if def == "" {
		def = invitations.DefaultBaseURL
	}
	fs.StringVar(&f.apiURL, "api-url", def, "base URL of Clerk's Backend API (default: CLERK_API_URL, else "+invitations.DefaultBaseURL+")")
	fs.StringVar(&f.output, "output", "table", "output format: table, json or csv")
	fs.StringVar(&f.pacing, "pacing", "auto", "keep to Clerk's rate limits: auto (by the key: sk_live_ production, else development), dev, prod or none")
	fs.DurationVar(&f.timeout, "timeout", invitations.DefaultTimeout, "bound on each attempt of a call")
	fs.BoolVar(&f.insecure, "insecure-http", false, "allow a plain http --api-url on a host other than loopback")
	return f
}

// client checks the flags and the environment and returns a client for them.
func (f *apiFlags) client(env func(string) string) (*invitations.Client, error) {
	switch f.output {
	case "table", "json", "csv":
	default:
		return nil, fmt.Errorf("--output must be table, json or csv, not %q", f.output)
	}
	key := env("CLERK_SECRET_KEY")
	if key == "" {
		return nil, errors.New("CLERK_SECRET_KEY is not set: export the instance's secret key (it is never taken from a flag)")
	}
	if f.timeout <= 0 {
		return nil, fmt.Errorf("--timeout must be positive, not %v", f.timeout)
	}
	opts := []invitations.Option{invitations.WithBaseURL(f.apiURL), invitations.WithUserAgent("clerk-invitations-cli/" + invitations.Version),
		invitations.WithTimeout(f.timeout)}
	if f.insecure {
		opts = append(opts, invitations.WithInsecureHTTP())
	}
	budgets, err := f.budgets(key)
	if err != nil {
		return nil, err
	}
	if budgets != nil {
		opts = append(opts, invitations.WithPacing(*budgets))
	}
	c, err := invitations.New(key, opts...)
	if errors.Is(err, invitations.ErrInsecureBaseURL) {
		return nil, fmt.Errorf("--api-url %s would send the secret key unencrypted; use https, or --insecure-http on a network you trust", f.apiURL)
	}
	return c, err
}

// limitsName names the budgets --pacing asks for with key, for what a run says.
func (f *apiFlags) limitsName(key string) string {
	if f.pacing == "prod" || f.pacing == "auto" && strings.HasPrefix(key, "sk_live_") {
		return "production"
	}
	return "development"
}

// budgets returns the budgets --pacing asks for with key; nil for none.
func (f *apiFlags) budgets(key string) (*invitations.Budgets, error) {
	var b invitations.Budgets
	switch f.pacing {
	case "auto":
		if strings.HasPrefix(key, "sk_live_") {
			b = invitations.ProductionBudgets()
		} else {
			b = invitations.DevelopmentBudgets()
		}
	case "dev":
		b = invitations.DevelopmentBudgets()
	case "prod":
		b = invitations.ProductionBudgets()
	case "none":
		return nil, nil
	default:
		return nil, fmt.Errorf("--pacing must be auto, dev, prod or none, not %q", f.pacing)
	}
	return &b, nil
}

// statusList is a repeatable --status flag that also takes comma-separated values.
type statusList []invitations.Status

func (s *statusList) String() string {
	var parts []string
	for _, st := range *s {
		parts = append(parts, string(st))
	}
	return strings.Join(parts, ",")
}

func (s *statusList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		switch st := invitations.Status(strings.TrimSpace(part)); st {
		case invitations.StatusPending, invitations.StatusAccepted, invitations.StatusRevoked, invitations.StatusExpired:
			*s = append(*s, st)
		default:
			return fmt.Errorf("%q is not pending, accepted, revoked or expired", part)
		}
	}
	return nil
}

// createFlags are the settings of a new invitation.
type createFlags struct {
	metadata      string
	redirectURL   string
	expiresInDays int
	template      string
	notify        bool
}

func addCreateFlags(fs *flag.FlagSet) *createFlags {
	f := &createFlags{}
	fs.StringVar(&f.redirectURL, "redirect-url", "", "where the invitation link lands (an http or https URL, or a path)")
	fs.IntVar(&f.expiresInDays, "expires-in-days", 0, "days until the invitation expires, 1 to 365 (default: Clerk's 30)")
	fs.StringVar(&f.template, "template", "", "email template: invitation or waitlist_invitation (default: Clerk's invitation)")
	fs.BoolVar(&f.notify, "notify", true, "email the invitation (--notify=false creates it silently)")
	return f
}

// notifyParam is nil (Clerk's default: send) unless --notify=false was given.
func (f *createFlags) notifyParam() *bool {
	if f.notify {
		return nil
	}
	return invitations.Ptr(false)
}
