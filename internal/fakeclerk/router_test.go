package fakeclerk

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// TestEveryRouteIsAnOperation: the operations learnt from the generated router are the
// project's one list of operation names, each served by one route.
func TestEveryRouteIsAnOperation(t *testing.T) {
	var got []string
	for _, op := range operations() {
		got = append(got, string(op))
	}
	assert.ElementsMatch(t, rules.Ops, got)
}
