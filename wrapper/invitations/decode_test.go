package invitations

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slowList is decodeList by encoding/json alone: the reference the fast path must match.
func slowList(body []byte) ([]Invitation, int, error) {
	if trimmed := strings.TrimLeft(string(body), " \t\r\n"); strings.HasPrefix(trimmed, "[") {
		var w []wireInvitation
		if err := json.Unmarshal(body, &w); err != nil {
			return nil, 0, err
		}
		return fromWire(w), -1, nil
	}
	var w struct {
		Data       []wireInvitation `json:"data"`
		TotalCount int64            `json:"total_count"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, 0, err
	}
	return fromWire(w.Data), int(w.TotalCount), nil
}

func slowInvitation(body []byte) (Invitation, error) {
	var w wireInvitation
	err := json.Unmarshal(body, &w)
	return w.invitation(), err
}

const sampleInvitation = `{"object":"invitation","id":"inv_1","email_address":"ada@example.com","public_metadata":{"plan":"pro","n":1.5,"tags":["a"]},` +
	`"revoked":false,"status":"pending","url":"https://x.test/accept?ticket=t","expires_at":1767225600000,"created_at":1764547200000,"updated_at":1764547200500}`

// The shapes and edge cases the fast path must agree on with encoding/json, accepted or not.
var decodeCases = []string{
	sampleInvitation,
	`{}`, `null`, `{"id":null,"email_address":null,"status":null,"url":null,"revoked":null,"expires_at":null,"public_metadata":null}`,
	`{"public_metadata":{}}`, `{"public_metadata":{ }}`, `{"public_metadata":[]}`, `{"public_metadata":"x"}`,
	`{"public_metadata":{"s":"v","n":-12.5e3,"i":7,"t":true,"f":false,"z":null,"s":"last"}}`, `{"public_metadata":{"big":1e400}}`,
	`{"public_metadata":{"esc":"a\nb","u":"\u00e9"}}`, `{"public_metadata":{"n":01}}`, `{"public_metadata":{"a":1,}}`,
	`{"public_metadata":{"a":1},"public_metadata":{"b":2}}`,
	`{"id":"inv_\u00e9\n","email_address":"a\"b@example.com"}`, `{"id":"caf\xc3\xa9"}`, `{"id":"bad\xff"}`, "{\"id\":\"tab\there\"}",
	`{"ID":"upper"}`, `{"Email_Address":"x"}`, `{"id":"a","id":"b"}`, `{"unknown":{"deep":[1,{"x":null},true,-0.5e+3]},"id":"i"}`,
	`{"created_at":1.5}`, `{"created_at":1e3}`, `{"created_at":"1"}`, `{"created_at":-1}`, `{"created_at":0123}`, `{"created_at":99999999999999999999}`,
	`{"revoked":true}`, `{"revoked":"true"}`, `{"revoked":tru}`, `{"id":"x",}`, `{"id":"x"} x`, `{"id" "x"}`, ` { "id" : "x" } `, `[`, ``, `"x"`,
}

func TestFastDecodingMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, c := range decodeCases {
		checkInvitation(t, []byte(c))
		checkList(t, []byte(`{"data":[`+c+`],"total_count":3}`))
		checkList(t, []byte(`[`+c+`,`+c+`]`))
	}
	for _, c := range []string{`{"data":null,"total_count":null}`, `{"total_count":2,"data":[]}`, `{"Data":[]}`, `{"data":[],"data":[{"id":"2"}]}`, `{"data":[null]}`, `[]`, `null`, `{"x":1}`} {
		checkList(t, []byte(c))
	}
}

var deletedCases = []string{
	`{"object":"invitation","id":"inv_1","deleted":true}`, `{"deleted":true}`, `{"id":null,"deleted":null}`, `null`, `{}`,
	`{"id":"a","deleted":false,"extra":{"x":[1,2]}}`, `{"ID":"a","deleted":true}`, `{"id":"a","Deleted":true}`, `{"deleted":"true"}`,
	`{"id":"a\u00e9","deleted":true}`, `{"id":1}`, `{"deleted":true,}`, `{"deleted":true} x`, `[]`, ``, `{"id":"a","id":"b"}`,
}

func TestFastDeletedMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, c := range append(deletedCases, decodeCases...) {
		checkDeleted(t, []byte(c))
	}
}

func checkDeleted(t *testing.T, body []byte) {
	t.Helper()
	got, err := decodeDeleted(body)
	var want deletedObject
	wantErr := json.Unmarshal(body, &want)
	require.Equal(t, wantErr != nil, err != nil, "%q: %v / %v", body, err, wantErr)
	if err == nil {
		assert.Equal(t, want, got, "%q", body)
	}
}

func checkInvitation(t *testing.T, body []byte) {
	t.Helper()
	got, err := decodeInvitation(body)
	want, wantErr := slowInvitation(body)
	require.Equal(t, wantErr != nil, err != nil, "%q: %v / %v", body, err, wantErr)
	if err == nil {
		assert.Equal(t, want, got, "%q", body)
	}
}

func checkList(t *testing.T, body []byte) {
	t.Helper()
	got, total, err := decodeList(body)
	want, wantTotal, wantErr := slowList(body)
	require.Equal(t, wantErr != nil, err != nil, "%q: %v / %v", body, err, wantErr)
	if err == nil {
		assert.Equal(t, want, got, "%q", body)
		assert.Equal(t, wantTotal, total, "%q", body)
	}
}

func TestFastDecodingTakesTheCommonShapes(t *testing.T) {
	t.Parallel()
	page := `{"data":[` + strings.Repeat(sampleInvitation+",", 9) + sampleInvitation + `],"total_count":10}`
	d := newFastDecoder([]byte(page))
	invs, total, ok := d.page()
	require.True(t, ok, "the fast path takes a page as Clerk sends it")
	assert.True(t, d.end())
	assert.Len(t, invs, 10)
	assert.Equal(t, 10, total)
	assert.Equal(t, map[string]any{"plan": "pro", "n": 1.5, "tags": []any{"a"}}, invs[0].PublicMetadata)
	assert.Equal(t, int64(1767225600000), invs[9].ExpiresAt.UnixMilli())
}

// FuzzDecodingMatchesEncodingJSON: for any body, the fast decoder and encoding/json agree on
// whether it decodes and on what it decodes to.
func FuzzDecodingMatchesEncodingJSON(f *testing.F) {
	for _, c := range append(deletedCases, decodeCases...) {
		f.Add(c)
	}
	f.Add(`{"data":[` + sampleInvitation + `],"total_count":1}`)
	f.Fuzz(func(t *testing.T, s string) {
		body := []byte(s)
		got, err := decodeInvitation(body)
		want, wantErr := slowInvitation(body)
		if (err == nil) != (wantErr == nil) || err == nil && fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("invitation %q: fast %v %v, encoding/json %v %v", s, got, err, want, wantErr)
		}
		del, err := decodeDeleted(body)
		var wantDel deletedObject
		wantErr = json.Unmarshal(body, &wantDel)
		if (err == nil) != (wantErr == nil) || err == nil && del != wantDel {
			t.Fatalf("deleted %q: fast %v %v, encoding/json %v %v", s, del, err, wantDel, wantErr)
		}
		list, total, err := decodeList(body)
		wantList, wantTotal, wantErr := slowList(body)
		if (err == nil) != (wantErr == nil) || err == nil && (fmt.Sprint(list) != fmt.Sprint(wantList) || total != wantTotal) {
			t.Fatalf("list %q: fast %v %d %v, encoding/json %v %d %v", s, list, total, err, wantList, wantTotal, wantErr)
		}
	})
}
