package bench

import (
	"context"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/clerk-invitations/clerk-invitations-go/internal/contract"
	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
)

// BenchmarkContractSuite runs the contract suite against a fresh embedded Clerk, with every
// request and answer checked against openapi.yaml by kin-openapi and without.
func BenchmarkContractSuite(b *testing.B) {
	for _, checked := range []bool{true, false} {
		name := "validator=on"
		if !checked {
			name = "validator=off"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				fake := fakeclerk.New(fakeclerk.Options{SecretKey: benchKey})
				srv := httptest.NewServer(fake.Handler())
				sum, err := contract.Run(context.Background(), contract.Target{BaseURL: srv.URL + "/v1", SecretKey: benchKey, Unchecked: !checked}, io.Discard)
				srv.Close()
				if err != nil || sum.Failed > 0 || sum.Passed == 0 {
					b.Fatalf("contract suite: %v, %d passed, %d failed", err, sum.Passed, sum.Failed)
				}
			}
		})
	}
}
