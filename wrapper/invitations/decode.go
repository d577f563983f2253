package invitations

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Decoding of Clerk's answers: straight into the package's own types, by a one-pass decoder for
// the shapes Clerk sends, with encoding/json behind it for anything the fast path does not take
// on (escapes it cannot copy, floats, keys that differ only in case, malformed input). The two
// paths give the same result for every input the fast one accepts; a differential fuzz test
// holds them to it.

// wireInvitation is an invitation as Clerk sends it, for encoding/json: no pointer fields, so
// nothing is allocated for them (null leaves the zero value, as encoding/json does).
type wireInvitation struct {
	ID             string         `json:"id"`
	EmailAddress   string         `json:"email_address"`
	PublicMetadata map[string]any `json:"public_metadata"`
	Revoked        bool           `json:"revoked"`
	Status         Status         `json:"status"`
	URL            string         `json:"url"`
	ExpiresAt      int64          `json:"expires_at"`
	CreatedAt      int64          `json:"created_at"`
	UpdatedAt      int64          `json:"updated_at"`
}

func (w *wireInvitation) invitation() Invitation {
	return Invitation{ID: w.ID, EmailAddress: w.EmailAddress, Status: w.Status, Revoked: w.Revoked, URL: w.URL,
		PublicMetadata: w.PublicMetadata, ExpiresAt: fromMillis(w.ExpiresAt), CreatedAt: fromMillis(w.CreatedAt), UpdatedAt: fromMillis(w.UpdatedAt)}
}

// fromMillis converts Clerk's Unix-millisecond timestamps; 0 stays the zero time.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// decodeInvitation decodes one invitation object.
func decodeInvitation(body []byte) (Invitation, error) {
	d := newFastDecoder(body)
	if inv, ok := d.invitation(); ok && d.end() {
		return inv, nil
	}
	var w wireInvitation
	if err := json.Unmarshal(body, &w); err != nil {
		return Invitation{}, err
	}
	return w.invitation(), nil
}

// decodeInvitations decodes an array of invitations (a bulk create's answer).
func decodeInvitations(body []byte) ([]Invitation, error) {
	d := newFastDecoder(body)
	if list, ok := d.invitations(); ok && d.end() {
		return list, nil
	}
	var w []wireInvitation
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	return fromWire(w), nil
}

// deletedObject is a delete's answer, generated.DeletedObject without its pointers: an absent
// id reads as "".
type deletedObject struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

// decodeDeleted decodes a delete's answer.
func decodeDeleted(body []byte) (deletedObject, error) {
	d := newFastDecoder(body)
	if out, ok := d.deleted(); ok && d.end() {
		return out, nil
	}
	var out deletedObject
	err := json.Unmarshal(body, &out)
	return out, err
}

// decodeList decodes a list answer: {data, total_count}, or a bare array (total -1).
func decodeList(body []byte) (invs []Invitation, total int, err error) {
	d := newFastDecoder(body)
	d.ws()
	bare := d.i < len(d.b) && d.b[d.i] == '['
	if bare {
		invs, err = decodeInvitations(body)
		return invs, -1, err
	}
	if invs, total, ok := d.page(); ok && d.end() {
		return invs, total, nil
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

func fromWire(list []wireInvitation) []Invitation {
	if list == nil {
		return nil
	}
	out := make([]Invitation, len(list))
	for i := range list {
		out[i] = list[i].invitation()
	}
	return out
}

// fastDecoder reads the answers' JSON in one pass. Every method reports false, leaving the
// decoder in an undefined position, for input it does not take on; the caller then falls back
// to encoding/json, which decodes it or says what is wrong with it.
type fastDecoder struct {
	b []byte
	s string // b as a string, made once: strings without escapes are slices of it
	i int
}

func newFastDecoder(b []byte) *fastDecoder { return &fastDecoder{b: b} }

func (d *fastDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// end reports whether only whitespace is left.
func (d *fastDecoder) end() bool {
	d.ws()
	return d.i == len(d.b)
}

// next skips whitespace and consumes c if it comes next.
func (d *fastDecoder) next(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *fastDecoder) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// literal consumes word (true, false, null) if it comes next.
func (d *fastDecoder) literal(word string) bool {
	d.ws()
	if len(d.b)-d.i >= len(word) && string(d.b[d.i:d.i+len(word)]) == word {
		d.i += len(word)
		return true
	}
	return false
}

// str reads a string. One without escapes, control characters or invalid UTF-8 costs nothing;
// one with escapes is decoded by encoding/json.
func (d *fastDecoder) str() (string, bool) {
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return "", false
	}
	start := d.i + 1
	high := false
	for j := start; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			d.i = j + 1
			if high && !utf8.Valid(d.b[start:j]) {
				return "", false // encoding/json would replace the bad bytes
			}
			return d.text(start, j), true
		case c == '\\':
			return d.escaped(start - 1)
		case c < 0x20:
			return "", false
		case c >= 0x80:
			high = true
		}
	}
	return "", false
}

// escaped decodes the string starting at quote, which holds escapes.
func (d *fastDecoder) escaped(quote int) (string, bool) {
	for j := quote + 1; j < len(d.b); j++ {
		switch d.b[j] {
		case '\\':
			j++
		case '"':
			var s string
			if json.Unmarshal(d.b[quote:j+1], &s) != nil {
				return "", false
			}
			d.i = j + 1
			return s, true
		}
	}
	return "", false
}

// strOrNull reads a string; null reads as "", as encoding/json leaves a string field.
func (d *fastDecoder) strOrNull() (string, bool) {
	if d.literal("null") {
		return "", true
	}
	return d.str()
}

// int reads an integer without fraction or exponent; null reads as 0.
func (d *fastDecoder) int() (int64, bool) {
	if d.literal("null") {
		return 0, true
	}
	d.ws()
	j, neg := d.i, false
	if j < len(d.b) && d.b[j] == '-' {
		neg = true
		j++
	}
	digits := j
	var n int64
	for ; j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9'; j++ {
		if n > (1<<63-1-9)/10 {
			return 0, false // near overflow: encoding/json has the last word
		}
		n = n*10 + int64(d.b[j]-'0')
	}
	switch {
	case j == digits, j-digits > 1 && d.b[digits] == '0':
		return 0, false // no digits, or a leading zero
	case j < len(d.b) && (d.b[j] == '.' || d.b[j] == 'e' || d.b[j] == 'E'):
		return 0, false
	}
	d.i = j
	if neg {
		n = -n
	}
	return n, true
}

// boolean reads true or false; null reads as false.
func (d *fastDecoder) boolean() (bool, bool) {
	switch {
	case d.literal("true"):
		return true, true
	case d.literal("false"), d.literal("null"):
		return false, true
	}
	return false, false
}

// skip passes over any value.
func (d *fastDecoder) skip() bool {
	switch d.peek() {
	case '"':
		_, ok := d.str()
		return ok
	case '{':
		d.i++
		if d.next('}') {
			return true
		}
		for {
			if _, ok := d.str(); !ok || !d.next(':') || !d.skip() {
				return false
			}
			if d.next('}') {
				return true
			}
			if !d.next(',') {
				return false
			}
		}
	case '[':
		d.i++
		if d.next(']') {
			return true
		}
		for {
			if !d.skip() {
				return false
			}
			if d.next(']') {
				return true
			}
			if !d.next(',') {
				return false
			}
		}
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	return d.number()
}

// number passes over a number in JSON's grammar.
func (d *fastDecoder) number() bool {
	j := d.i
	digits := func() bool {
		k := j
		for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
			j++
		}
		return j > k
	}
	if j < len(d.b) && d.b[j] == '-' {
		j++
	}
	if j < len(d.b) && d.b[j] == '0' {
		j++
	} else if !digits() {
		return false
	}
	if j < len(d.b) && d.b[j] == '.' {
		j++
		if !digits() {
			return false
		}
	}
	if j < len(d.b) && (d.b[j] == 'e' || d.b[j] == 'E') {
		j++
		if j < len(d.b) && (d.b[j] == '+' || d.b[j] == '-') {
			j++
		}
		if !digits() {
			return false
		}
	}
	d.i = j
	return true
}

// invitationKeys are the fields fastDecoder knows; another key that matches one of them only
// when case is ignored goes to encoding/json, which matches field names that way.
var invitationKeys = []string{"object", "id", "email_address", "public_metadata", "revoked", "status", "url", "expires_at", "created_at", "updated_at"}

// invitation reads one invitation object, or null (the zero Invitation, as encoding/json gives).
func (d *fastDecoder) invitation() (Invitation, bool) {
	var inv Invitation
	if d.literal("null") {
		return inv, true
	}
	if !d.next('{') {
		return inv, false
	}
	if d.next('}') {
		return inv, true
	}
	seenMetadata := false
	for {
		key, ok := d.str()
		if !ok || !d.next(':') {
			return inv, false
		}
		var ms int64
		switch key {
		case "id":
			inv.ID, ok = d.strOrNull()
		case "email_address":
			inv.EmailAddress, ok = d.strOrNull()
		case "status":
			var s string
			s, ok = d.strOrNull()
			inv.Status = Status(s)
		case "url":
			inv.URL, ok = d.strOrNull()
		case "revoked":
			inv.Revoked, ok = d.boolean()
		case "expires_at":
			ms, ok = d.int()
			inv.ExpiresAt = fromMillis(ms)
		case "created_at":
			ms, ok = d.int()
			inv.CreatedAt = fromMillis(ms)
		case "updated_at":
			ms, ok = d.int()
			inv.UpdatedAt = fromMillis(ms)
		case "public_metadata":
			if seenMetadata {
				return inv, false // encoding/json merges a second object into the first
			}
			seenMetadata = true
			inv.PublicMetadata, ok = d.metadata()
		default:
			for _, k := range invitationKeys {
				if k != key && strings.EqualFold(k, key) {
					return inv, false
				}
			}
			ok = d.skip() // "object", and fields Clerk may add
		}
		if !ok {
			return inv, false
		}
		if d.next('}') {
			return inv, true
		}
		if !d.next(',') {
			return inv, false
		}
	}
}

