package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/clerk-invitations/clerk-invitations-go/internal/testkit"
)

// binDir holds the binary the end-to-end tests build; it goes when the tests end.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "clerk-invitations-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := testkit.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}
