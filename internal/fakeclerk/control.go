package fakeclerk

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/generated/control"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// The control plane (control.yaml, generated into package control): the methods that move the
// server's world along, which package invitationstest calls from Go, over HTTP under
// /_control/ for tests in any language. Same key, same limits, Clerk's error body.

const controlPrefix = "/_control/"

// maxStateBytes bounds a PUT /_control/state body; every other control body has the API's.
const maxStateBytes = 64 << 20

// maxLoggedRequests bounds the request log.
const maxLoggedRequests = 1000

func (s *Server) controlHandler() http.Handler {
	strict := control.NewStrictHandlerWithOptions(controlAPI{s}, nil, control.StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				errBodyInvalid(fmt.Sprintf("The request body is larger than %d bytes.", tooLarge.Limit)).write(w)
				return
			}
			errBodyInvalid("The request body is not the JSON this endpoint takes (see control.yaml).").write(w)
		},
		ResponseErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			newError(http.StatusInternalServerError, "internal_clerk_error", "Oops, something went wrong", "The server failed to answer.").write(w)
		},
	})
	mux := http.NewServeMux()
	control.HandlerWithOptions(strict, control.StdHTTPServerOptions{BaseRouter: mux,
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) { errNotFound().write(w) }})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Clerk-Trace-Id", traceID())
		if e := s.authorized(r); e != nil {
			e.write(w)
			return
		}
		p := r.URL.EscapedPath()
		if _, pattern := mux.Handler(r); p != path.Clean(p) || !strings.HasPrefix(pattern, r.Method+" ") {
			errNotFound().write(w)
			return
		}
		limit := s.maxBody
		if r.Method == http.MethodPut && p == controlPrefix+"state" {
			limit = maxStateBytes
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		mux.ServeHTTP(w, r)
	})
}

// controlAPI implements the generated control interface on the Server.
type controlAPI struct{ s *Server }

var _ control.StrictServerInterface = controlAPI{}

func controlError(e *apiError) generated.ClerkErrors {
	body, _ := clerkBody(e.errors...)
	return body
}

// unprocessableControl is a 422 form_param_value_invalid naming param.
func unprocessableControl(param, long string) generated.ClerkErrors {
	return controlError(errParams(errParam("form_param_value_invalid", param, long)))
}

func notFoundControl(id string) generated.ClerkErrors {
	body, _ := clerkBody(invitationNotFound(id))
	return body
}

func (a controlAPI) LookupInvitation(_ context.Context, req control.LookupInvitationRequestObject) (control.LookupInvitationResponseObject, error) {
	d, ok := a.s.Lookup(req.InvitationID)
	if !ok {
		return control.LookupInvitation404JSONResponse(notFoundControl(req.InvitationID)), nil
	}
	return control.LookupInvitation200JSONResponse(d), nil
}

// pendingOnly answers what Accept and Expire refused, or nil when they did not.
func pendingOnly(id string, err error) (status int, body generated.ClerkErrors) {
	switch {
	case err == nil:
		return 0, body
	case errors.Is(err, ErrUnknownInvitation):
		return http.StatusNotFound, notFoundControl(id)
	}
	return http.StatusBadRequest, controlError(newError(http.StatusBadRequest, "invitation_not_pending", "not pending", strings.TrimPrefix(err.Error(), "fakeclerk: ")))
}

func (a controlAPI) AcceptInvitation(_ context.Context, req control.AcceptInvitationRequestObject) (control.AcceptInvitationResponseObject, error) {
	switch status, body := pendingOnly(req.InvitationID, a.s.Accept(req.InvitationID)); status {
	case http.StatusNotFound:
		return control.AcceptInvitation404JSONResponse(body), nil
	case http.StatusBadRequest:
		return control.AcceptInvitation400JSONResponse{ErrorJSONResponse: control.ErrorJSONResponse(body)}, nil
	}
	d, _ := a.s.Lookup(req.InvitationID)
	return control.AcceptInvitation200JSONResponse(d), nil
}

