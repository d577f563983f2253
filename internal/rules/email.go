package rules

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxEmailLength is the longest address accepted (RFC 5321's limit on a forward path).
const MaxEmailLength = 254

// CheckEmail reports why addr is not a plain email address such as "ada@example.com", or nil if it is.
// Display names ("Ada <ada@example.com>"), surrounding spaces, addresses without a dot in the
// domain and addresses longer than MaxLength are rejected, and so are control characters and
// invisible or direction-changing ones (U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF and
// every other format character): they make an address that looks like another, which
// de-duplication would miss. That Clerk refuses them too (422 form_param_format_invalid) is
// inferred.
func CheckEmail(addr string) error {
	if plainAddress(addr) {
		return nil // the common case, without net/mail's allocations
	}
	return checkEmail(addr)
}

// plainAddress reports whether addr is an ASCII dot-atom, an '@' and a dotted domain of letters,
// digits and hyphens: a subset of what checkEmail accepts (a fuzz test holds it to that).
func plainAddress(addr string) bool {
	if len(addr) > MaxEmailLength {
		return false
	}
	at := strings.IndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return false
	}
	local, domain := addr[:at], addr[at+1:]
	prev := byte('.')
	for i := 0; i < len(local); i++ {
		c := local[i]
		switch {
		case c == '.':
			if prev == '.' {
				return false // leading or doubled dot
			}
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
		prev = c
	}
	if prev == '.' {
		return false
	}
	dots := 0
	prev = '.'
	for i := 0; i < len(domain); i++ {
		c := domain[i]
		switch {
		case c == '.':
			if prev == '.' {
				return false
			}
			dots++
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
		default:
			return false
		}
		prev = c
	}
	return dots > 0 && prev != '.'
}

// checkEmail is the full check, through net/mail.
func checkEmail(addr string) error {
	switch {
	case addr == "":
		return errors.New("is empty")
	case len(addr) > MaxEmailLength:
		return fmt.Errorf("is longer than %d bytes", MaxEmailLength)
	case strings.TrimSpace(addr) != addr:
		return errors.New("has leading or trailing spaces")
	case !utf8.ValidString(addr) || strings.ContainsRune(addr, utf8.RuneError):
		// U+FFFD too: it is what a JSON decoder makes of an escaped lone surrogate.
		return errors.New("is not valid UTF-8")
	case strings.ContainsFunc(addr, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }):
		return errors.New("holds a control, invisible or direction-changing character")
	}
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Address != addr || parsed.Name != "" {
		return errors.New("is not a valid email address")
	}
	at := strings.LastIndexByte(addr, '@')
	domain := addr[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return errors.New("has no valid domain")
	}
	return nil
}