// deleted reads a delete's answer: {object, id, deleted}, or null.
func (d *fastDecoder) deleted() (deletedObject, bool) {
	var out deletedObject
	if d.literal("null") {
		return out, true
	}
	if !d.next('{') {
		return out, false
	}
	if d.next('}') {
		return out, true
	}
	for {
		key, ok := d.str()
		if !ok || !d.next(':') {
			return out, false
		}
		switch key {
		case "id":
			out.ID, ok = d.strOrNull()
		case "deleted":
			out.Deleted, ok = d.boolean()
		default:
			if strings.EqualFold(key, "id") || strings.EqualFold(key, "deleted") {
				return out, false // encoding/json matches field names ignoring case
			}
			ok = d.skip()
		}
		if !ok {
			return out, false
		}
		if d.next('}') {
			return out, true
		}
		if !d.next(',') {
			return out, false
		}
	}
}

// metadata reads public_metadata: null is nil, a flat object (strings, numbers, booleans and
// nulls) is read here, anything else goes through encoding/json.
func (d *fastDecoder) metadata() (map[string]any, bool) {
	if d.literal("null") {
		return nil, true
	}
	d.ws()
	start := d.i
	if m, ok := d.flatObject(); ok {
		return m, true
	}
	d.i = start
	if d.peek() != '{' || !d.skip() {
		return nil, false
	}
	var m map[string]any
	if json.Unmarshal(d.b[start:d.i], &m) != nil {
		return nil, false
	}
	return m, true
}

// flatObject reads an object whose values are all strings, numbers, booleans or nulls, as
// encoding/json decodes it into a map[string]any.
func (d *fastDecoder) flatObject() (map[string]any, bool) {
	if !d.next('{') {
		return nil, false
	}
	m := map[string]any{}
	if d.next('}') {
		return m, true
	}
	for {
		key, ok := d.str()
		if !ok || !d.next(':') {
			return nil, false
		}
		switch c := d.peek(); {
		case c == '"':
			v, ok := d.str()
			if !ok {
				return nil, false
			}
			m[key] = v
		case c == 't' || c == 'f':
			v, ok := d.boolean()
			if !ok {
				return nil, false
			}
			m[key] = v
		case c == 'n':
			if !d.literal("null") {
				return nil, false
			}
			m[key] = nil
		case c == '-' || c >= '0' && c <= '9':
			start := d.i
			if !d.number() {
				return nil, false
			}
			f, err := strconv.ParseFloat(d.text(start, d.i), 64)
			if err != nil {
				return nil, false
			}
			m[key] = f
		default:
			return nil, false // nested: encoding/json's
		}
		if d.next('}') {
			return m, true
		}
		if !d.next(',') {
			return nil, false
		}
	}
}

// invitations reads an array of invitations, or null.
func (d *fastDecoder) invitations() ([]Invitation, bool) {
	if d.literal("null") {
		return nil, true
	}
	if !d.next('[') {
		return nil, false
	}
	out := make([]Invitation, 0, d.estimate())
	if d.next(']') {
		return out, true
	}
	for {
		inv, ok := d.invitation()
		if !ok {
			return nil, false
		}
		out = append(out, inv)
		if d.next(']') {
			return out, true
		}
		if !d.next(',') {
			return nil, false
		}
	}
}

// estimate guesses how many invitations the rest of the body holds, to size the slice once.
func (d *fastDecoder) estimate() int {
	return min(strings.Count(d.rest(), `"email_address"`), 1000)
}

func (d *fastDecoder) rest() string { return d.text(d.i, len(d.b)) }

// text returns b[from:to] as a string, a slice of the one copy.
func (d *fastDecoder) text(from, to int) string {
	if d.s == "" {
		d.s = string(d.b)
	}
	return d.s[from:to]
}

// page reads {data, total_count}.
func (d *fastDecoder) page() (invs []Invitation, total int, ok bool) {
	if !d.next('{') {
		return nil, 0, false
	}
	if d.next('}') {
		return nil, 0, true
	}
	for {
		key, ok := d.str()
		if !ok || !d.next(':') {
			return nil, 0, false
		}
		switch key {
		case "data":
			invs, ok = d.invitations()
		case "total_count":
			var n int64
			n, ok = d.int()
			total = int(n)
		default:
			if strings.EqualFold(key, "data") || strings.EqualFold(key, "total_count") {
				return nil, 0, false
			}
			ok = d.skip()
		}
		if !ok {
			return nil, 0, false
		}
		if d.next('}') {
			return invs, total, true
		}
		if !d.next(',') {
			return nil, 0, false
		}
	}
}
