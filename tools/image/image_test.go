//go:build dist

package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// makeImage runs make in the repository's root with the given arguments.
func makeImage(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("make", append([]string{"--no-print-directory", "-C", "../.."}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// TestImage builds the image with make image (twice: the same bytes), pushes it with make
// image-push to a registry in memory, checks its configuration, then runs the binary taken from
// the image's own layer as the image would, waits on the image's health check and makes calls.
func TestImage(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	makeImage(t, "image", "OUT="+first)
	makeImage(t, "image", "OUT="+second)
	for _, arch := range platforms {
		file := "clerk-invitations-image-linux-" + arch + ".tar"
		if fileSum(t, filepath.Join(first, file)) != fileSum(t, filepath.Join(second, file)) {
			t.Errorf("%s differs between two builds of the same commit", file)
		}
	}

	img, err := tarball.ImageFromPath(filepath.Join(first, "clerk-invitations-image-linux-"+runtime.GOARCH+".tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	version := c.Labels["org.opencontainers.image.version"]
	revision, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"platform", cf.OS + "/" + cf.Architecture, "linux/" + runtime.GOARCH},
		{"user (not root)", c.User, "65532:65532"},
		{"entrypoint", c.Entrypoint, []string{"/usr/local/bin/clerk-invitations", "serve", "--addr", "0.0.0.0:4010"}},
		{"exposed ports", c.ExposedPorts, map[string]struct{}{"4010/tcp": {}}},
		{"health check", c.Healthcheck.Test, []string{"CMD", "/usr/local/bin/clerk-invitations", "health", "--addr", "127.0.0.1:4010"}},
		{"stop signal", c.StopSignal, "SIGTERM"},
		{"title label", c.Labels["org.opencontainers.image.title"], "clerk-invitations"},
		{"source label", c.Labels["org.opencontainers.image.source"], "https://github.com/clerk-invitations/clerk-invitations-go"},
		{"revision label", c.Labels["org.opencontainers.image.revision"], strings.TrimSpace(string(revision))},
		{"created label", c.Labels["org.opencontainers.image.created"], cf.Created.UTC().Format(time.RFC3339)},
	}
	for _, check := range checks {
		got, _ := json.Marshal(check.got)
		want, _ := json.Marshal(check.want)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %s, want %s", check.what, got, want)
		}
	}
	if !strings.HasPrefix(version, "v") || c.Labels["org.opencontainers.image.description"] == "" || c.Healthcheck.Interval <= 0 {
		t.Errorf("labels %v, health check %+v", c.Labels, c.Healthcheck)
	}

	// The registry push: one index, both platforms, the tarballs' images.
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	ref := strings.TrimPrefix(reg.URL, "http://") + "/clerk-invitations:" + version
	makeImage(t, "image-push", "OUT="+t.TempDir(), "IMAGE="+ref)
	parsed, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := remote.Index(parsed)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := pushed.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if manifest.MediaType != types.OCIImageIndex {
		t.Errorf("pushed a %s, want an OCI image index", manifest.MediaType)
	}
	var pushedPlatforms []string
	for _, m := range manifest.Manifests {
		if m.MediaType != types.OCIManifestSchema1 {
			t.Errorf("pushed a %s manifest for %s, want an OCI one", m.MediaType, m.Platform)
		}
		pushedPlatforms = append(pushedPlatforms, m.Platform.String())
		if m.Platform.Architecture == runtime.GOARCH {
			pushedImg, err := pushed.Image(m.Digest)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := pushedImg.ConfigName()
			want, _ := img.ConfigName()
			if got != want {
				t.Errorf("pushed the configuration %s, the tarball holds %s", got, want)
			}
		}
	}
	slices.Sort(pushedPlatforms)
	if !slices.Equal(pushedPlatforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("pushed platforms %v", pushedPlatforms)
	}

	binary := extractBinary(t, img)
	printed, err := exec.Command(binary, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "clerk-invitations " + version + " (linux/" + runtime.GOARCH + ", "; !strings.HasPrefix(string(printed), want) {
		t.Errorf("version printed %q, want it to begin %q", printed, want)
	}
	runLikeTheImage(t, binary, c)
}

// extractBinary writes the image's entrypoint, as its layer holds it, to a file and returns its
// path. The layer must hold nothing else.
func extractBinary(t *testing.T, img v1.Image) string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	path := filepath.Join(t.TempDir(), "clerk-invitations")
	var files []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, h.Name)
		if h.Name == "usr/local/bin/clerk-invitations" {
			if h.Mode&0o111 == 0 || h.Uid != 0 {
				t.Errorf("the binary's mode %o, owner %d", h.Mode, h.Uid)
			}
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o755)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	slices.Sort(files)
	if want := []string{"usr", "usr/local", "usr/local/bin", "usr/local/bin/clerk-invitations"}; !slices.Equal(files, want) {
		t.Fatalf("the layer holds %v, want %v", files, want)
	}
	return path
}

// runLikeTheImage starts binary with the image's entrypoint and environment, on a free loopback
// port instead of 0.0.0.0:4010, with CLERK_SECRET_KEY set as a user would; waits until the
// image's health check passes; creates an invitation and reads the control plane; then stops it
// with the image's stop signal and expects a clean exit.
func runLikeTheImage(t *testing.T, binary string, c v1.Config) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	withAddr := func(args []string) []string {
		out := slices.Clone(args)
		i := slices.Index(out, "--addr")
		if i < 0 || i+1 >= len(out) || !strings.HasSuffix(out[i+1], ":"+port) {
			t.Fatalf("%v has no --addr on port %s", args, port)
		}
		out[i+1] = addr
		return out
	}
	const key = "sk_test_image"
	cmd := exec.Command(binary, withAddr(c.Entrypoint[1:])...)
	cmd.Env = append(slices.Clone(c.Env), "CLERK_SECRET_KEY="+key)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	health := withAddr(c.Healthcheck.Test[2:])
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if exec.Command(binary, health...).Run() == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the health check never passed:\n%s", output.String())
		}
	}

	call := func(method, path, body string) (int, string) {
		req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	if status, body := call(http.MethodPost, "/v1/invitations", `{"email_address":"image@example.com","notify":false}`); status != http.StatusOK || !strings.Contains(body, `"status":"pending"`) {
		t.Errorf("create: %d %s", status, body)
	}
	if status, body := call(http.MethodGet, "/_control/requests", ""); status != http.StatusOK || !strings.Contains(body, "/v1/invitations") {
		t.Errorf("the control plane: %d %s", status, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM: %v\n%s", err, output.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15 s after SIGTERM:\n%s", output.String())
	}
	if strings.Contains(output.String(), key) || !strings.Contains(output.String(), "stopped") {
		t.Errorf("the output shows the key, or no clean stop:\n%s", output.String())
	}
}
