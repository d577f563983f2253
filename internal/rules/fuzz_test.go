package rules

import (
	"bytes"
	"encoding/json"
	"math"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckRedirectURL cross-checks the scheme rule against net/url: a string the rule accepts
// never parses as a URL with a scheme other than http or https, and one it refuses always
// parses with some other scheme.
func FuzzCheckRedirectURL(f *testing.F) {
	for _, s := range []string{"https://a.example/x", "/p", "javascript:x", "localhost:3000", "a:b", "HTTP:x", "1a:b", "?x:y", "", ":x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckRedirectURL(s)
		u, parseErr := url.Parse(s)
		if parseErr != nil {
			return // net/url gives no reading to compare with
		}
		scheme := strings.ToLower(u.Scheme)
		switch {
		case err == nil && scheme != "" && scheme != "http" && scheme != "https":
			t.Fatalf("accepted %q, whose scheme is %q", s, u.Scheme)
		case err != nil && (scheme == "" || scheme == "http" || scheme == "https"):
			t.Fatalf("refused %q, whose scheme is %q", s, u.Scheme)
		}
	})
}

// FuzzCheckEmail: an accepted address is what net/mail reads back unchanged, valid UTF-8,
// within the length limit, with a dotted domain.
func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{"ada@example.com", "a@b", "Ada <a@b.c>", "a@b.c ", "\xff@x.y", "a\ufffd@x.y", `"a b"@x.y`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckEmail(s) != nil {
			return
		}
		parsed, err := mail.ParseAddress(s)
		if err != nil || parsed.Address != s || parsed.Name != "" {
			t.Fatalf("accepted %q, which net/mail reads as %v (%v)", s, parsed, err)
		}
		if !utf8.ValidString(s) || len(s) > MaxEmailLength || strings.ContainsRune(s, utf8.RuneError) {
			t.Fatalf("accepted %q", s)
		}
		if domain := s[strings.LastIndexByte(s, '@')+1:]; !strings.Contains(domain, ".") {
			t.Fatalf("accepted %q without a dotted domain", s)
		}
	})
}

// FuzzMetadataSizeAgrees: the client measures the metadata it sends; the embedded server
// measures what it decoded from the wire (numbers kept as json.Number). Both must come to the
// same size, so that they agree on the limit.
func FuzzMetadataSizeAgrees(f *testing.F) {
	f.Add("k", "v", 1.5)
	f.Add("<&>", "\u2028\xff", 1e21)
	f.Add("", "", -0.0)
	f.Fuzz(func(t *testing.T, k, v string, n float64) {
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return // not JSON
		}
		sent := map[string]any{k: v, k + "n": n, k + "l": []any{v, n, nil, true}}
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			// encoding/json would alter it on the way: refused before sending.
			if CheckMetadata(sent) == nil {
				t.Fatalf("accepted metadata with invalid UTF-8: %q %q", k, v)
			}
			return
		}
		wire, err := json.Marshal(sent)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(wire))
		dec.UseNumber()
		var received any
		if err := dec.Decode(&received); err != nil {
			t.Fatal(err)
		}
		client, err := MetadataSize(sent)
		if err != nil {
			t.Fatal(err)
		}
		server, err := MetadataSize(received)
		if err != nil {
			t.Fatal(err)
		}
		if client != server || client != len(wire) {
			t.Fatalf("client measures %d, server %d, wire %d: %s", client, server, len(wire), wire)
		}
	})
}

// FuzzPlainAddressIsASubset: the allocation-free fast path accepts nothing the full check
// (net/mail) refuses.
func FuzzPlainAddressIsASubset(f *testing.F) {
	for _, s := range []string{"ada@example.com", "a.b+c@sub-1.example.org", ".a@x.y", "a.@x.y", "a..b@x.y", "a@x..y", "a@x.y.", "a@-x.y", "a@x", "a b@x.y", "{ok}@x.y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if plainAddress(s) {
			if err := checkEmail(s); err != nil {
				t.Fatalf("the fast path accepts %q, the full check says %v", s, err)
			}
		}
	})
}
