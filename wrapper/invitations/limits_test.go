package invitations

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// TestExportedLimitsAreTheRules keeps the constants go doc shows equal to the definitions the
// client's checks, the embedded server and the validator use: the limits, and the operations'
// names.
func TestExportedLimitsAreTheRules(t *testing.T) {
	t.Parallel()
	assert.Equal(t, rules.MaxBulkItems, MaxBulkItems)
	assert.Equal(t, rules.MaxExpiresInDays, MaxExpiresInDays)
	assert.Equal(t, rules.MaxLimit, MaxLimit)
	assert.Equal(t, rules.MaxMetadataBytes, MaxMetadataBytes)
	assert.ElementsMatch(t, rules.Ops, []string{string(OpCreate), string(OpBulkCreate), string(OpList), string(OpRevoke), string(OpDelete)})
}
