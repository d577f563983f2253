package clerkinvitations_test

import (
	"fmt"
	"go/ast"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// snippet is a Go block from the documentation: where it is, and its text.
type snippet struct {
	where string
	code  string
}

// TestEveryGoBlockInTheDocsCompiles: every Go block of README.md, of the pages in docs/ and of
// the public packages' documentation compiles and passes go vet, in a module of its own that
// uses this one as a user's would. A block of statements is wrapped in a function, as a user
// pastes it into one, with ctx, client, t, m (a lifecycle.Manager) and report (a
// lifecycle.Report) as parameters when it uses them without declaring them (the blocks before
// it did); a block with functions of its own stands as a file. Imports come from the names used.
func TestEveryGoBlockInTheDocsCompiles(t *testing.T) {
	t.Parallel()
	var snippets []snippet
	pages, err := filepath.Glob("docs/*.md")
	require.NoError(t, err)
	for _, page := range append([]string{"README.md"}, pages...) {
		snippets = append(snippets, markdownBlocks(t, page)...)
	}
	for _, pkg := range []string{"wrapper/invitations", "wrapper/lifecycle", "wrapper/invitations/invitationstest"} {
		snippets = append(snippets, packageDocBlocks(t, pkg)...)
	}
	require.GreaterOrEqual(t, len(snippets), 8, "the blocks found")

	root, err := os.Getwd()
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(name, content string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	write("go.mod", "module example.com/docs\n\ngo 1.26.0\n\nrequire (\n\tgithub.com/clerk-invitations/clerk-invitations-go v0.0.0\n"+
		"\tgithub.com/stretchr/testify "+requiredVersion(t, "github.com/stretchr/testify")+"\n)\n\nreplace github.com/clerk-invitations/clerk-invitations-go => "+root+"\n")
	sum, err := os.ReadFile("go.sum")
	require.NoError(t, err)
	write("go.sum", string(sum))
	for i, s := range snippets {
		write(fmt.Sprintf("s%02d/snippet.go", i), asFile(s))
	}
	cmd := exec.CommandContext(t.Context(), "go", "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		// Name each failing block by where it is in the docs.
		msg := string(out)
		for i, s := range snippets {
			msg = strings.ReplaceAll(msg, fmt.Sprintf("s%02d/snippet.go", i), s.where+" (as s"+fmt.Sprintf("%02d", i)+"/snippet.go)")
		}
		t.Fatalf("documentation blocks that do not compile or vet:\n%s", msg)
	}
}

// markdownBlocks returns the ```go blocks of a Markdown page.
func markdownBlocks(t *testing.T, page string) []snippet {
	data, err := os.ReadFile(page)
	require.NoError(t, err)
	var out []snippet
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```go" {
			continue
		}
		start := i + 1
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
		}
		out = append(out, snippet{fmt.Sprintf("%s:%d", page, start), strings.Join(lines[start:i], "\n")})
	}
	return out
}

// packageDocBlocks returns the code blocks of a package's documentation comment.
func packageDocBlocks(t *testing.T, dir string) []snippet {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	var out []snippet
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ParseComments|parser.PackageClauseOnly)
		require.NoError(t, err)
		if f.Doc == nil {
			continue
		}
		for _, block := range new(comment.Parser).Parse(f.Doc.Text()).Content {
			if code, ok := block.(*comment.Code); ok {
				out = append(out, snippet{name + " (package documentation)", code.Text})
			}
		}
	}
	require.NotEmpty(t, out, "%s's documentation has a code block", dir)
	return out
}

// imports are the packages a block may use, by the name it uses them by.
var imports = map[string]string{
	"context": "context", "errors": "errors", "fmt": "fmt", "os": "os", "strings": "strings", "time": "time",
	"http": "net/http", "slog": "log/slog", "testing": "testing", "synctest": "testing/synctest",
	"invitations":     "github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations",
	"invitationstest": "github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest",
	"lifecycle":       "github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle",
	"require":         "github.com/stretchr/testify/require", "assert": "github.com/stretchr/testify/assert",
}

// parameters are what a block of statements may use without declaring it, as a function it is
// pasted into would have it.
var parameters = []struct{ name, decl string }{
	{"ctx", "ctx context.Context"}, {"client", "client *invitations.Client"}, {"t", "t *testing.T"},
	{"m", "m *lifecycle.Manager"}, {"report", "report *lifecycle.Report"},
}

var importLine = regexp.MustCompile(`(?m)^import\s+(\w+\s+)?"[^"]+"\s*$`)

// asFile makes s a Go file of a package of its own.
func asFile(s snippet) string {
	code := importLine.ReplaceAllString(s.code, "")
	body := code
	if !regexp.MustCompile(`(?m)^func `).MatchString(code) {
		var params []string
		for _, p := range parameters {
			used := regexp.MustCompile(`\b` + p.name + `\b`).MatchString(code)
			declared := regexp.MustCompile(`(?m)(^|[\s(])` + p.name + `(\s*,\s*\w+)*\s*:=`).MatchString(code)
			if used && !declared {
				params = append(params, p.decl)
			}
		}
		body = "func snippet(" + strings.Join(params, ", ") + ") error {\n" + code + "\n}\n"
		if !endsTheFunction(body) {
			body = strings.TrimSuffix(body, "}\n") + "\treturn nil\n}\n"
		}
	}
	var used []string
	for name, path := range imports {
		if regexp.MustCompile(`\b`+name+`\.`).MatchString(body) || strings.Contains(body, " "+name+".") {
			used = append(used, fmt.Sprintf("%q", path))
		}
	}
	slices.Sort(used)
	file := "// " + s.where + "\n\npackage snippet\n\n"
	if len(used) > 0 {
		file += "import (\n\t" + strings.Join(used, "\n\t") + "\n)\n\n"
	}
	return file + body
}

// endsTheFunction reports whether the last statement of the function in src returns or loops
// for ever, so that a return after it would be unreachable.
func endsTheFunction(src string) bool {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+src, 0)
	if err != nil || len(f.Decls) == 0 {
		return false
	}
	body := f.Decls[0].(*ast.FuncDecl).Body.List
	if len(body) == 0 {
		return false
	}
	switch last := body[len(body)-1].(type) {
	case *ast.ReturnStmt:
		return true
	case *ast.ForStmt:
		return last.Cond == nil
	}
	return false
}

// requiredVersion returns the version of module path this module's go.mod requires.
func requiredVersion(t *testing.T, path string) string {
	data, err := os.ReadFile("go.mod")
	require.NoError(t, err)
	m := regexp.MustCompile(regexp.QuoteMeta(path) + `\s+(v\S+)`).FindStringSubmatch(string(data))
	require.NotNil(t, m, "go.mod requires %s", path)
	return m[1]
}
