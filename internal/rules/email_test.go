package rules

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckEmail(t *testing.T) {
	t.Parallel()
	valid := []string{"ada@example.com", "a.b+tag@sub.example.org", "x@example.test"}
	for _, addr := range valid {
		assert.NoError(t, CheckEmail(addr), addr)
	}
	invalid := map[string]string{
		"":                                 "empty",
		"ada":                              "valid email",
		"ada@":                             "valid email",
		"@example.com":                     "valid email",
		"ada@localhost":                    "domain",
		"ada@example.":                     "valid email",
		"ada@.example.com":                 "valid email",
		" ada@example.com":                 "spaces",
		"Ada <ada@example.com>":            "valid email",
		"ada@example.com, bob@example.com": "valid email",
		"ada@exa mple.com":                 "valid email",
		strings.Repeat("a", 250) + "@example.com": "longer",
		"ad\xffa@example.com":                     "UTF-8",
		"ad\ufffda@example.com":                   "UTF-8",
		"stray\ufeff@example.com":                 "invisible",
		"\ufeffstray@example.com":                 "invisible",
		"st\u200bray@example.com":                 "invisible",
		"stray@exa\u200dmple.com":                 "invisible",
		"\u202eray@example.com":                   "direction",
		"ray\u2066@example.com":                   "direction",
		"ray\u0085@example.com":                   "control",
		"ray\u00ad@example.com":                   "invisible",
		"ray\x7f@example.com":                     "control",
	}
	for addr, want := range invalid {
		err := CheckEmail(addr)
		if assert.Error(t, err, "%q", addr) {
			assert.Contains(t, err.Error(), want, "%q", addr)
		}
	}
}