func (a controlAPI) ExpireInvitation(_ context.Context, req control.ExpireInvitationRequestObject) (control.ExpireInvitationResponseObject, error) {
	switch status, body := pendingOnly(req.InvitationID, a.s.Expire(req.InvitationID)); status {
	case http.StatusNotFound:
		return control.ExpireInvitation404JSONResponse(body), nil
	case http.StatusBadRequest:
		return control.ExpireInvitation400JSONResponse{ErrorJSONResponse: control.ErrorJSONResponse(body)}, nil
	}
	d, _ := a.s.Lookup(req.InvitationID)
	return control.ExpireInvitation200JSONResponse(d), nil
}

func (a controlAPI) RegisterUser(_ context.Context, req control.RegisterUserRequestObject) (control.RegisterUserResponseObject, error) {
	if err := rules.CheckEmail(req.Body.EmailAddress); err != nil {
		return control.RegisterUser422JSONResponse(unprocessableControl("email_address", "email_address "+err.Error()+".")), nil
	}
	a.s.RegisterUser(req.Body.EmailAddress)
	return control.RegisterUser200JSONResponse(*req.Body), nil
}

func (a controlAPI) clock() control.Clock {
	now, frozen := a.s.Clock()
	return control.Clock{Now: now, Frozen: frozen}
}

func (a controlAPI) GetClock(context.Context, control.GetClockRequestObject) (control.GetClockResponseObject, error) {
	return control.GetClock200JSONResponse(a.clock()), nil
}

func (a controlAPI) SetClock(_ context.Context, req control.SetClockRequestObject) (control.SetClockResponseObject, error) {
	switch c := req.Body; {
	case (c.Advance == nil) == (c.Set == nil):
		return control.SetClock422JSONResponse(unprocessableControl("advance", "Give advance (a duration) or set (a time), one of them.")), nil
	case c.Advance != nil:
		d, err := time.ParseDuration(*c.Advance)
		if err != nil || d < 0 {
			return control.SetClock422JSONResponse(unprocessableControl("advance", "advance must be a duration such as 90m, not negative.")), nil
		}
		a.s.Advance(d)
	default:
		a.s.SetClock(*c.Set)
	}
	return control.SetClock200JSONResponse(a.clock()), nil
}

func (a controlAPI) InjectFault(_ context.Context, req control.InjectFaultRequestObject) (control.InjectFaultResponseObject, error) {
	in := req.Body
	if !in.Operation.Valid() {
		return control.InjectFault422JSONResponse(unprocessableControl("operation", "operation must be create, list, bulk create, revoke or delete.")), nil
	}
	n := 1
	if in.Count != nil {
		n = *in.Count
	}
	if n < 1 || n > 1000 {
		return control.InjectFault422JSONResponse(unprocessableControl("count", "count must be between 1 and 1000.")), nil
	}
	var f Fault
	if g := in.Fault; g != nil {
		if g.Delay != nil {
			d, err := time.ParseDuration(*g.Delay)
			if err != nil || d < 0 || d > 24*time.Hour {
				return control.InjectFault422JSONResponse(unprocessableControl("fault.delay", "fault.delay must be a duration of at most 24h, such as 2s.")), nil
			}
			f.Delay = d
		}
		if g.Status != nil && (*g.Status < 200 || *g.Status > 599) {
			return control.InjectFault422JSONResponse(unprocessableControl("fault.status", "fault.status must be between 200 and 599.")), nil
		}
		f.Commit, f.Status, f.Drop, f.Truncate = deref(g.Commit), deref(g.Status), deref(g.Drop), deref(g.Truncate)
		f.Body = deref(g.Body)
		if len(g.Headers) > 0 {
			f.Header = http.Header{}
			for k, v := range g.Headers {
				f.Header.Set(k, v)
			}
		}
	}
	a.s.InjectFault(Operation(in.Operation), n, f)
	return control.InjectFault204Response{}, nil
}

func (a controlAPI) ClearFaults(context.Context, control.ClearFaultsRequestObject) (control.ClearFaultsResponseObject, error) {
	a.s.ClearFaults()
	return control.ClearFaults204Response{}, nil
}

func (a controlAPI) SetRateLimits(_ context.Context, req control.SetRateLimitsRequestObject) (control.SetRateLimitsResponseObject, error) {
	in := req.Body
	var b rules.Budgets
	if in.Preset != nil {
		if in.Create != nil || in.Bulk != nil || in.Overall != nil {
			return control.SetRateLimits422JSONResponse(unprocessableControl("preset", "Give a preset or budgets, not both.")), nil
		}
		switch *in.Preset {
		case control.RateLimitsPresetNone:
			a.s.SetRateLimits(nil)
			return control.SetRateLimits204Response{}, nil
		case control.RateLimitsPresetDev:
			b = rules.DevelopmentBudgets()
		case control.RateLimitsPresetProd:
			b = rules.ProductionBudgets()
		default:
			return control.SetRateLimits422JSONResponse(unprocessableControl("preset", "preset must be none, dev or prod.")), nil
		}
	}
	for name, pair := range map[string]struct {
		in  *control.Budget
		out *rules.Budget
	}{"create": {in.Create, &b.Create}, "bulk": {in.Bulk, &b.Bulk}, "overall": {in.Overall, &b.Overall}} {
		if pair.in == nil {
			continue
		}
		per, err := time.ParseDuration(pair.in.Per)
		if err != nil || per <= 0 || pair.in.Calls < 1 {
			return control.SetRateLimits422JSONResponse(unprocessableControl(name, name+" must have calls of at least 1 and per, a positive duration such as 1h.")), nil
		}
		*pair.out = rules.Budget{Calls: pair.in.Calls, Per: per}
	}
	a.s.SetRateLimits(&b)
	return control.SetRateLimits204Response{}, nil
}

func (a controlAPI) ListRequests(context.Context, control.ListRequestsRequestObject) (control.ListRequestsResponseObject, error) {
	out := control.ListRequests200JSONResponse{}
	for _, r := range a.s.Requests() {
		rec := control.RequestRecord{At: r.At, Method: r.Method, Path: r.Path, Query: r.Query, Status: r.Status,
			DurationMs: float32(r.Duration.Microseconds()) / 1000, ErrorCodes: append([]string{}, r.ErrorCodes...)}
		if r.Operation != "" {
			op := string(r.Operation)
			rec.Operation = &op
		}
		out = append(out, rec)
	}
	return out, nil
}

func (a controlAPI) ClearRequests(context.Context, control.ClearRequestsRequestObject) (control.ClearRequestsResponseObject, error) {
	a.s.ClearRequests()
	return control.ClearRequests204Response{}, nil
}

func (a controlAPI) Reset(context.Context, control.ResetRequestObject) (control.ResetResponseObject, error) {
	a.s.Reset()
	return control.Reset204Response{}, nil
}

func (a controlAPI) GetState(context.Context, control.GetStateRequestObject) (control.GetStateResponseObject, error) {
	return control.GetState200JSONResponse(a.s.State()), nil
}

func (a controlAPI) PutState(_ context.Context, req control.PutStateRequestObject) (control.PutStateResponseObject, error) {
	if err := a.s.SetState(*req.Body); err != nil {
		return control.PutState422JSONResponse(unprocessableControl("invitations", err.Error())), nil
	}
	return control.PutState204Response{}, nil
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// Clock returns the server's time, and whether its clock is stopped (it moves only with Advance
// and SetClock) or follows real time.
func (s *Server) Clock() (now time.Time, frozen bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.nowLocked(), s.frozen
}

// SetClock stops the server's clock at t: from then on it moves only with Advance and SetClock.
func (s *Server) SetClock(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frozen, s.base = true, t
}

// ClearFaults forgets every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[Operation][]Fault{}
}

// SetRateLimits puts b in force, with fresh windows; nil turns rate limits off.
func (s *Server) SetRateLimits(b *rules.Budgets) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = nil
	if b != nil {
		s.limits = &limiter{budgets: *b, windows: map[string]*window{}}
	}
}

// Reset empties the server: no invitation, user, fault or logged request. The clock and the
// rate limits stay.
func (s *Server) Reset() {
	_ = s.SetState(control.State{})
	s.ClearFaults()
	s.ClearRequests()
}

// State returns every invitation, in creation order, with what the server knows of it, and
// every registered user.
func (s *Server) State() control.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := control.State{Invitations: []control.InvitationDetails{}, Users: []string{}}
	for _, r := range s.order {
		s.refreshLocked(r)
		st.Invitations = append(st.Invitations, r.details())
	}
	for u := range s.users {
		st.Users = append(st.Users, u)
	}
	slices.Sort(st.Users)
	return st
}

