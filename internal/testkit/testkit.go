// Package testkit holds the helpers this module's tests share: Main, which every package's
// TestMain calls to fail its tests when a goroutine outlives them, and SyncBuffer.
package testkit

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"sync"
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
			fmt.Fprintf(os.Stderr, "testkit: goroutines outlived the tests: %v\n", err)
			code = 1
		}
	}
	return code
}

// SyncBuffer is a bytes.Buffer that is safe to write from several goroutines and read meanwhile
// (a logger's output, a server's).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
