// Package specvalidate checks HTTP traffic against openapi.yaml with kin-openapi.
//
// A [Validator] checks one request or response; [Transport] wraps an http.RoundTripper so that
// every request a client sends and every response it receives is checked; [Validator.Middleware]
// does the same in front of a server's handler. Findings go to a callback: tests turn violations
// into failures, the contract suite prints them.
//
// In [Strict] mode every difference from the document is a violation. In [Tolerant] mode (used
// against the live service) a response that only carries fields or enum values the document
// lacks is reported as [Drift] and is not a violation, so the document can be brought up to
// date without the calls failing.
package specvalidate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	clerkinvitations "github.com/clerk-invitations/clerk-invitations-go"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// Mode says how a response with fields or values the document lacks is treated.
type Mode int

const (
	// Strict treats every difference from the document as a violation.
	Strict Mode = iota
	// Tolerant reports unknown response fields and enum values as Drift, not violations.
	Tolerant
)

// Kind classifies a Finding.
type Kind int

const (
	// RequestViolation: the request does not match the document.
	RequestViolation Kind = iota
	// ResponseViolation: the response does not match the document.
	ResponseViolation
	// Drift: the response matches the document only once unknown fields and enum values are
	// allowed (Tolerant mode only).
	Drift
)

func (k Kind) String() string {
	switch k {
	case RequestViolation:
		return "request violation"
	case ResponseViolation:
		return "response violation"
	case Drift:
		return "drift"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Finding is one difference between traffic and the document.
type Finding struct {
	Kind   Kind
	Method string
	Path   string // the request path below the base path, e.g. /invitations
	Status int    // the response status; 0 for request findings
	Err    error
}

func (f Finding) String() string {
	if f.Status != 0 {
		return fmt.Sprintf("%s: %s %s -> %d: %v", f.Kind, f.Method, f.Path, f.Status, f.Err)
	}
	return fmt.Sprintf("%s: %s %s: %v", f.Kind, f.Method, f.Path, f.Err)
}

// Validator checks requests and responses against openapi.yaml. It is safe for concurrent use.
type Validator struct {
	basePath string
	strict   routers.Router
	relaxed  routers.Router // nil in Strict mode
	options  *openapi3filter.Options
}

// Load parses an OpenAPI document and validates it with kin-openapi's doc.Validate.
//
// A reference into ./openapi.yaml (control.yaml makes them) resolves to this module's, embedded:
// nothing is read from disk or the network.
func Load(data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if u.Path == "openapi.yaml" || u.Path == "./openapi.yaml" {
			return clerkinvitations.Spec, nil
		}
		return nil, fmt.Errorf("specvalidate: %s: only ./openapi.yaml may be referred to", u)
	}
	doc, err := loader.LoadFromDataWithPath(data, &url.URL{Path: "document.yaml"})
	if err != nil {
		return nil, fmt.Errorf("specvalidate: load: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("specvalidate: document is invalid: %w", err)
	}
	return doc, nil
}

// New returns a Validator for traffic to baseURL (for example "http://127.0.0.1:4010/v1" or
// "https://api.clerk.com/v1") checked against openapi.yaml; only the URL's path matters,
// requests outside it are violations.
func New(baseURL string, mode Mode) (*Validator, error) {
	return NewForDocument(clerkinvitations.Spec, baseURL, mode)
}

// NewForDocument is New with another OpenAPI document, such as Clerk's published one.
func NewForDocument(spec []byte, baseURL string, mode Mode) (*Validator, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("specvalidate: base URL: %w", err)
	}
	v := &Validator{basePath: strings.TrimSuffix(u.Path, "/")}
	if v.strict, err = newRouter(spec, false); err != nil {
		return nil, err
	}
	if mode == Tolerant {
		if v.relaxed, err = newRouter(spec, true); err != nil {
			return nil, err
		}
	}
	v.options = &openapi3filter.Options{
		AuthenticationFunc:    checkBearer,
		SkipSettingDefaults:   true,
		IncludeResponseStatus: true,
		MultiError:            true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("email", openapi3.NewCallbackValidator(rules.CheckEmail)),
		},
	}
	return v, nil
}

// routers caches the routers built from a document: building one loads and validates the whole
// document, and an embedded server per test builds the same ones again and again. A router is
// read-only once built, so one can serve any number of validators at once.
var routerCache struct {
	sync.Mutex
	m map[routerKey]*cachedRouter
}

type routerKey struct {
	spec    string
	relaxed bool
}

type cachedRouter struct {
	once   sync.Once
	router routers.Router
	err    error
}

func newRouter(spec []byte, relaxed bool) (routers.Router, error) {
	key := routerKey{string(spec), relaxed}
	routerCache.Lock()
	if routerCache.m == nil {
		routerCache.m = map[routerKey]*cachedRouter{}
	}
	c := routerCache.m[key]
	if c == nil {
		c = &cachedRouter{}
		routerCache.m[key] = c
	}
	routerCache.Unlock()
	c.once.Do(func() { c.router, c.err = buildRouter(spec, relaxed) })
	return c.router, c.err
}

