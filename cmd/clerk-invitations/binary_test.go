package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the command once for the end-to-end tests, which run it as a user would.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binPath = filepath.Join(binDir, "clerk-invitations")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// binaryCommand returns the binary run with args against srv.
func binaryCommand(t *testing.T, srv *invitationstest.Server, args ...string) *exec.Cmd {
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "CLERK_SECRET_KEY="+srv.SecretKey, "CLERK_API_URL="+srv.URL)
	return cmd
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode()
	}
	require.NoError(t, err)
	return 0
}

func addressFile(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "e%03d@example.com\n", i)
	}
	return writeFile(t, "addresses.txt", b.String())
}

// TestBinaryExitCodes checks the documented exit statuses of the built command.
func TestBinaryExitCodes(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	assert.Equal(t, exitUsage, exitCode(t, binaryCommand(t, srv, "bulk").Run()))
	assert.Equal(t, exitFailed, exitCode(t, binaryCommand(t, srv, "get", "inv_missing").Run()))
	assert.Equal(t, exitOK, exitCode(t, binaryCommand(t, srv, "create", "ada@example.com", "--notify=false").Run()))
	srv.FailNext(invitations.OpBulkCreate, 1, invitationstest.Fault{Status: 500, Header: map[string][]string{"Content-Type": {"application/json"}},
		Body: `{"errors":[{"code":"internal_clerk_error","message":"x","long_message":"boom"}]}`})
	partial := binaryCommand(t, srv, "bulk", addressFile(t, 15), "--pacing", "none", "--notify=false", "--report", filepath.Join(t.TempDir(), "r.json"))
	assert.Equal(t, exitPartial, exitCode(t, partial.Run()))
}

// TestBulkShowsProgressOnATerminal runs a bulk invitation with standard error on a
// pseudo-terminal: the progress bar is redrawn in place, with rate and time left.
func TestBulkShowsProgressOnATerminal(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	srv.FailNext(invitations.OpBulkCreate, 5, invitationstest.Fault{Delay: 150 * time.Millisecond})
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	cmd := binaryCommand(t, srv, "bulk", addressFile(t, 50), "--yes", "--pacing", "none", "--notify=false", "--report", filepath.Join(t.TempDir(), "r.json"))
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, tty
	require.NoError(t, cmd.Start())
	tty.Close()
	terminal, _ := io.ReadAll(ptmx) // ends with EIO once the command has exited
	require.NoError(t, cmd.Wait())

	screen := string(terminal)
	assert.GreaterOrEqual(t, strings.Count(screen, "\r["), 2, "the bar is redrawn in place:\n%q", screen)
	assert.Contains(t, screen, "[========================] 50/50 100%")
	assert.Regexp(t, `\d+\.\d/min  ETA \d`, screen)
	assert.Contains(t, screen, "created 50")
	assert.NotContains(t, screen, "progress: ", "no plain lines on a terminal")
	assert.Regexp(t, `(?m)^created\s+50$`, stdout.String())
}

// TestBulkInterruptedAndResumed interrupts a run with Ctrl-C (SIGINT), a closed terminal (SIGHUP)
// or a kill (SIGTERM): the call under way finishes, the report is written, the status is 130;
// resumed, the run invites exactly the rest.
func TestBulkInterruptedAndResumed(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGHUP, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			interruptAndResume(t, sig)
		})
	}
}

