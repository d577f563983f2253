// Command image builds the embedded Clerk's container image from the static release binaries,
// without a container daemon (go-containerregistry writes the image itself), for linux/amd64 and
// linux/arm64. make image runs it; see .ci/image.
//
// The image holds one file, the binary, at /usr/local/bin/clerk-invitations. It runs
// "clerk-invitations serve" on 0.0.0.0:4010 as user 65532 (no root), with the control plane
// on, the key from CLERK_SECRET_KEY (a random one, printed, when unset), a health check
// ("clerk-invitations health") and the org.opencontainers.image.* labels. Its bytes depend only
// on the binaries and the flags: the same commit gives the same digest.
//
// It writes, for each platform, OUT/clerk-invitations-image-linux-ARCH.tar for "docker load",
// tagged NAME:VERSION; with -push REF it also pushes both platforms under REF as one image index,
// with the credentials of "docker login".
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// What the image promises: the README's container section and the tests read these.
const (
	binaryPath = "/usr/local/bin/clerk-invitations"
	port       = "4010"
	user       = "65532:65532"
	source     = "https://github.com/clerk-invitations/clerk-invitations-go"
	repository = "ghcr.io/clerk-invitations/clerk-invitations-go" // where release.yml pushes it
)

var platforms = []string{"amd64", "arm64"}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	bin := fs.String("bin", "", "directory holding clerk-invitations-linux-amd64 and -arm64 (make release's names)")
	version := fs.String("version", "", "the release, vX.Y.Z: the image's tag and its version label")
	revision := fs.String("revision", "", "the commit the binaries were built from")
	created := fs.String("created", "1970-01-01T00:00:00Z", "the image's creation time, RFC 3339: the commit's time keeps the image reproducible")
	imageName := fs.String("name", repository, "the repository the tarballs are tagged with")
	out := fs.String("out", "dist", "directory to write the tarballs to")
	push := fs.String("push", "", "also push both platforms as one image index to this reference")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bin == "" || *version == "" || fs.NArg() > 0 {
		return errors.New("usage: image -bin DIR -version vX.Y.Z [-revision SHA] [-created TIME] [-name REPO] [-out DIR] [-push REF]")
	}
	when, err := time.Parse(time.RFC3339, *created)
	if err != nil {
		return fmt.Errorf("-created: %w", err)
	}
	tag, err := name.NewTag(*imageName + ":" + *version)
	if err != nil {
		return fmt.Errorf("-name and -version: %w", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	index := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range platforms {
		img, err := build(filepath.Join(*bin, "clerk-invitations-linux-"+arch), arch, *version, *revision, when.UTC())
		if err != nil {
			return fmt.Errorf("linux/%s: %w", arch, err)
		}
		file := filepath.Join(*out, "clerk-invitations-image-linux-"+arch+".tar")
		if err := tarball.WriteToFile(file, tag, img); err != nil {
			return fmt.Errorf("linux/%s: %w", arch, err)
		}
		digest, err := img.Digest()
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "image: %s (%s, linux/%s)\n", file, digest, arch)
		index = mutate.AppendManifests(index, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	if *push == "" {
		return nil
	}
	ref, err := name.ParseReference(*push)
	if err != nil {
		return fmt.Errorf("-push: %w", err)
	}
	if err := remote.WriteIndex(ref, index, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	digest, err := index.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "image: pushed %s@%s\n", ref, digest)
	return nil
}

// build returns the image of one platform: the binary at binaryPath, and the configuration.
func build(binary, arch, version, revision string, created time.Time) (v1.Image, error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return fileTar(binaryPath[1:], data, created) },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "make image: " + binaryPath}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", arch, v1.Time{Time: created}
	cf.Config = v1.Config{
		User:         user,
		Entrypoint:   []string{binaryPath, "serve", "--addr", "0.0.0.0:" + port},
		ExposedPorts: map[string]struct{}{port + "/tcp": {}},
		StopSignal:   "SIGTERM",
		Healthcheck: &v1.HealthConfig{
			Test:        []string{"CMD", binaryPath, "health", "--addr", "127.0.0.1:" + port},
			Interval:    2 * time.Second,
			Timeout:     3 * time.Second,
			StartPeriod: 5 * time.Second,
			Retries:     3,
		},
		Labels: map[string]string{
			"org.opencontainers.image.title":         "clerk-invitations",
			"org.opencontainers.image.description":   "An in-memory Clerk invitations API (Backend API /v1/invitations) with a control plane, for tests in any language",
			"org.opencontainers.image.version":       version,
			"org.opencontainers.image.revision":      revision,
			"org.opencontainers.image.created":       created.Format(time.RFC3339),
			"org.opencontainers.image.source":        source,
			"org.opencontainers.image.url":           source,
			"org.opencontainers.image.documentation": source + "/blob/main/docs/testing.md",
		},
	}
	return mutate.ConfigFile(img, cf)
}

// fileTar is a tar stream of one executable file, owned by root and readable by everyone, with
// every header field fixed: the layer's digest depends on data and mtime only.
func fileTar(path string, data []byte, mtime time.Time) (io.ReadCloser, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, dir := range []string{"usr/", "usr/local/", "usr/local/bin/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: path, Mode: 0o755, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return io.NopCloser(&buf), nil
}