func buildRouter(spec []byte, relaxed bool) (routers.Router, error) {
	doc, err := Load(spec)
	if err != nil {
		return nil, err
	}
	if relaxed {
		// Statuses are an open set: a new one must decode, so it is drift, not a violation.
		if status := doc.Components.Schemas["InvitationStatus"]; status != nil {
			status.Value.Enum = nil
		}
		seen := map[*openapi3.Schema]bool{}
		for _, s := range doc.Components.Schemas {
			relax(s, seen)
		}
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				for _, r := range op.Responses.Map() {
					for _, mt := range r.Value.Content {
						relax(mt.Schema, seen)
					}
				}
			}
		}
	}
	// Requests are routed by their path below the base path, so the document's absolute
	// server URL must not take part in matching.
	doc.Servers = nil
	r, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("specvalidate: router: %w", err)
	}
	return r, nil
}

// relax lets every object schema reachable from ref accept unknown properties.
func relax(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	if s.Type.Is(openapi3.TypeObject) {
		yes := true
		s.AdditionalProperties = openapi3.AdditionalProperties{Has: &yes}
	}
	for _, p := range s.Properties {
		relax(p, seen)
	}
	relax(s.Items, seen)
	for _, group := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf} {
		for _, sub := range group {
			relax(sub, seen)
		}
	}
}

func checkBearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		return errors.New("no bearer token in the Authorization header")
	}
	return nil
}

// route finds the operation of req, matched by its path below the base path.
func (v *Validator) route(r routers.Router, req *http.Request) (*routers.Route, map[string]string, error) {
	rest, ok := strings.CutPrefix(req.URL.Path, v.basePath)
	if !ok || !strings.HasPrefix(rest, "/") {
		return nil, nil, fmt.Errorf("path %q is not below the base path %q", req.URL.Path, v.basePath)
	}
	// kin-openapi's router forgives a trailing slash; the document's paths have none.
	if len(rest) > 1 && strings.HasSuffix(rest, "/") {
		return nil, nil, fmt.Errorf("no operation for %s %s: the document's paths have no trailing slash", req.Method, rest)
	}
	clone := req.Clone(req.Context())
	clone.URL = &url.URL{Path: rest, RawQuery: req.URL.RawQuery}
	route, params, err := r.FindRoute(clone)
	if err != nil {
		return nil, nil, fmt.Errorf("no operation for %s %s: %w", req.Method, rest, err)
	}
	return route, params, nil
}

func (v *Validator) requestInput(r routers.Router, req *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := v.route(r, req)
	if err != nil {
		return nil, err
	}
	clone := req.Clone(req.Context())
	clone.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) == 0 {
		clone.Body = http.NoBody
	}
	return &openapi3filter.RequestValidationInput{
		Request:    clone,
		PathParams: params,
		Route:      route,
		Options:    v.options,
	}, nil
}

// CheckRequest returns an error describing how req with body differs from the document.
func (v *Validator) CheckRequest(req *http.Request, body []byte) error {
	in, err := v.requestInput(v.strict, req, body)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(req.Context(), in)
}

// CheckResponse checks one response to req. violation is non-nil when the response breaks the
// document; drift is non-nil (Tolerant mode only) when it passes only once unknown fields and
// enum values are allowed.
func (v *Validator) CheckResponse(req *http.Request, status int, header http.Header, body []byte) (violation, drift error) {
	strictErr := v.checkResponse(v.strict, req, status, header, body)
	if strictErr == nil || v.relaxed == nil {
		return strictErr, nil
	}
	if err := v.checkResponse(v.relaxed, req, status, header, body); err != nil {
		return strictErr, nil
	}
	return nil, strictErr
}

func (v *Validator) checkResponse(r routers.Router, req *http.Request, status int, header http.Header, body []byte) error {
	in, err := v.requestInput(r, req, nil)
	if err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt == "text/html" {
		// Proxies in front of Clerk answer 5xx with HTML pages, which openapi.yaml declares beside
		// text/plain, both plain strings. kin-openapi reads text/plain but has no decoder for
		// text/html, and registering one would change its global state in every program that
		// imports this package; so the page is checked as the text/plain it also is.
		header = header.Clone()
		header.Set("Content-Type", "text/plain")
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Options:                v.options,
	}
	out.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(req.Context(), out)
}

func (v *Validator) report(fn func(Finding), f Finding) {
	if fn != nil && f.Err != nil {
		fn(f)
	}
}

// requestFinding checks a request alone, for exchanges that produced no response to check.
func (v *Validator) requestFinding(req *http.Request, body []byte) Finding {
	return Finding{Kind: RequestViolation, Method: req.Method, Path: v.relPath(req), Err: v.CheckRequest(req, body)}
}

func (v *Validator) relPath(req *http.Request) string {
	return strings.TrimPrefix(req.URL.Path, v.basePath)
}

func (v *Validator) checkExchange(req *http.Request, reqBody []byte, status int, header http.Header, body []byte, fn func(Finding)) {
	path := v.relPath(req)
	if _, _, err := v.route(v.strict, req); err != nil {
		// No operation in the document: only the request is wrong, there is no response to check.
		v.report(fn, Finding{Kind: RequestViolation, Method: req.Method, Path: path, Err: err})
		return
	}
	v.report(fn, v.requestFinding(req, reqBody))
	violation, drift := v.CheckResponse(req, status, header, body)
	v.report(fn, Finding{Kind: ResponseViolation, Method: req.Method, Path: path, Status: status, Err: violation})
	v.report(fn, Finding{Kind: Drift, Method: req.Method, Path: path, Status: status, Err: drift})
}
