// Package breaking tests breaking.sh (make spec-breaking) on a throwaway clone of this repository
// with planted changes.
package breaking

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sh runs a command in dir and returns its combined output and exit code.
func sh(t *testing.T, dir string, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out), 0
}

func must(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	out, code := sh(t, dir, name, args...)
	if code != 0 {
		t.Fatalf("%s %v: exit %d\n%s", name, args, code, out)
	}
	return out
}

// edit replaces old with new in the file at path, which must contain old.
func edit(t *testing.T, path, old, new string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(raw), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBreakingChangesAreFoundAndMustBeAnnounced(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "repo")
	must(t, root, "git", "clone", "--quiet", root, clone)
	// The script under test is this working tree's, whatever HEAD holds.
	must(t, root, "mkdir", "-p", filepath.Join(clone, "tools/spec"))
	must(t, root, "cp", "tools/spec/breaking.sh", filepath.Join(clone, "tools/spec/breaking.sh"))
	must(t, root, "cp", "tools/spec/go.mod", filepath.Join(clone, "tools/spec/go.mod"))
	must(t, root, "cp", "tools/spec/go.sum", filepath.Join(clone, "tools/spec/go.sum"))
	must(t, clone, "git", "add", "-A")
	must(t, clone, "git", "commit", "--quiet", "--allow-empty", "-m", "base")
	script := filepath.Join(clone, "tools/spec/breaking.sh")

	out, code := sh(t, clone, script, "HEAD")
	if code != 0 || !strings.Contains(out, "nothing breaks") {
		t.Fatalf("no change: exit %d\n%s", code, out)
	}

	// Plant: a template Clerk accepted is dropped from the request enum; an exported function
	// changes its signature.
	edit(t, filepath.Join(clone, "openapi.yaml"), "        - invitation\n        - waitlist_invitation\n", "        - invitation\n")
	edit(t, filepath.Join(clone, "wrapper/invitations/params.go"), "func Ptr[T any](v T) *T {", "func Ptr[T any](v T, _ ...int) *T {")
	out, code = sh(t, clone, script, "HEAD")
	if code != 1 {
		t.Fatalf("planted breaking changes: exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{"waitlist_invitation", "Ptr", "does not announce"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not mention %q:\n%s", want, out)
		}
	}

	// A new minor version below 1.0.0 announces them.
	edit(t, filepath.Join(clone, "wrapper/invitations/options.go"), `= "0.1.0"`, `= "0.2.0"`) // invitations.Version
	out, code = sh(t, clone, script, "HEAD")
	if code != 0 || !strings.Contains(out, "announced by the version: 0.1.0 -> 0.2.0") {
		t.Fatalf("announced breaking changes: exit %d\n%s", code, out)
	}

	if out, code := sh(t, clone, script, "no-such-ref"); code != 2 || !strings.Contains(out, "not a commit") {
		t.Errorf("unknown ref: exit %d\n%s", code, out)
	}
}