func interruptAndResume(t *testing.T, sig syscall.Signal) {
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	srv.FailNext(invitations.OpBulkCreate, 10, invitationstest.Fault{Delay: 400 * time.Millisecond})
	file := addressFile(t, 80)
	report := filepath.Join(t.TempDir(), "report.json")

	cmd := binaryCommand(t, srv, "bulk", file, "--pacing", "none", "--notify=false", "--report", report)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var seen strings.Builder
	lines := bufio.NewScanner(stderr)
	interrupted := false
	for lines.Scan() {
		seen.WriteString(lines.Text() + "\n")
		if !interrupted && strings.HasPrefix(lines.Text(), "progress: ") {
			require.NoError(t, cmd.Process.Signal(sig))
			interrupted = true
		}
	}
	assert.Equal(t, exitInterrupted, exitCode(t, cmd.Wait()), seen.String())
	assert.Contains(t, seen.String(), "interrupted: ")
	assert.Contains(t, seen.String(), "run again with --resume "+report)

	saved, err := readReport(report)
	require.NoError(t, err)
	created, notSent := saved.Counts[lifecycle.Created], saved.Counts[lifecycle.NotSent]
	// Ctrl-C came after the first call's progress line: during the second call, which then
	// finished, or (on a loaded machine) before it was sent. Never midway through a call.
	assert.GreaterOrEqual(t, created, 10)
	assert.Zero(t, created%10, "whole calls of 10: the call under way when Ctrl-C came finished")
	assert.Positive(t, notSent)
	assert.Equal(t, 80, created+notSent)
	assert.Equal(t, created, srv.Len(), "the report says exactly what was done")

	resume := binaryCommand(t, srv, "bulk", file, "--pacing", "none", "--notify=false", "--resume", report)
	out, err := resume.CombinedOutput()
	require.NoError(t, err, "%s", out)
	saved, err = readReport(report)
	require.NoError(t, err)
	assert.True(t, saved.Complete)
	assert.Equal(t, 80, saved.Counts[lifecycle.Created])
	assert.Equal(t, 80, srv.Len(), "everyone invited, nobody twice")
}

// TestBulkSurvivesAKill kills a run (SIGKILL: no handler runs, no report is written) after some
// batches: its journal holds every address it settled, with the invitation ids, and the run
// resumed from it invites exactly the rest.
func TestBulkSurvivesAKill(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	srv.FailNext(invitations.OpBulkCreate, 3, invitationstest.Fault{})
	srv.FailNext(invitations.OpBulkCreate, 1, invitationstest.Fault{Delay: 5 * time.Second}) // the fourth call hangs
	file := addressFile(t, 60)
	report := filepath.Join(t.TempDir(), "report.json")
	cmd := binaryCommand(t, srv, "bulk", file, "--pacing", "none", "--notify=false", "--report", report)
	killAfterProgress(t, cmd, 3)
	_, err := os.Stat(report)
	assert.ErrorIs(t, err, os.ErrNotExist, "a killed run writes no report")

	settled, err := readJournal(report + ".journal")
	require.NoError(t, err)
	require.Len(t, settled, 30, "three calls of ten, each journalled before the next was sent")
	for _, e := range settled {
		assert.Equal(t, lifecycle.Created, e.Result)
		d, ok := srv.Lookup(e.InvitationID)
		require.True(t, ok, "the journal holds the id of the invitation created for %s", e.EmailAddress)
		assert.Equal(t, e.EmailAddress, d.EmailAddress)
	}

	// A new run must not overwrite the journal of one cut short.
	out, err := binaryCommand(t, srv, "bulk", file, "--pacing", "none", "--notify=false", "--report", report).CombinedOutput()
	assert.Equal(t, exitUsage, exitCode(t, err))
	assert.Contains(t, string(out), "a run was cut short; resume it with --resume "+report)

	out, err = binaryCommand(t, srv, "bulk", file, "--pacing", "none", "--notify=false", "--resume", report).CombinedOutput()
	require.NoError(t, err, "%s", out)
	saved, err := readReport(report)
	require.NoError(t, err)
	assert.True(t, saved.Complete)
	created := 0
	for _, e := range saved.Entries {
		if e.Result == lifecycle.Created && e.InvitationID != "" {
			created++
		}
	}
	// The hung call may or may not have created its ten before the kill: those are then found
	// already invited, without ids. Everyone else is created, with an id.
	assert.GreaterOrEqual(t, created, 50)
	assert.Equal(t, 60, srv.Len(), "everyone invited, nobody twice")
	_, err = os.Stat(report + ".journal")
	assert.ErrorIs(t, err, os.ErrNotExist, "the complete report replaces the journal")
}

