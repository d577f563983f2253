package main

import (
	"os"
	"strings"
	"testing"
)

// TestTheREADMESaysWhatTheImageDoes: the README's container section names the image, the port,
// the user, the key's variable and the health check as the image has them.
func TestTheREADMESaysWhatTheImageDoes(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "### The embedded Clerk as a container")
	if start < 0 {
		t.Fatal("README.md has no section on the container image")
	}
	section := readme[start:]
	section = section[:strings.Index(section, "\n## ")]
	for _, want := range []string{
		repository + ":v", "-p " + port + ":" + port, "0.0.0.0:" + port, "withExposedPorts(" + port + ")",
		"getMappedPort(" + port + ")", strings.Split(user, ":")[0], "CLERK_SECRET_KEY", "GET /healthz", "clerk-invitations health", "SIGTERM",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("the README's container section does not say %q", want)
		}
	}
	workflow, err := os.ReadFile("../../.github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(workflow), "IMAGE: ghcr.io/${{ github.repository }}:") || !strings.HasSuffix(repository, strings.TrimPrefix(source, "https://github.com")) {
		t.Errorf("release.yml pushes somewhere other than %s", repository)
	}
}
