package clerkinvitations_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// TestTheClientStaysThin holds the client package to the sizes CONTRIBUTING.md and
// BENCHMARKS.md state: work that any user could build on its exported API belongs in
// wrapper/lifecycle, not here.
func TestTheClientStaysThin(t *testing.T) {
	t.Parallel()
	lines := func(dir string) int {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		n := 0
		for _, f := range files {
			if !strings.HasSuffix(f, "_test.go") {
				data, err := os.ReadFile(f)
				require.NoError(t, err)
				n += bytes.Count(data, []byte("\n"))
			}
		}
		return n
	}
	client := lines("wrapper/invitations")
	assert.LessOrEqual(t, client, 1200, "lines of wrapper/invitations")

	// What a user of the client links of this module's hand-written code: the package and the
	// internal packages it imports (generated code aside).
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", "./wrapper/invitations").Output()
	require.NoError(t, err)
	linked := 0
	for _, pkg := range strings.Fields(string(out)) {
		if dir, ok := strings.CutPrefix(pkg, "github.com/clerk-invitations/clerk-invitations-go/"); ok && !strings.HasPrefix(dir, "generated") {
			linked += lines(dir)
		}
	}
	assert.Greater(t, linked, client, "the internal packages are counted")
	assert.LessOrEqual(t, linked, 2100, "hand-written lines a user of the client links")

	var methods []string
	for m := range reflect.TypeFor[*invitations.Client]().Methods() {
		if m.Name != "String" && m.Name != "GoString" {
			methods = append(methods, m.Name)
		}
	}
	assert.LessOrEqual(t, len(methods), 8, "Client's methods: %v", methods)

	doc, err := exec.CommandContext(t.Context(), "go", "doc", "-all", "./wrapper/invitations").Output()
	require.NoError(t, err)
	assert.LessOrEqual(t, bytes.Count(doc, []byte("\n")), 450, "lines of go doc -all")
}
