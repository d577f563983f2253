// Package transcript records the exchanges of a contract run and replays them against the
// embedded Clerk, so that a live run leaves evidence the embedded Clerk is checked against.
//
// A transcript is JSON Lines: a Header, then one Exchange per request, in the order sent. The
// secret key is never written. Unless recording is unredacted, trace ids, invitation links and
// every email address that is not the run's own are replaced, and the public_metadata of other
// people's invitations is emptied: a live instance's list answers hold its users' invitations.
package transcript

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Version is the transcript format's version, in every Header.
const Version = 1

// Header is a transcript's first line.
type Header struct {
	Transcript int       `json:"transcript"` // Version
	Target     string    `json:"target"`     // "live" or "embedded"
	RecordedAt time.Time `json:"recorded_at"`
	Redacted   bool      `json:"redacted"`
	RunTag     string    `json:"run_tag"` // addresses holding it are the run's own and never redacted
}

// Exchange is one request and its answer.
type Exchange struct {
	Seq      int    `json:"seq"`
	Scenario string `json:"scenario,omitempty"`
	Method   string `json:"method"`
	Path     string `json:"path"` // below the base URL, e.g. "/invitations/inv_…/revoke"
	Query    string `json:"query,omitempty"`
	// Auth says which key the request carried: "valid" (the target's), "invalid" (another) or
	// "none". The key itself is never recorded.
	Auth            string            `json:"auth"`
	RequestHeaders  map[string]string `json:"request_headers,omitempty"`
	RequestBody     string            `json:"request_body,omitempty"`
	Status          int               `json:"status"` // 0: no answer (Error says why)
	ResponseHeaders map[string]string `json:"response_headers,omitempty"`
	ResponseBody    string            `json:"response_body,omitempty"`
	Error           string            `json:"error,omitempty"`
	// Action marks a line that is no request but something the run did to the target's state
	// by other means, which a replay must do too: "expire" (Subject: an invitation id, expired
	// now) or "user_exists" (Subject: the address of a user of the instance).
	Action  string `json:"action,omitempty"`
	Subject string `json:"subject,omitempty"`
}

// The headers recorded; nothing else (no Authorization, no cookies) is ever written.
var (
	requestHeaders  = []string{"Content-Type", "Clerk-API-Version"}
	responseHeaders = []string{"Content-Type", "Retry-After", "Date", "Clerk-Trace-Id"}
)

// Recorder is an http.RoundTripper that records every exchange it carries to W.
type Recorder struct {
	Next      http.RoundTripper // nil: http.DefaultTransport
	SecretKey string            // the target's key: requests are marked valid or invalid against it
	BasePath  string            // the base URL's path ("/v1"), left out of recorded paths
	Redact    bool
	RunTag    string

	mu       sync.Mutex
	w        io.Writer
	seq      int
	scenario string
	err      error
	aliases  map[string]string // lower-cased foreign address -> its stand-in, for the whole transcript
}

// NewRecorder writes h to w and returns a Recorder appending to it.
func NewRecorder(w io.Writer, h Header, next http.RoundTripper, secretKey string) (*Recorder, error) {
	h.Transcript = Version
	r := &Recorder{Next: next, SecretKey: secretKey, Redact: h.Redacted, RunTag: h.RunTag, w: w, aliases: map[string]string{}}
	if err := r.writeLine(h); err != nil {
		return nil, err
	}
	return r, nil
}

// Scenario names the scenario the following exchanges belong to.
func (r *Recorder) Scenario(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scenario = name
}

// Err returns the first error writing the transcript.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Recorder) writeLine(v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if r.SecretKey != "" {
		// Belt and braces: the key has no field to be in, but must not reach the file by any path.
		line = bytes.ReplaceAll(line, []byte(r.SecretKey), []byte("[key]"))
	}
	_, err = r.w.Write(append(line, '\n'))
	return err
}

// RoundTrip carries req and records it with its answer.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	next := r.Next
	if next == nil {
		next = http.DefaultTransport
	}
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	ex := Exchange{Method: req.Method, Path: strings.TrimPrefix(req.URL.Path, r.BasePath), Query: req.URL.RawQuery, RequestBody: string(reqBody), Auth: r.auth(req)}
	ex.RequestHeaders = pick(req.Header, requestHeaders)
	resp, err := next.RoundTrip(req)
	if err != nil {
		ex.Error = err.Error()
		r.record(ex)
		return nil, err
	}
	body, readErr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ex.Status, ex.ResponseBody, ex.ResponseHeaders = resp.StatusCode, string(body), pick(resp.Header, responseHeaders)
	if readErr != nil {
		ex.Error = readErr.Error()
	}
	r.record(ex)
	return resp, readErr
}

