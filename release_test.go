//go:build dist

package clerkinvitations_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// release runs make release in dir with the given variables and returns its combined output.
func release(t *testing.T, dir string, vars ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("make", append([]string{"--no-print-directory", "release"}, vars...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestRelease: make release builds the six platforms' binaries and a SHA256SUMS that verifies
// them; the same sources give the same bytes in another directory (no local path in them); the
// binary reports its version; a version other than invitations.Version is refused up front.
func TestRelease(t *testing.T) {
	version := "v" + invitations.Version
	repo, err := filepath.Abs(".")
	require.NoError(t, err)
	first := t.TempDir()
	out, err := release(t, repo, "VERSION="+version, "OUT="+first)
	require.NoError(t, err, out)

	want := []string{"SHA256SUMS"}
	for _, goos := range []string{"darwin", "linux", "windows"} {
		for _, arch := range []string{"amd64", "arm64"} {
			name := "clerk-invitations-" + goos + "-" + arch
			if goos == "windows" {
				name += ".exe"
			}
			want = append(want, name)
		}
	}
	entries, err := os.ReadDir(first)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	assert.ElementsMatch(t, want, got)

	sums := readSums(t, filepath.Join(first, "SHA256SUMS"))
	assert.Len(t, sums, len(want)-1, "SHA256SUMS names every binary")
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	require.NoError(t, err)
	for name, sum := range sums {
		data, err := os.ReadFile(filepath.Join(first, name))
		require.NoError(t, err)
		digest := sha256.Sum256(data)
		assert.Equal(t, sum, hex.EncodeToString(digest[:]), name)
		assert.Equal(t, platformOf(t, name, data), strings.TrimSuffix(strings.TrimPrefix(name, "clerk-invitations-"), ".exe"), "the binary is built for the platform its name says")
		assert.False(t, bytes.Contains(data, []byte(repo)), "%s holds the path of the tree it was built in", name)
		assert.False(t, bytes.Contains(data, bytes.TrimSpace(modcache)), "%s holds the module cache's path", name)
	}

	// The same sources in another directory: byte for byte the same release.
	elsewhere := filepath.Join(t.TempDir(), "another", "clone")
	copyTracked(t, repo, elsewhere)
	second := t.TempDir()
	out, err = release(t, elsewhere, "VERSION="+version, "OUT="+second)
	require.NoError(t, err, out)
	assert.Equal(t, sums, readSums(t, filepath.Join(second, "SHA256SUMS")), "reproducible")

	host := filepath.Join(first, "clerk-invitations-"+runtime.GOOS+"-"+runtime.GOARCH)
	printed, err := exec.Command(host, "version").Output()
	require.NoError(t, err)
	assert.Equal(t, "clerk-invitations "+version+" ("+runtime.GOOS+"/"+runtime.GOARCH+", "+runtime.Version()+")\n", string(printed))

	for _, bad := range []string{"v9.9.9", "0.1.0", "v" + invitations.Version + "x"} {
		out, err := release(t, repo, "VERSION="+bad, "OUT="+t.TempDir())
		require.Error(t, err, bad)
		assert.Contains(t, out, "release: VERSION", bad)
	}
	out, err = release(t, repo, "VERSION=v9.9.9", "OUT="+t.TempDir())
	require.Error(t, err)
	assert.Contains(t, out, "is not "+version+", the library's invitations.Version")
}

func readSums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ") // sha256sum's text mode
		require.True(t, ok, "a SHA256SUMS line: %q", sc.Text())
		sums[name] = sum
	}
	require.NoError(t, sc.Err())
	return sums
}

// platformOf reads the executable's headers: "linux-amd64" and so on.
func platformOf(t *testing.T, name string, data []byte) string {
	t.Helper()
	r := bytes.NewReader(data)
	if f, err := elf.NewFile(r); err == nil {
		return "linux-" + map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}[f.Machine]
	}
	if f, err := macho.NewFile(r); err == nil {
		return "darwin-" + map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.CpuArm64: "arm64"}[f.Cpu]
	}
	if f, err := pe.NewFile(r); err == nil {
		return "windows-" + map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64", pe.IMAGE_FILE_MACHINE_ARM64: "arm64"}[f.Machine]
	}
	t.Errorf("%s is no executable this test knows", name)
	return ""
}

// copyTracked copies the files git tracks, as they are in the working tree, from src to dst.
func copyTracked(t *testing.T, src, dst string) {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = src
	list, err := cmd.Output()
	require.NoError(t, err)
	for name := range strings.SplitSeq(strings.TrimRight(string(list), "\x00"), "\x00") {
		from := filepath.Join(src, name)
		info, err := os.Lstat(from)
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		require.NoError(t, err)
		if !info.Mode().IsRegular() || slices.Contains(strings.Split(name, "/"), "node_modules") {
			continue
		}
		to := filepath.Join(dst, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(to), 0o755))
		in, err := os.Open(from)
		require.NoError(t, err)
		outFile, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
		require.NoError(t, err)
		_, err = io.Copy(outFile, in)
		in.Close()
		require.NoError(t, errors.Join(err, outFile.Close()))
	}
}