// SetState replaces every invitation and user with st's. It changes nothing and says why when
// an invitation is not one the server could hold (an id twice, a bad address or status).
func (s *Server) SetState(st control.State) error {
	ids := map[string]bool{}
	for i, d := range st.Invitations {
		inv := d.Invitation
		switch {
		case inv.ID == "" || ids[inv.ID]:
			return fmt.Errorf("invitation %d has no id, or one used before", i)
		case rules.CheckEmail(inv.EmailAddress) != nil:
			return fmt.Errorf("invitation %d has no valid email_address", i)
		case !inv.Status.Valid():
			return fmt.Errorf("invitation %d has no valid status", i)
		case inv.CreatedAt <= 0:
			return fmt.Errorf("invitation %d has no created_at", i)
		}
		ids[inv.ID] = true
	}
	if len(st.Invitations) > s.maxStored {
		return fmt.Errorf("%d invitations are more than this server holds (%d)", len(st.Invitations), s.maxStored)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records, s.byAddr, s.order, s.users = map[string]*record{}, map[string][]*record{}, nil, map[string]bool{}
	s.seq = 0
	for _, d := range st.Invitations {
		inv := d.Invitation
		inv.Object = generated.InvitationObjectInvitation
		inv.Revoked = inv.Status == generated.InvitationStatusRevoked
		if inv.PublicMetadata == nil {
			inv.PublicMetadata = map[string]interface{}{}
		}
		s.seq++
		s.addLocked(&record{inv: inv, seq: s.seq, notify: d.Notified, templateSlug: cmp.Or(d.TemplateSlug, string(generated.InvitationTemplateSlugInvitation)),
			redirectURL: d.RedirectURL, ignoreExisting: d.IgnoreExisting, accepted: inv.Status == generated.InvitationStatusAccepted})
	}
	for _, u := range st.Users {
		s.users[strings.ToLower(u)] = true
	}
	return nil
}

// RequestRecord is one request to the invitation API, as the request log keeps it: never the
// key or a body.
type RequestRecord struct {
	At         time.Time
	Operation  Operation // "" for no route
	Method     string
	Path       string
	Query      string
	Status     int
	Duration   time.Duration
	ErrorCodes []string // the codes of Clerk's error body, if any
}

// Requests returns the most recent requests to the invitation API, at most 1,000, oldest first.
func (s *Server) Requests() []RequestRecord {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return slices.Clone(s.requests)
}

// ClearRequests empties the request log.
func (s *Server) ClearRequests() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.requests = nil
}

// logged records every request next serves in the request log.
func (s *Server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		at := s.Now()
		lw := &loggingWriter{ResponseWriter: w}
		defer func() {
			rec := RequestRecord{At: at, Operation: lw.route, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
				Status: cmp.Or(lw.status, http.StatusOK), Duration: time.Since(began)}
			if rec.Status >= 400 {
				rec.ErrorCodes = errorCodes(lw.body.Bytes())
			}
			s.logMu.Lock()
			if len(s.requests) == maxLoggedRequests {
				s.requests = slices.Delete(s.requests, 0, 1)
			}
			s.requests = append(s.requests, rec)
			s.logMu.Unlock()
		}()
		next.ServeHTTP(lw, r.WithContext(context.WithValue(r.Context(), loggingKey{}, lw)))
	})
}

type loggingKey struct{}

// loggingWriter keeps an answer's status and the first bytes of its body, for the request log.
type loggingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	route  Operation // the route withRoute found, set through the request's context
}

func (w *loggingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *loggingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if room := 4<<10 - w.body.Len(); room > 0 && w.status >= 400 { // only error bodies are read
		w.body.Write(p[:min(len(p), room)])
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (faults hijack it).
func (w *loggingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// errorCodes returns the codes of a Clerk error body; none for anything else.
func errorCodes(body []byte) []string {
	var errs generated.ClerkErrors
	if json.Unmarshal(body, &errs) != nil {
		return nil
	}
	var codes []string
	for _, e := range errs.Errors {
		codes = append(codes, e.Code)
	}
	return codes
}
