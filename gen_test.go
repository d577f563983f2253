package clerkinvitations_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestASpecChangeReachesClientAndServer proves the project's shape: a change to Clerk's API is
// made once, in openapi.yaml, and make generate carries it to the client and to the embedded
// Clerk. In a scratch copy of the module it renames the revoke path, the invitation's url and
// the page's total_count on the wire (keeping their Go names), declares a new optional field
// in both create schemas, regenerates generated/, and runs testdata/planted/planted_test.go
// there beside the unchanged wrapper and embedded Clerk.
func TestASpecChangeReachesClientAndServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyFile := func(name string) {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	// This module's sources (not bin/, where make bench builds); of the modules nested in it,
	// only the generator's go.mod and go.sum.
	require.NoError(t, filepath.WalkDir(".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || name == "." {
			return err
		}
		if d.IsDir() {
			if _, err := os.Stat(filepath.Join(name, "go.mod")); err == nil || d.Name() == ".git" || d.Name() == "node_modules" || name == "bin" {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			copyFile(name)
		}
		return nil
	}))
	copyFile(filepath.Join("tools", "go.mod"))
	copyFile(filepath.Join("tools", "go.sum"))

	spec, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	for _, change := range []struct {
		from, to string
		n        int // how many times from occurs
	}{
		{"  /invitations/{invitation_id}/revoke:\n", "  /invitations/{invitation_id}/cancel:\n", 1},
		{"        url:\n          type: string\n          description: The link that accepts the invitation.\n",
			"        accept_url:\n          x-go-name: URL\n          type: string\n          description: The link that accepts the invitation.\n", 1},
		// A new optional field in both create schemas, the single one and the bulk item.
		{"        email_address:\n          type: string\n          format: email\n          description: Who is invited.\n",
			"        email_address:\n          type: string\n          format: email\n          description: Who is invited.\n" +
				"        locale:\n          type: string\n          description: The language of the email.\n", 2},
		// The page's total, renamed on the wire; the Go name stays.
		{"        - total_count\n", "        - total\n", 1},
		{"        total_count:\n", "        total:\n          x-go-name: TotalCount\n", 1},
	} {
		require.Equal(t, change.n, bytes.Count(spec, []byte(change.from)), "openapi.yaml no longer holds %q %d times: update the planted change", change.from, change.n)
		spec = bytes.ReplaceAll(spec, []byte(change.from), []byte(change.to))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "openapi.yaml"), spec, 0o644))

	run := func(args ...string) {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), "go", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
	}
	run("generate", "./...")
	gen, err := os.ReadFile(filepath.Join(dir, "generated", "invitations.gen.go"))
	require.NoError(t, err)
	require.Contains(t, string(gen), `/invitations/{invitation_id}/cancel"`, "the generator took the new path")

	planted, err := os.ReadFile(filepath.Join("testdata", "planted", "planted_test.go"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wrapper", "invitations", "planted_test.go"), planted, 0o644))
	run("test", "-count=1", "-run", "^TestPlanted", "./wrapper/invitations")
}
