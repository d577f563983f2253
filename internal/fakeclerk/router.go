package fakeclerk

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
)

// Requests are routed by the router oapi-codegen generates from openapi.yaml's paths (ServeMux
// patterns such as "POST /v1/invitations/{invitation_id}/revoke"), so a path changed there
// reaches the server with make generate. In front of it, withRoute works out once per request
// which operation the request is for, from the pattern the router matches, and the rate limits,
// faults and dispatch all use that one answer.

// basePath is where the routes are mounted, as Clerk's servers URL has them.
const basePath = "/v1"

// newRouter returns the generated router serving si below basePath.
func newRouter(si generated.ServerInterface, onParamError func(http.ResponseWriter, *http.Request, error)) *http.ServeMux {
	mux := http.NewServeMux()
	generated.HandlerWithOptions(si, generated.StdHTTPServerOptions{BaseURL: basePath, BaseRouter: mux, ErrorHandlerFunc: onParamError})
	return mux
}

type routeKey struct{}

// withRoute stores in the request's context the operation the router would serve it with. A
// path that is not canonical (doubled slashes, dot segments, a trailing slash) is no route: it
// is answered with Clerk's 404, never with the redirect to a cleaned path that ServeMux would
// send (a client following it would send its POST again). So is a method the pattern does not
// name: ServeMux serves HEAD with a GET route, which Clerk does not.
func withRoute(mux *http.ServeMux, next http.Handler) http.Handler {
	ops := operations()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.EscapedPath(); p == path.Clean(p) {
			if _, pattern := mux.Handler(r); strings.HasPrefix(pattern, r.Method+" ") && ops[pattern] != "" {
				r = r.WithContext(context.WithValue(r.Context(), routeKey{}, ops[pattern]))
				if lw, ok := r.Context().Value(loggingKey{}).(*loggingWriter); ok {
					lw.route = ops[pattern] // for the request log
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// routeOf returns the operation withRoute found for r.
func routeOf(r *http.Request) (Operation, bool) {
	op, ok := r.Context().Value(routeKey{}).(Operation)
	return op, ok
}

// dispatcher serves a request with a route through the generated router; anything else is
// Clerk's 404.
type dispatcher struct{ mux *http.ServeMux }

func (d dispatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, ok := routeOf(r); !ok {
		errNotFound().write(w)
		return
	}
	d.mux.ServeHTTP(w, r)
}

// operations maps each pattern the generated router registers to the operation it serves. It
// is learnt from the generated code itself, once: a recorder stands in for the server, and each
// pattern is sent one request.
var operations = sync.OnceValue(func() map[string]Operation {
	rec := &patterns{ServeMux: http.NewServeMux()}
	var got Operation
	generated.HandlerWithOptions(recorder{&got}, generated.StdHTTPServerOptions{BaseURL: basePath, BaseRouter: rec})
	ops := make(map[string]Operation, len(rec.list))
	for _, pattern := range rec.list {
		method, p, _ := strings.Cut(pattern, " ")
		got = ""
		rec.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, pathParam.ReplaceAllString(p, "x"), nil))
		ops[pattern] = got
	}
	return ops
})

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// patterns is a ServeMux that lists the patterns registered on it.
type patterns struct {
	*http.ServeMux
	list []string
}

func (p *patterns) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	p.list = append(p.list, pattern)
	p.ServeMux.HandleFunc(pattern, h)
}

// recorder is a generated.ServerInterface that notes which operation was called.
type recorder struct{ got *Operation }

func (r recorder) ListInvitations(http.ResponseWriter, *http.Request, generated.ListInvitationsParams) {
	*r.got = OpList
}
func (r recorder) CreateInvitation(http.ResponseWriter, *http.Request)      { *r.got = OpCreate }
func (r recorder) CreateBulkInvitations(http.ResponseWriter, *http.Request) { *r.got = OpBulk }
func (r recorder) RevokeInvitation(http.ResponseWriter, *http.Request, generated.InvitationID) {
	*r.got = OpRevoke
}
func (r recorder) DeleteInvitation(http.ResponseWriter, *http.Request, generated.InvitationID) {
	*r.got = OpDelete
}
