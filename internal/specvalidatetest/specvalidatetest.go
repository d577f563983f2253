// Package specvalidatetest holds the test helpers built on package specvalidate. It is kept apart
// so that package testing is linked only into test binaries, never into a command.
package specvalidatetest

import (
	"net/http"
	"testing"

	clerkinvitations "github.com/clerk-invitations/clerk-invitations-go"
	"github.com/clerk-invitations/clerk-invitations-go/internal/specvalidate"
)

// Transport returns an http.RoundTripper that checks all traffic to baseURL in Strict mode and a
// Recorder of its findings. Unless the test takes them with Recorder.Take, any finding left at
// the end of the test fails it.
func Transport(t testing.TB, baseURL string, next http.RoundTripper) (http.RoundTripper, *specvalidate.Recorder) {
	t.Helper()
	return transport(t, clerkinvitations.Spec, baseURL, next)
}

// ControlTransport is Transport for the embedded Clerk's control plane, against control.yaml.
func ControlTransport(t testing.TB, baseURL string, next http.RoundTripper) (http.RoundTripper, *specvalidate.Recorder) {
	t.Helper()
	return transport(t, clerkinvitations.ControlSpec, baseURL, next)
}

func transport(t testing.TB, spec []byte, baseURL string, next http.RoundTripper) (http.RoundTripper, *specvalidate.Recorder) {
	t.Helper()
	v, err := specvalidate.NewForDocument(spec, baseURL, specvalidate.Strict)
	if err != nil {
		t.Fatalf("specvalidate: %v", err)
	}
	rec := &specvalidate.Recorder{}
	t.Cleanup(func() {
		for _, f := range rec.Take() {
			t.Errorf("openapi.yaml: %s", f)
		}
	})
	return &specvalidate.Transport{Validator: v, Next: next, Report: rec.Report}, rec
}

// ServerAnswers returns a wrapper for a server's handler, for the embedded server's Inner option:
// every answer the handler makes is checked against openapi.yaml under the base path "/v1", and
// one that breaks it fails t. Requests are not checked: tests send bad ones on purpose.
func ServerAnswers(t testing.TB) func(http.Handler) http.Handler {
	t.Helper()
	v, err := specvalidate.New("/v1", specvalidate.Strict)
	if err != nil {
		t.Fatalf("specvalidate: %v", err)
	}
	return func(h http.Handler) http.Handler {
		return v.Middleware(h, func(f specvalidate.Finding) {
			if f.Kind == specvalidate.ResponseViolation {
				t.Errorf("the embedded server's answer breaks openapi.yaml: %s", f)
			}
		})
	}
}
