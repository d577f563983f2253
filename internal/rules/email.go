package rules

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// MaxEmailLength is the longest address accepted (RFC 5321's limit on a forward path).
const MaxEmailLength = 254

// CheckEmail reports why addr is not a plain email address such as "ada@example.com", or nil if it is.
// Display names ("Ada <ada@example.com>"), surrounding spaces, addresses without a dot in the
// domain and addresses longer than MaxLength are rejected.
func CheckEmail(addr string) error {
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
