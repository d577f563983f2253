package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

const versionHelp = `usage: clerk-invitations version

Prints the version this tool was built from, then its platform and Go version. A release binary
(make release) reports its tag; one built by "go install ...@vX.Y.Z" that version; one built
from a clone "devel" and the commit.

example:
  clerk-invitations version
`

// version is the release tag the binary was built from: make release sets it with
// -ldflags "-X main.version=vX.Y.Z".
var version string

func versionCmd(_ context.Context, args []string, _ func(string) string, con console) int {
	pos, code, ok := parseArgs(newFlags("version"), args, versionHelp, con)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(con, "version", "takes no arguments")
	}
	fmt.Fprintf(con.out, "clerk-invitations %s (%s/%s, %s)\n", buildVersion(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	return exitOK
}

// buildVersion is version when make release set it, else what the go command recorded: the
// module version of "go install ...@vX.Y.Z", or the commit a clone was built at.
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	v := "devel"
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision":
			v += " " + s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			v += " (modified)"
		}
	}
	return v
}
