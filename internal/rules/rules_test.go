package rules

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseOrderBy(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		field string
		desc  bool
	}{
		"created_at":     {"created_at", false},
		"+email_address": {"email_address", false},
		"-expires_at":    {"expires_at", true},
	}
	for in, want := range cases {
		field, desc, ok := ParseOrderBy(in)
		assert.True(t, ok, in)
		assert.Equal(t, want.field, field, in)
		assert.Equal(t, want.desc, desc, in)
	}
	for _, bad := range []string{"", "-", "+-created_at", "updated_at", "created_at ", "Created_at", "-created_at,email_address"} {
		_, _, ok := ParseOrderBy(bad)
		assert.False(t, ok, "%q", bad)
	}
	_, _, ok := ParseOrderBy(DefaultOrderBy)
	assert.True(t, ok)
	for _, f := range OrderByFields {
		_, _, ok := ParseOrderBy("-" + f)
		assert.True(t, ok, f)
	}
}

func TestCheckRedirectURL(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{
		"", "https://app.example.com/welcome", "http://localhost:3000/x", "HTTPS://EXAMPLE.COM", "/welcome",
		"welcome", "../up", "?next=/a:b", "#frag:x", "/a:b", "//cdn.example.com/x", "1http:x",
	} {
		assert.NoError(t, CheckRedirectURL(ok), "%q", ok)
	}
	for _, bad := range []string{
		"javascript:alert(1)", "ftp://example.com", "mailto:a@example.com", "localhost:3000/x", "data:text/html,x",
		"my-app://callback", "com.example.app:/oauth", "file:///etc/passwd",
	} {
		assert.ErrorIs(t, CheckRedirectURL(bad), ErrURLScheme, "%q", bad)
	}
}

func TestCheckMetadata(t *testing.T) {
	t.Parallel()
	require.NoError(t, CheckMetadata(nil))
	require.NoError(t, CheckMetadata(map[string]any{}))

	// {"k":"…"} is 8 bytes around the value: fill to exactly the limit, then one more byte.
	exact := map[string]any{"k": strings.Repeat("x", MaxMetadataBytes-8)}
	n, err := MetadataSize(exact)
	require.NoError(t, err)
	require.Equal(t, MaxMetadataBytes, n)
	assert.NoError(t, CheckMetadata(exact))

	over := map[string]any{"k": strings.Repeat("x", MaxMetadataBytes-7)}
	err = CheckMetadata(over)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "8193 bytes")

	// encoding/json escapes <, > and & as \u003c: six bytes each, as they are sent.
	escaped := map[string]any{"k": strings.Repeat("<", MaxMetadataBytes/6)}
	assert.Error(t, CheckMetadata(escaped))

	assert.ErrorContains(t, CheckMetadata(map[string]any{"f": func() {}}), "cannot be encoded")
	assert.ErrorContains(t, CheckMetadata(map[string]any{"k": []any{"ok", "bad\xff"}}), "UTF-8")
	assert.ErrorContains(t, CheckMetadata(map[string]any{"bad\xff": 1}), "UTF-8")
}