func (r *Recorder) auth(req *http.Request) string {
	h := req.Header.Get("Authorization")
	switch {
	case h == "":
		return "none"
	case r.SecretKey != "" && h == "Bearer "+r.SecretKey:
		return "valid"
	}
	return "invalid"
}

// Action records something the run did to the target's state other than by a request (see
// Exchange.Action).
func (r *Recorder) Action(action, subject string) {
	r.record(Exchange{Action: action, Subject: subject})
}

func (r *Recorder) record(ex Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	ex.Seq, ex.Scenario = r.seq, r.scenario
	if r.Redact {
		r.redactExchange(&ex)
	}
	if err := r.writeLine(ex); err != nil && r.err == nil {
		r.err = err
	}
}

func pick(h http.Header, names []string) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		if v := h.Get(n); v != "" {
			out[n] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

var emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// redactExchange removes what belongs to others than the run: trace ids, invitation links,
// addresses without the run tag, and the public_metadata of invitations to such addresses. An
// address gets the same stand-in everywhere in the transcript, so a replay still sees one
// address where the run saw one.
func (r *Recorder) redactExchange(ex *Exchange) {
	runTag := r.RunTag
	if _, ok := ex.ResponseHeaders["Clerk-Trace-Id"]; ok {
		ex.ResponseHeaders["Clerk-Trace-Id"] = "redacted"
	}
	foreign := func(addr string) bool {
		return runTag == "" || !strings.Contains(strings.ToLower(addr), strings.ToLower(runTag))
	}
	if body, ok := decodeJSON(ex.ResponseBody); ok {
		body = redactValue(body, foreign)
		if out, err := json.Marshal(body); err == nil {
			ex.ResponseBody = string(out)
		}
	}
	replace := func(s string) string {
		return emailPattern.ReplaceAllStringFunc(s, func(addr string) string {
			if !foreign(addr) {
				return addr
			}
			key := strings.ToLower(addr)
			if r.aliases[key] == "" {
				r.aliases[key] = fmt.Sprintf("redacted-%d@example.invalid", len(r.aliases)+1)
			}
			return r.aliases[key]
		})
	}
	ex.ResponseBody = replace(ex.ResponseBody)
	ex.RequestBody = replace(ex.RequestBody)
	ex.Query = replace(ex.Query)
	ex.Subject = replace(ex.Subject)
}

func redactValue(v any, foreign func(string) bool) any {
	switch v := v.(type) {
	case map[string]any:
		if addr, ok := v["email_address"].(string); ok && foreign(addr) {
			if _, has := v["public_metadata"]; has && v["public_metadata"] != nil {
				v["public_metadata"] = map[string]any{}
			}
		}
		for k, x := range v {
			switch k {
			case "url":
				if _, ok := x.(string); ok {
					v[k] = "https://redacted.invalid/accept?ticket=redacted"
				}
			case "clerk_trace_id":
				v[k] = "redacted"
			default:
				v[k] = redactValue(x, foreign)
			}
		}
	case []any:
		for i := range v {
			v[i] = redactValue(v[i], foreign)
		}
	}
	return v
}

// decodeJSON decodes s keeping numbers as written.
func decodeJSON(s string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return nil, false
	}
	return v, true
}

// Read reads a transcript.
func Read(rd io.Reader) (Header, []Exchange, error) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var h Header
	var out []Exchange
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if line == 1 {
			if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Transcript == 0 {
				return h, nil, fmt.Errorf("transcript: line 1 is not a transcript header: %v", err)
			}
			if h.Transcript != Version {
				return h, nil, fmt.Errorf("transcript: version %d, this program reads %d", h.Transcript, Version)
			}
			continue
		}
		var ex Exchange
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			return h, nil, fmt.Errorf("transcript: line %d: %w", line, err)
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return h, nil, fmt.Errorf("transcript: %w", err)
	}
	if line == 0 {
		return h, nil, errors.New("transcript: empty")
	}
	return h, out, nil
}
