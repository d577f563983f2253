package transcript_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/contract"
	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/internal/testkit"
	"github.com/clerk-invitations/clerk-invitations-go/internal/transcript"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var update = flag.Bool("update", false, "record testdata/embedded.jsonl again from a contract run against the embedded Clerk")

const fixture = "testdata/embedded.jsonl"

// record runs the contract suite against a fresh embedded Clerk and returns its transcript.
func record(t *testing.T, unredacted bool, seed func(*fakeclerk.Server)) []byte {
	t.Helper()
	fake := fakeclerk.New(fakeclerk.Options{})
	if seed != nil {
		seed(fake)
	}
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	fake.RegisterUser("contract-user@example.com")
	var tr, out bytes.Buffer
	sum, err := contract.Run(t.Context(), contract.Target{BaseURL: srv.URL + "/v1", SecretKey: fake.SecretKey(), Record: &tr, RecordUnredacted: unredacted,
		ExistingUser: "contract-user@example.com", Expire: fake.Expire}, &out)
	require.NoError(t, err)
	require.Zero(t, sum.Failed, out.String())
	require.NotContains(t, tr.String(), fake.SecretKey(), "the key is never written")
	return tr.Bytes()
}

func replay(t *testing.T, raw []byte) transcript.Report {
	t.Helper()
	_, exchanges, err := transcript.Read(bytes.NewReader(raw))
	require.NoError(t, err)
	r, err := transcript.Replay(t.Context(), exchanges)
	require.NoError(t, err)
	return r
}

func TestARecordedRunReplaysWithoutDifferences(t *testing.T) {
	raw := record(t, false, nil)
	r := replay(t, raw)
	assert.Empty(t, r.Differences)
	assert.Greater(t, r.Compared, 50)
	// The transcript says what the run concluded of each inferred fact.
	assert.Contains(t, string(raw), `"action":"fact","subject":"held       an unfiltered list leaves revoked invitations out`)
}

// The committed transcript was recorded against the embedded Clerk; replaying it must still find
// nothing. When the embedded Clerk changes on purpose, record it again with -update.
func TestTheCommittedTranscriptReplaysWithoutDifferences(t *testing.T) {
	if *update {
		require.NoError(t, os.WriteFile(fixture, record(t, false, nil), 0o644))
	}
	raw, err := os.ReadFile(fixture)
	require.NoError(t, err)
	r := replay(t, raw)
	for _, d := range r.Differences {
		t.Errorf("%s", d)
	}
	assert.Greater(t, r.Compared, 50)
}

// plant changes the exchange of the committed transcript that matches, and returns the result.
func plant(t *testing.T, match func(transcript.Exchange) bool, change func(*transcript.Exchange)) ([]byte, int) {
	t.Helper()
	raw, err := os.ReadFile(fixture)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	for i, line := range lines[1:] {
		var ex transcript.Exchange
		require.NoError(t, json.Unmarshal([]byte(line), &ex))
		if ex.Action == "" && match(ex) {
			change(&ex)
			out, err := json.Marshal(ex)
			require.NoError(t, err)
			lines[i+1] = string(out)
			return []byte(strings.Join(lines, "\n")), ex.Seq
		}
	}
	t.Fatal("no exchange matches")
	return nil, 0
}

func TestReplayReportsPlantedDifferences(t *testing.T) {
	bulkOf11 := func(ex transcript.Exchange) bool {
		return ex.Path == "/invitations/bulk" && ex.Status == 400
	}
	duplicate := func(ex transcript.Exchange) bool {
		return ex.Method == "POST" && ex.Path == "/invitations" && strings.Contains(ex.ResponseBody, "duplicate_record")
	}
	missingEmail := func(ex transcript.Exchange) bool {
		return strings.Contains(ex.ResponseBody, `"param_name":"email_address"`)
	}
	created := func(ex transcript.Exchange) bool {
		return ex.Method == "POST" && ex.Path == "/invitations" && ex.Status == 200
	}
	cases := []struct {
		name   string
		match  func(transcript.Exchange) bool
		change func(*transcript.Exchange)
		what   string
	}{
		{"the service answered another status", bulkOf11, func(ex *transcript.Exchange) { ex.Status = 422 }, "status"},
		{"another error code", duplicate, func(ex *transcript.Exchange) {
			ex.ResponseBody = strings.Replace(ex.ResponseBody, "duplicate_record", "duplicate_invitation", 1)
		}, "error codes"},
		{"another parameter named", missingEmail, func(ex *transcript.Exchange) {
			ex.ResponseBody = strings.Replace(ex.ResponseBody, `"param_name":"email_address"`, `"param_name":"emailAddress"`, 1)
		}, "param names"},
		{"a field the embedded Clerk lacks", created, func(ex *transcript.Exchange) {
			ex.ResponseBody = strings.Replace(ex.ResponseBody, `{"`, `{"organization_id":"org_1","`, 1)
		}, "shape of body.organization_id"},
		{"a field of another type", created, func(ex *transcript.Exchange) {
			ex.ResponseBody = strings.Replace(ex.ResponseBody, `"revoked":false`, `"revoked":"no"`, 1)
		}, "shape of body.revoked"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw, seq := plant(t, tc.match, tc.change)
			r := replay(t, raw)
			require.Len(t, r.Differences, 1, "%v", r.Differences)
			d := r.Differences[0]
			assert.Equal(t, seq, d.Seq)
			assert.Equal(t, tc.what, d.What)
			assert.NotEmpty(t, d.Scenario)
		})
	}
}

