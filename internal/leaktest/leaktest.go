// Package leaktest fails a package's tests when a goroutine outlives them. Every package's
// TestMain calls Main.
package leaktest

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Main runs the tests and the check (see Run) and exits with their status.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run runs the tests, then checks that every goroutine they started has ended, and returns the
// exit status. Idle keep-alive connections of http.DefaultTransport are closed first: the pool
// keeps their goroutines by design, and they belong to no call.
func Run(m *testing.M) int {
	code := m.Run()
	if code == 0 {
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "leaktest: goroutines outlived the tests: %v\n", err)
			code = 1
		}
	}
	return code
}
