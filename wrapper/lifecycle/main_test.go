package lifecycle_test

import (
	"testing"

	"github.com/clerk-invitations/clerk-invitations-go/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }
