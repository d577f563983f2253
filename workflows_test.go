package clerkinvitations_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
)

// workflow is what the tests read of a GitHub Actions workflow.
type workflow struct {
	Jobs map[string]struct {
		Strategy struct {
			Matrix map[string][]string `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			Uses string `yaml:"uses"`
			Run  string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func readWorkflows(t *testing.T) map[string]workflow {
	t.Helper()
	files, err := filepath.Glob(".github/workflows/*.yml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string]workflow{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var w workflow
		require.NoError(t, yaml.Unmarshal(data, &w), f)
		out[filepath.Base(f)] = w
	}
	return out
}

// makeTargets returns the targets the Makefile defines.
func makeTargets(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("Makefile")
	require.NoError(t, err)
	var targets []string
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):`).FindAllStringSubmatch(string(data), -1) {
		targets = append(targets, m[1])
	}
	return targets
}

// TestWorkflowsRunOnlyMakeTargets: every command a workflow runs is one make target, with
// variables at most, so that whatever CI does runs on a clone too; and CI's jobs are the targets
// .ci/run runs.
func TestWorkflowsRunOnlyMakeTargets(t *testing.T) {
	t.Parallel()
	targets := makeTargets(t)
	command := regexp.MustCompile(`^make ([a-z0-9-]+|\$\{\{ matrix\.target \}\})( [A-Z_]+=\S+)*$`)
	for name, w := range readWorkflows(t) {
		for job, j := range w.Jobs {
			for _, step := range j.Steps {
				if step.Run == "" {
					continue
				}
				m := command.FindStringSubmatch(step.Run)
				if !assert.NotNil(t, m, "%s, job %s: %q is not one make target", name, job, step.Run) {
					continue
				}
				run := []string{m[1]}
				if strings.HasPrefix(m[1], "${{") {
					run = j.Strategy.Matrix["target"]
				}
				for _, target := range run {
					assert.Contains(t, targets, target, "%s, job %s runs make %s", name, job, target)
				}
			}
		}
	}

	script, err := os.ReadFile(".ci/run")
	require.NoError(t, err)
	var ciRun []string
	for _, m := range regexp.MustCompile(`(?m)^make ([a-z0-9-]+)$`).FindAllStringSubmatch(string(script), -1) {
		ciRun = append(ciRun, m[1])
	}
	assert.ElementsMatch(t, ciRun, readWorkflows(t)["ci.yml"].Jobs["make"].Strategy.Matrix["target"], "ci.yml runs what .ci/run runs")
}

// TestDependabotCoversEveryModule: every go.mod and package.json of the repository gets updates.
func TestDependabotCoversEveryModule(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(".github/dependabot.yml")
	require.NoError(t, err)
	var cfg struct {
		Updates []struct {
			Ecosystem   string   `yaml:"package-ecosystem"`
			Directory   string   `yaml:"directory"`
			Directories []string `yaml:"directories"`
		} `yaml:"updates"`
	}
	require.NoError(t, yaml.Unmarshal(data, &cfg))
	covered := map[string][]string{}
	for _, u := range cfg.Updates {
		covered[u.Ecosystem] = append(covered[u.Ecosystem], u.Directories...)
		if u.Directory != "" {
			covered[u.Ecosystem] = append(covered[u.Ecosystem], u.Directory)
		}
	}
	files, err := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard", "*go.mod", "*package.json").Output()
	require.NoError(t, err)
	ecosystem := map[string]string{"go.mod": "gomod", "package.json": "npm"}
	for _, f := range strings.Fields(string(files)) {
		dir := "/" + path.Dir(f)
		if dir == "/." {
			dir = "/"
		}
		assert.Contains(t, covered[ecosystem[path.Base(f)]], dir, "%s has no dependabot entry", f)
	}
	assert.Equal(t, []string{"/"}, covered["github-actions"], "the workflows' actions")
}

// TestLiveContract runs make live-contract, what the scheduled workflow runs, against targets
// that stand in for Clerk: it skips without a key, passes against a faithful Clerk, warns but
// passes when Clerk cannot be reached, and fails when Clerk disagrees with openapi.yaml or with
// the embedded Clerk (fidelity).
func TestLiveContract(t *testing.T) {
	fake := fakeclerk.New(fakeclerk.Options{})
	serve := func(change func(w http.ResponseWriter, r *http.Request) bool) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if change == nil || !change(w, r) {
				fake.Handler().ServeHTTP(w, r)
			}
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/v1"
	}
	faithful := serve(nil)
	disagreeing := serve(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/revoke") {
			w.WriteHeader(http.StatusNoContent) // openapi.yaml: 200 with the invitation
			return true
		}
		return false
	})
	// A field openapi.yaml lacks on every list answer: drift for the suite (live mode reports it
	// and passes), a difference of shape for fidelity.
	ahead := serve(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet {
			return false
		}
		rec := httptest.NewRecorder()
		fake.Handler().ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(bytes.Replace(rec.Body.Bytes(), []byte(`"total_count"`), []byte(`"has_more":false,"total_count"`), 1))
		return true
	})
	closed := httptest.NewServer(http.NotFoundHandler())
	unreachable := closed.URL + "/v1"
	closed.Close()

	for _, tc := range []struct {
		name, url, key string
		fails          bool
		says           string
	}{
		{"no key", "", "", false, "::notice::CLERK_SECRET_KEY is not set"},
		{"Clerk as openapi.yaml says", faithful, fake.SecretKey(), false, " 0 differences"},
		{"Clerk out of reach", unreachable, "sk_test_x", false, "::warning::the contract suite met only trouble reaching Clerk"},
		{"Clerk disagrees", disagreeing, fake.SecretKey(), true, "::error::the contract suite failed (exit 1)"},
		{"Clerk answers otherwise than the embedded Clerk", ahead, fake.SecretKey(), true, "::error::fidelity: the embedded Clerk no longer answers as Clerk did"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			transcript := filepath.Join(t.TempDir(), "live.jsonl")
			cmd := exec.Command("make", "--no-print-directory", "live-contract", "TRANSCRIPT="+transcript)
			cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
				return strings.HasPrefix(kv, "CLERK_") || strings.HasPrefix(kv, "GITHUB_ACTIONS=") || strings.HasPrefix(kv, "CONTRACT_")
			}), "GITHUB_ACTIONS=true", "CLERK_SECRET_KEY="+tc.key, "CLERK_API_URL="+tc.url)
			out, err := cmd.CombinedOutput()
			if tc.fails {
				assert.Error(t, err, "%s", out)
			} else {
				assert.NoError(t, err, "%s", out)
			}
			assert.Contains(t, string(out), tc.says)
			if tc.key != "" {
				assert.NotContains(t, string(out), tc.key, "the key is never printed")
			}
			if tc.url == faithful || tc.url == ahead {
				assert.FileExists(t, transcript)
			}
		})
	}
}

// TestTheREADMEInstallsWhatReleaseBuilds: the README's download names the files make release
// writes (TestRelease checks the files themselves), from this repository's releases.
func TestTheREADMEInstallsWhatReleaseBuilds(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	start := bytes.Index(readme, []byte("### The command-line tool without Go"))
	require.Positive(t, start, "README.md has a section on installing without Go")
	section := string(readme[start:])
	section = section[:strings.Index(section, "\n## ")]
	script, err := os.ReadFile(".ci/release")
	require.NoError(t, err)
	assert.Contains(t, string(script), "name=clerk-invitations-$os-$arch$ext")
	assert.Contains(t, string(script), ">SHA256SUMS")
	for _, want := range []string{
		"https://github.com/clerk-invitations/clerk-invitations-go/releases/latest/download", // the module's repository
		"clerk-invitations-linux-amd64", "SHA256SUMS", "sha256sum --check", "clerk-invitations version",
	} {
		assert.Contains(t, section, want)
	}
}
