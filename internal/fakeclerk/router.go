package fakeclerk

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
)

// route is what a request is for: one of the invitation operations, with the invitation id for
// revoke and delete. It is worked out once per request, from the path exactly as it was sent,
// and the dispatcher, the rate limits and fault injection all use that one answer, so a path
// spelt another way (encoded slashes, dot segments, doubled slashes) cannot reach an operation
// while slipping past a budget or an injected fault.
type route struct {
	op Operation
	id string // revoke and delete: the invitation id, unescaped
}

type routeKey struct{}

// classify maps a request to its route. ok is false for every path that is not one of Clerk's
// invitation routes in canonical form; those are answered with Clerk's 404 body, never with a
// redirect to a cleaned path (a client that follows it would send its POST again).
func classify(r *http.Request) (route, bool) {
	rest, found := strings.CutPrefix(r.URL.EscapedPath(), "/v1/invitations")
	if !found {
		return route{}, false
	}
	var segs []string
	if rest != "" {
		if rest[0] != '/' {
			return route{}, false // "/v1/invitationsX"
		}
		segs = strings.Split(rest[1:], "/")
	}
	switch {
	case len(segs) == 0 && r.Method == http.MethodGet:
		return route{op: OpList}, true
	case len(segs) == 0 && r.Method == http.MethodPost:
		return route{op: OpCreate}, true
	case len(segs) == 1 && segs[0] == "bulk" && r.Method == http.MethodPost:
		return route{op: OpBulk}, true
	case len(segs) == 1 && r.Method == http.MethodDelete:
		if id, ok := pathID(segs[0]); ok {
			return route{op: OpDelete, id: id}, true
		}
	case len(segs) == 2 && segs[1] == "revoke" && r.Method == http.MethodPost:
		if id, ok := pathID(segs[0]); ok {
			return route{op: OpRevoke, id: id}, true
		}
	}
	return route{}, false
}

// pathID unescapes one path segment holding an invitation id. Empty and dot segments are not
// ids: a client library would have cleaned them into another path.
func pathID(seg string) (string, bool) {
	if seg == "" || seg == "." || seg == ".." {
		return "", false
	}
	id, err := url.PathUnescape(seg)
	if err != nil || id == "" {
		return "", false
	}
	return id, true
}

// withRoute classifies the request and stores the answer in its context for the layers below.
func withRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := classify(r); ok {
			r = r.WithContext(context.WithValue(r.Context(), routeKey{}, rt))
		}
		next.ServeHTTP(w, r)
	})
}

// routeOf returns the route withRoute found for r.
func routeOf(r *http.Request) (route, bool) {
	rt, ok := r.Context().Value(routeKey{}).(route)
	return rt, ok
}

// dispatcher calls the generated wrapper of the route's operation; anything else is Clerk's 404.
type dispatcher struct {
	siw generated.ServerInterfaceWrapper
}

func (d dispatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := routeOf(r)
	if !ok {
		errNotFound().write(w)
		return
	}
	switch rt.op {
	case OpList:
		d.siw.ListInvitations(w, r)
	case OpCreate:
		d.siw.CreateInvitation(w, r)
	case OpBulk:
		d.siw.CreateBulkInvitations(w, r)
	case OpRevoke:
		r.SetPathValue("invitation_id", rt.id)
		d.siw.RevokeInvitation(w, r)
	case OpDelete:
		r.SetPathValue("invitation_id", rt.id)
		d.siw.DeleteInvitation(w, r)
	}
}
