package fakeclerk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// The fields a create object (createFields) and a bulk item (bulkFields) may carry: the JSON
// names of the generated request bodies, so that a field openapi.yaml declares is accepted
// after make generate alone, and any other is refused with Clerk's 422 naming it.
var (
	createFields = jsonNames(reflect.TypeFor[generated.CreateInvitationParams]())
	bulkFields   = jsonNames(reflect.TypeFor[generated.BulkInvitationParams]())
)

// jsonNames returns the names encoding/json gives the fields of struct type t.
func jsonNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// checkCreateBody checks a create (bulk=false) or bulk create body the way Clerk does, before
// anything is decoded or stored: malformed JSON is a 400 request_body_invalid, a bad field a 422
// naming it, more than ten bulk items a 400 bulk_size_exceeded (inferred: Clerk documents the
// limit, not the answer). Every item is checked, so a bulk call with one bad item creates nothing.
func checkCreateBody(raw []byte, bulk bool) *apiError {
	raw = bytes.TrimSpace(raw)
	if !utf8.Valid(raw) {
		return errBodyInvalid("The request body is not valid UTF-8.")
	}
	if len(raw) == 0 {
		return errBodyInvalid("The request body is empty; send a JSON " + map[bool]string{false: "object", true: "array"}[bulk] + ".")
	}
	// Checked whole first, which allocates nothing; then read a value at a time, only as far as
	// the answer needs, so that the work stays a small multiple of the body's size whatever it
	// holds (a megabyte of unknown fields, a thousand items).
	if !json.Valid(raw) {
		return errBodyInvalid("The request body is not valid JSON.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if !bulk {
		obj, unknown, ok := readCreateObject(dec, createFields)
		if !ok {
			return errBodyInvalid("The request body must be a JSON object.")
		}
		if entries := checkCreateObject(obj, unknown, -1); len(entries) > 0 {
			return errParams(capEntries(entries)...)
		}
		return nil
	}
	if raw[0] != '[' {
		return errBodyInvalid("The request body must be a JSON array of invitations.")
	}
	// One item more than the limit says there are too many.
	items, count := 0, json.NewDecoder(bytes.NewReader(raw))
	for _, _ = count.Token(); count.More() && items <= rules.MaxBulkItems; items++ {
		var skip json.RawMessage
		if count.Decode(&skip) != nil {
			break
		}
	}
	if items == 0 {
		return errParams(errParam("form_param_missing", "invitations", "At least one invitation is required."))
	}
	if items > rules.MaxBulkItems {
		return newError(http.StatusBadRequest, "bulk_size_exceeded", "bulk size exceeded",
			fmt.Sprintf("At most %d invitations can be created in one call; the request has more.", rules.MaxBulkItems))
	}
	_, _ = dec.Token() // [
	var entries []generated.ClerkError
	for i := 0; dec.More() && len(entries) < maxErrorEntries; i++ {
		obj, unknown, ok := readCreateObject(dec, bulkFields)
		if !ok {
			return errBodyInvalid(fmt.Sprintf("Item %d of the request body is not a JSON object.", i))
		}
		entries = append(entries, checkCreateObject(obj, unknown, i)...)
	}
	if len(entries) > 0 {
		return errParams(capEntries(entries)...)
	}
	return nil
}

// readCreateObject reads the next value of dec, which holds valid JSON, as a create object with
// the given fields: the values of those it holds, and the names of the others in the order sent. It stops at
// maxErrorEntries unknown names, the most an answer reports (the answer is then those entries,
// and dec is left inside the object). ok is false when the value is not an object.
func readCreateObject(dec *json.Decoder, fields []string) (obj map[string]any, unknown []string, ok bool) {
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		if d, isDelim := tok.(json.Delim); isDelim {
			skipRest(dec, d)
		}
		return nil, nil, false
	}
	obj = map[string]any{}
	for dec.More() && len(unknown) < maxErrorEntries {
		tok, _ := dec.Token()
		name, _ := tok.(string)
		if slices.Contains(fields, name) {
			var v any
			_ = dec.Decode(&v)
			obj[name] = v
			continue
		}
		var skip json.RawMessage
		_ = dec.Decode(&skip)
		if !slices.Contains(unknown, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) < maxErrorEntries {
		_, _ = dec.Token() // }
	}
	return obj, unknown, true
}

// skipRest consumes the rest of the array or object whose opening delimiter was just read.
func skipRest(dec *json.Decoder, open json.Delim) {
	for dec.More() {
		if open == '{' {
			_, _ = dec.Token() // a name
		}
		var skip json.RawMessage
		_ = dec.Decode(&skip)
	}
	_, _ = dec.Token()
}

// Bounds on an error answer, whatever the input: a body of a million unknown fields, or one
// field with a name a megabyte long, still gets a small answer.
const (
	maxErrorEntries   = 20  // entries in one answer; the rest are left out
	maxParamNameBytes = 100 // a parameter name quoted in an entry
)

// capEntries keeps the first maxErrorEntries entries.
func capEntries(entries []generated.ClerkError) []generated.ClerkError {
	return entries[:min(len(entries), maxErrorEntries)]
}

// shortName cuts a parameter name a client sent to maxParamNameBytes, on a rune boundary.
func shortName(name string) string {
	if len(name) <= maxParamNameBytes {
		return name
	}
	cut := maxParamNameBytes
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + "…"
}

// checkCreateObject returns one 422 entry per bad field of a create object (its known fields,
// and the names of unknown ones, as readCreateObject gives them); index >= 0 marks a
// bulk item, whose position is added to each entry's meta as "index" (inferred: Clerk documents
// no way of telling which item failed).
func checkCreateObject(obj map[string]any, unknown []string, index int) []generated.ClerkError {
	var out []generated.ClerkError
	add := func(code, name, long string) {
		e := errParam(code, name, long)
		if index >= 0 {
			e.Meta["index"] = index
		}
		out = append(out, e)
	}
	bulk := index >= 0
	for _, k := range unknown {
		k = shortName(k)
		add("form_param_unknown", k, k+" is not a valid parameter for this request.")
	}

	switch addr, present := obj["email_address"]; {
	case !present || addr == nil || addr == "":
		add("form_param_missing", "email_address", "email_address must be included.")
	default:
		s, ok := addr.(string)
		if !ok {
			add("form_param_format_invalid", "email_address", "email_address must be a string.")
		} else if err := rules.CheckEmail(s); err != nil {
			add("form_param_format_invalid", "email_address", "email_address must be a valid email address.")
		}
	}
	// Only bulk items may carry null for public_metadata and redirect_url (Clerk's published
	// document); the answer to a null in a single create is inferred.
	if v, ok := obj["public_metadata"]; ok && (v != nil || !bulk) {
		if _, isObj := v.(map[string]any); !isObj {
			add("form_param_format_invalid", "public_metadata", "public_metadata must be a JSON object.")
		} else if err := rules.CheckMetadata(v); err != nil {
			add("form_param_exceeds_allowed_size", "public_metadata",
				fmt.Sprintf("The given public_metadata exceeds the maximum allowed size of %d bytes (8 KB).", rules.MaxMetadataBytes))
		}
	}
	if v, ok := obj["redirect_url"]; ok && (v != nil || !bulk) {
		if u, isStr := v.(string); !isStr {
			add("form_param_format_invalid", "redirect_url", "redirect_url must be a string.")
		} else if rules.CheckRedirectURL(u) != nil {
			add("invalid_url_scheme", "redirect_url", "Please provide a URL with one of the following schemes: https, http")
		}
	}
	for _, name := range []string{"notify", "ignore_existing"} {
		if v, ok := obj[name]; ok && v != nil {
			if _, isBool := v.(bool); !isBool {
				add("form_param_format_invalid", name, name+" must be true or false.")
			}
		}
	}
	if v, ok := obj["expires_in_days"]; ok && v != nil {
		n, isNum := v.(json.Number)
		days, err := n.Int64()
		switch {
		case !isNum || err != nil:
			add("form_param_format_invalid", "expires_in_days", "expires_in_days must be a whole number.")
		case days < rules.MinExpiresInDays || days > rules.MaxExpiresInDays:
			add("form_param_value_invalid", "expires_in_days",
				fmt.Sprintf("expires_in_days must be between %d and %d.", rules.MinExpiresInDays, rules.MaxExpiresInDays))
		}
	}
	if v, ok := obj["template_slug"]; ok && v != nil {
		s, isStr := v.(string)
		switch {
		case !isStr:
			add("form_param_format_invalid", "template_slug", "template_slug must be a string.")
		case !generated.InvitationTemplateSlug(s).Valid():
			add("form_param_value_invalid", "template_slug", "template_slug must be one of invitation, waitlist_invitation.")
		}
	}
	return out
}