// TestTheWalkthroughRuns runs the curl walk-through of the control plane in docs/testing.md as written,
// with the built command on PATH; only its port becomes a free one.
func TestTheWalkthroughRuns(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed to run the walk-through in docs/testing.md (.ci/run installs it)")
	}
	page, err := os.ReadFile("../../docs/testing.md")
	require.NoError(t, err)
	_, rest, found := strings.Cut(string(page), "### A walk-through with curl\n\n```sh\n")
	require.True(t, found, "docs/testing.md has the walk-through")
	script, _, found := strings.Cut(rest, "```\n")
	require.True(t, found)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	require.NoError(t, ln.Close())
	script = strings.ReplaceAll(script, "4010", port)

	cmd := exec.CommandContext(t.Context(), "bash", "-e", "-c", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"+script)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(binary(t))+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the walk-through failed:\n%s\n%s", script, out)
}

// TestAReissueRunSurvivesAKill kills a reissue run (SIGKILL: no handler runs) midway; resumed from
// its report, it replaces every invitation exactly once: each old one revoked once, one new
// pending invitation per address.
func TestAReissueRunSurvivesAKill(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	var old []string
	for i := range 30 {
		inv, err := srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: fmt.Sprintf("k%02d@example.com", i), Notify: invitations.Ptr(false)})
		require.NoError(t, err)
		old = append(old, inv.ID)
	}
	srv.FailNext(invitations.OpRevoke, 14, invitationstest.Fault{})
	srv.FailNext(invitations.OpRevoke, 1, invitationstest.Fault{Delay: 2 * time.Second}) // the 15th revoke hangs
	report := filepath.Join(t.TempDir(), "reissue.json")
	cmd := binaryCommand(t, srv, "reissue", "--status", "pending", "--notify=false", "--pacing", "none", "--report", report)
	killAfterProgress(t, cmd, 14)
	plan, err := readReport(report)
	require.NoError(t, err, "the plan was saved before the first call")
	assert.Len(t, plan.Entries, 30)
	journaled, err := readJournal(report + ".journal")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(journaled), 14)

	out, err := binaryCommand(t, srv, "reissue", "--resume", report, "--notify=false", "--pacing", "none").CombinedOutput()
	require.NoError(t, err, "%s", out)
	done, err := readReport(report)
	require.NoError(t, err)
	assert.True(t, done.Complete)
	// A replacement created by the killed run but not yet journaled is found already invited.
	assert.Equal(t, 30, done.Counts[lifecycle.Replaced]+done.Counts[lifecycle.AlreadyInvited], "%s", out)
	assert.Equal(t, 60, srv.Len(), "one replacement each, nobody invited twice")
	for _, id := range old {
		d, ok := srv.Lookup(id)
		require.True(t, ok)
		assert.Equal(t, invitations.StatusRevoked, d.Status)
	}
	pending := map[string]int{}
	for inv, err := range srv.Client.All(t.Context(), invitations.ListParams{Statuses: []invitations.Status{invitations.StatusPending}}) {
		require.NoError(t, err)
		pending[inv.EmailAddress]++
	}
	assert.Len(t, pending, 30)
	for addr, n := range pending {
		assert.Equal(t, 1, n, addr)
	}
}

// TestTheFirstCtrlCSaysWhatTheRunWaitsFor: during a call that hangs, the first Ctrl-C says at
// once what the run waits for and for how long at most; a second ends the program at once; the
// journal is intact, and the run resumed from it invites exactly the rest.
func TestTheFirstCtrlCSaysWhatTheRunWaitsFor(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	srv.FailNext(invitations.OpBulkCreate, 2, invitationstest.Fault{})
	srv.FailNext(invitations.OpBulkCreate, 1, invitationstest.Fault{Delay: time.Minute}) // the third call hangs
	file := addressFile(t, 50)
	report := filepath.Join(t.TempDir(), "report.json")
	cmd := binaryCommand(t, srv, "bulk", file, "--pacing", "none", "--notify=false", "--report", report)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(stderr)
	var seen strings.Builder
	progress := 0
	for lines.Scan() {
		seen.WriteString(lines.Text() + "\n")
		if strings.HasPrefix(lines.Text(), "progress: ") {
			if progress++; progress == 2 {
				break // the third call is being sent
			}
		}
	}
	time.Sleep(200 * time.Millisecond) // for the third call to be under way
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	require.True(t, lines.Scan(), seen.String())
	first := lines.Text()
	assert.Regexp(t, `^clerk-invitations: interrupted; waiting for the bulk create of 10 under way \(\S+ so far\) to finish, at most 30s; Ctrl-C again stops at once$`, first)

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		var exitErr *exec.ExitError
		require.ErrorAs(t, err, &exitErr)
		assert.Equal(t, syscall.SIGINT, exitErr.Sys().(syscall.WaitStatus).Signal(), "ended by the second Ctrl-C itself")
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the second Ctrl-C did not end the program")
	}
	settled, err := readJournal(report + ".journal")
	require.NoError(t, err, "the journal is intact")
	assert.Len(t, settled, 20)

	out, err := binaryCommand(t, srv, "bulk", file, "--pacing", "none", "--notify=false", "--resume", report).CombinedOutput()
	require.NoError(t, err, "%s", out)
	saved, err := readReport(report)
	require.NoError(t, err)
	assert.True(t, saved.Complete)
	assert.Equal(t, 50, srv.Len(), "everyone invited once")
}

// TestAWatchKilledAndRestartedMissesNoChange kills a watch (SIGKILL) between polls; restarted from
// its state file, it reports every change it had not.
func TestAWatchKilledAndRestartedMissesNoChange(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	var ids []string
	for i := range 6 {
		inv, err := srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: fmt.Sprintf("v%d@example.com", i), Notify: invitations.Ptr(false)})
		require.NoError(t, err)
		ids = append(ids, inv.ID)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	out, err := binaryCommand(t, srv, "watch", "--state", state, "--once", "--pacing", "none").CombinedOutput()
	require.NoError(t, err, "%s", out)

	cmd := binaryCommand(t, srv, "watch", "--state", state, "--interval", "50ms", "--pacing", "none")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(stdout)
	require.NoError(t, srv.Accept(ids[0]))
	require.NoError(t, srv.Accept(ids[1]))
	var before []string
	for len(before) < 2 && lines.Scan() {
		before = append(before, lines.Text())
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	// While it is down: more changes.
	require.NoError(t, srv.Expire(ids[2]))
	require.NoError(t, srv.Client.Delete(t.Context(), ids[3]))
	after, err := binaryCommand(t, srv, "watch", "--state", state, "--once", "--pacing", "none").Output()
	require.NoError(t, err)
	all := strings.Join(before, "\n") + "\n" + string(after)
	for _, want := range []string{"accepted " + ids[0], "accepted " + ids[1], "expired  " + ids[2], "deleted  " + ids[3]} {
		assert.Contains(t, all, want)
	}
	for _, id := range ids[:2] {
		assert.LessOrEqual(t, strings.Count(all, id), 2, "at most the last poll's changes again")
	}
}

// killAfterProgress starts cmd, reads its standard error up to its nth progress line, then kills
// it as kill -9 does, in the middle of whatever it does next.
func killAfterProgress(t *testing.T, cmd *exec.Cmd, n int) {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(stderr)
	for progress := 0; progress < n && lines.Scan(); {
		if strings.HasPrefix(lines.Text(), "progress: ") {
			progress++
		}
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
}