func TestReplaySkipsTransientAnswers(t *testing.T) {
	raw, seq := plant(t, func(ex transcript.Exchange) bool { return ex.Method == "GET" }, func(ex *transcript.Exchange) {
		ex.Status, ex.ResponseBody = 429, `{"errors":[{"code":"too_many_requests"}]}`
	})
	r := replay(t, raw)
	assert.Empty(t, r.Differences)
	require.Len(t, r.Skipped, 1)
	assert.Contains(t, r.Skipped[0], "transient")
	assert.True(t, strings.HasPrefix(r.Skipped[0], "#"+strconv.Itoa(seq)+" "), r.Skipped[0])
}

// recordForeign records, through a Recorder with run tag "tag123", a list that shows someone
// else's invitation, a create of the run's own and an action naming the other address.
func recordForeign(t *testing.T, redact bool) (string, *fakeclerk.Server) {
	t.Helper()
	fake := fakeclerk.New(fakeclerk.Options{})
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	var buf bytes.Buffer
	rec, err := transcript.NewRecorder(&buf, transcript.Header{Target: "live", Redacted: redact, RunTag: "tag123"}, nil, fake.SecretKey())
	require.NoError(t, err)
	rec.BasePath = "/v1"
	hc := &http.Client{Transport: rec}
	call := func(method, path, body string) {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+fake.SecretKey())
		resp, err := hc.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// Someone else's invitation, created outside the recording.
	req := httptest.NewRequest("POST", "/v1/invitations", strings.NewReader(`{"email_address":"someone@private.test","notify":false,"public_metadata":{"ssn":"078-05-1120"}}`))
	req.Header.Set("Authorization", "Bearer "+fake.SecretKey())
	fake.Handler().ServeHTTP(httptest.NewRecorder(), req)

	call("POST", "/v1/invitations", `{"email_address":"contract-tag123-a@example.com","notify":false,"public_metadata":{"plan":"pro"}}`)
	call("GET", "/v1/invitations?paginated=true", "")
	rec.Action("user_exists", "Someone@Private.test")
	call("POST", "/v1/invitations", `{"email_address":"someone@private.test","notify":false}`)
	require.NoError(t, rec.Err())
	return buf.String(), fake
}

// Redaction keeps the run's own addresses and removes everything else that identifies anyone.
func TestRecordingRedactsWhatIsNotTheRuns(t *testing.T) {
	redacted, fake := recordForeign(t, true)
	for _, never := range []string{"someone@private.test", "Someone@Private.test", "078-05-1120", "accounts.invitations.test", fake.SecretKey()} {
		assert.NotContains(t, redacted, never)
	}
	assert.Contains(t, redacted, "contract-tag123-a@example.com", "the run's own address stays")
	assert.Contains(t, redacted, `\"plan\":\"pro\"`, "the run's own metadata stays")
	assert.Contains(t, redacted, `"Clerk-Trace-Id":"redacted"`)
	// The list, the action, the request, and the duplicate answer (long_message and meta).
	assert.Equal(t, 5, strings.Count(redacted, "redacted-1@example.invalid"), "one stand-in for one address, whatever its case")
	assert.NotContains(t, redacted, "redacted-2@")

	unredacted, fake := recordForeign(t, false)
	assert.Contains(t, unredacted, "someone@private.test")
	assert.Contains(t, unredacted, "078-05-1120")
	assert.NotContains(t, unredacted, fake.SecretKey(), "never the key")
}

func TestRecorderRecordsTransportFailures(t *testing.T) {
	var buf bytes.Buffer
	rec, err := transcript.NewRecorder(&buf, transcript.Header{Target: "live"}, failing{}, "sk_test_k")
	require.NoError(t, err)
	req, err := http.NewRequest("DELETE", "https://clerk.invalid/v1/invitations/inv_1", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer sk_test_k")
	_, err = rec.RoundTrip(req)
	require.Error(t, err)
	_, exchanges, err := transcript.Read(&buf)
	require.NoError(t, err)
	require.Len(t, exchanges, 1)
	assert.Equal(t, 0, exchanges[0].Status)
	assert.Equal(t, "valid", exchanges[0].Auth)
	assert.Contains(t, exchanges[0].Error, "unexpected EOF")
	r, err := transcript.Replay(t.Context(), exchanges)
	require.NoError(t, err)
	assert.Len(t, r.Skipped, 1)
}

type failing struct{}

func (failing) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, io.ErrUnexpectedEOF
}

func TestReadRefusesWhatIsNoTranscript(t *testing.T) {
	for name, in := range map[string]string{
		"empty":         "",
		"no header":     `{"seq":1,"method":"GET"}` + "\n",
		"later version": `{"transcript":99}` + "\n",
		"broken line":   `{"transcript":1}` + "\n{not json\n",
	} {
		_, _, err := transcript.Read(strings.NewReader(in))
		assert.Error(t, err, name)
	}
}
