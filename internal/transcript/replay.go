package transcript

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
)

// Difference is one way the embedded Clerk answered a recorded request otherwise than the
// recorded target did.
type Difference struct {
	Seq      int
	Scenario string
	Request  string // "POST /invitations/bulk"
	What     string // "status", "error codes", "param names" or "shape"
	Recorded string
	Replayed string
}

func (d Difference) String() string {
	return fmt.Sprintf("#%d %s (%s): %s: recorded %s, embedded %s", d.Seq, d.Request, d.Scenario, d.What, d.Recorded, d.Replayed)
}

// Report is the outcome of a replay.
type Report struct {
	Compared    int
	Skipped     []string // exchanges not compared, and why
	Differences []Difference
}

const replayKey = "sk_test_transcriptreplay"

// Replay sends the recorded requests, in order, to a fresh embedded Clerk whose clock starts at
// the first answer's Date and follows the recorded Dates, and compares each answer with the
// recorded one: status, error codes, meta.param_name and the shape of the body (its fields and
// their JSON types, not their values). Invitation ids the target issued are swapped for the ones
// the embedded Clerk issued, so later requests address the same invitations. Exchanges that
// recorded no answer, a 429 or a 5xx are transient and skipped; so is the cleanup after a run.
func Replay(ctx context.Context, exchanges []Exchange) (Report, error) {
	start := time.Now().UTC().Truncate(time.Second)
	for _, ex := range exchanges {
		if t, ok := answeredAt(ex); ok {
			start = t
			break
		}
	}
	fake := fakeclerk.New(fakeclerk.Options{SecretKey: replayKey, Start: start})
	h := fake.Handler()
	ids := map[string]string{} // recorded id -> embedded id
	swap := func(s string) string {
		for from, to := range ids {
			s = strings.ReplaceAll(s, from, to)
		}
		return s
	}
	var r Report
	for _, ex := range exchanges {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		request := ex.Method + " " + ex.Path
		switch {
		case ex.Action == "expire":
			if err := fake.Expire(swap(ex.Subject)); err != nil {
				r.Differences = append(r.Differences, Difference{Seq: ex.Seq, Scenario: ex.Scenario, Request: "expire " + ex.Subject, What: "state", Recorded: "a pending invitation", Replayed: err.Error()})
			}
			continue
		case ex.Action == "user_exists":
			fake.RegisterUser(ex.Subject)
			continue
		case ex.Action == "fact":
			continue // what the run concluded, not something to replay
		case ex.Action != "":
			return r, fmt.Errorf("transcript: line %d: unknown action %q", ex.Seq+1, ex.Action)
		case ex.Status == 0:
			r.Skipped = append(r.Skipped, fmt.Sprintf("#%d %s: no answer was recorded (%s)", ex.Seq, request, ex.Error))
			continue
		case ex.Status == http.StatusTooManyRequests || ex.Status >= 500:
			r.Skipped = append(r.Skipped, fmt.Sprintf("#%d %s: recorded %d, a transient answer", ex.Seq, request, ex.Status))
			continue
		case ex.Scenario == "cleanup":
			continue
		}
		if t, ok := answeredAt(ex); ok && t.After(fake.Now()) {
			fake.Advance(t.Sub(fake.Now()))
		}
		target := "/v1" + swap(ex.Path)
		if ex.Query != "" {
			target += "?" + swap(ex.Query)
		}
		req := httptest.NewRequestWithContext(ctx, ex.Method, target, strings.NewReader(swap(ex.RequestBody)))
		for k, v := range ex.RequestHeaders {
			req.Header.Set(k, v)
		}
		switch ex.Auth {
		case "valid":
			req.Header.Set("Authorization", "Bearer "+replayKey)
		case "invalid":
			req.Header.Set("Authorization", "Bearer sk_test_notthereplaykey")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		got, err := io.ReadAll(w.Result().Body)
		if err != nil {
			return r, err
		}
		r.Compared++
		diff := func(what, recorded, replayed string) {
			r.Differences = append(r.Differences, Difference{Seq: ex.Seq, Scenario: ex.Scenario, Request: request, What: what, Recorded: recorded, Replayed: replayed})
		}
		if w.Code != ex.Status {
			diff("status", fmt.Sprint(ex.Status), fmt.Sprint(w.Code))
			continue
		}
		recorded, _ := decodeJSON(ex.ResponseBody)
		replayed, _ := decodeJSON(string(got))
		if a, b := errorField(recorded, "code"), errorField(replayed, "code"); a != b {
			diff("error codes", a, b)
		}
		if a, b := errorField(recorded, "param_name"), errorField(replayed, "param_name"); a != b {
			diff("param names", a, b)
		}
		if where, a, b := compareShape("body", recorded, replayed); where != "" {
			diff("shape of "+where, a, b)
		}
		if ex.Method == http.MethodPost && w.Code == http.StatusOK && (ex.Path == "/invitations" || ex.Path == "/invitations/bulk") {
			from, to := invitationIDs(recorded), invitationIDs(replayed)
			for i := range min(len(from), len(to)) {
				ids[from[i]] = to[i]
			}
		}
	}
	return r, nil
}

// answeredAt is the recorded answer's Date.
func answeredAt(ex Exchange) (time.Time, bool) {
	d := ex.ResponseHeaders["Date"]
	if d == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(d)
	return t, err == nil
}

// errorField lists a field of every error entry: "code" at the entry, "param_name" in its meta.
func errorField(body any, field string) string {
	m, _ := body.(map[string]any)
	list, _ := m["errors"].([]any)
	var out []string
	for _, e := range list {
		entry, _ := e.(map[string]any)
		src := entry
		if field == "param_name" {
			src, _ = entry["meta"].(map[string]any)
		}
		if v, ok := src[field]; ok {
			out = append(out, fmt.Sprint(v))
		}
	}
	return strings.Join(out, ",")
}

// invitationIDs lists the ids of an invitation or of an array of them, in order.
func invitationIDs(body any) []string {
	var out []string
	add := func(v any) {
		if m, ok := v.(map[string]any); ok {
			if id, ok := m["id"].(string); ok {
				out = append(out, id)
			}
		}
	}
	if list, ok := body.([]any); ok {
		for _, v := range list {
			add(v)
		}
	} else {
		add(body)
	}
	return out
}

// compareShape compares two JSON values by structure, not by content: the fields of objects
// and the JSON types of their values; an array's elements must each have a counterpart of the
// same shape in the other array (an empty array matches any: how many invitations a list holds
// depends on what else the recorded instance held). public_metadata is anyone's to fill and is
// only required to be present in both. It returns "" when the shapes agree, else where they
// first differ and how.
func compareShape(path string, a, b any) (where, recorded, replayed string) {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return path, "object", kind(b)
		}
		keys := make([]string, 0, len(a)+len(bm))
		for k := range a {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := a[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			av, inA := a[k]
			bv, inB := bm[k]
			switch {
			case !inB:
				return path + "." + k, kind(av), "absent"
			case !inA:
				return path + "." + k, "absent", kind(bv)
			case k == "public_metadata":
				continue
			}
			if w, x, y := compareShape(path+"."+k, av, bv); w != "" {
				return w, x, y
			}
		}
		return "", "", ""
	case []any:
		bl, ok := b.([]any)
		if !ok {
			return path, "array", kind(b)
		}
		if len(a) == 0 || len(bl) == 0 {
			return "", "", ""
		}
		for _, x := range a {
			var first [3]string
			matched := false
			for j, y := range bl {
				w, p, q := compareShape(path+"[]", x, y)
				if w == "" {
					matched = true
					break
				}
				if j == 0 {
					first = [3]string{w, p, q}
				}
			}
			if !matched {
				return first[0], first[1], first[2]
			}
		}
		return "", "", ""
	}
	if kind(a) != kind(b) {
		return path, kind(a), kind(b)
	}
	return "", "", ""
}

// kind is a JSON value's type.
func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
