package invitations_test

import (
	"testing"

	"github.com/clerk-invitations/clerk-invitations-go/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }
