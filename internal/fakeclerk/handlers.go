package fakeclerk

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
)

// routes builds the handler chain: the route classification, faults, then Options.Inner (if any)
// around auth, API version, rate limits, body checks and the generated strict server.
func (s *Server) routes(inner func(http.Handler) http.Handler) http.Handler {
	strict := generated.NewStrictHandlerWithOptions(api{s}, nil, generated.StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			errBodyInvalid("The request body could not be decoded.").write(w)
		},
		ResponseErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			newError(http.StatusInternalServerError, "internal_clerk_error", "Oops, something went wrong", "The server failed to answer.").write(w)
		},
	})
	mux := newRouter(strict, queryParamError)
	var h http.Handler = s.checks(dispatcher{mux})
	if inner != nil {
		h = inner(h)
	}
	h = s.logged(withRoute(mux, s.withFaults(h)))
	if s.control != nil {
		api := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, controlPrefix) {
				s.control.ServeHTTP(w, r)
				return
			}
			api.ServeHTTP(w, r)
		})
	}
	return withinLimits(h)
}

// Bounds on a request's line and headers. Past them the server answers with Clerk's error body
// (the codes are inferred), rather than leaving it to net/http, whose refusal a client still
// sending its headers sees as a reset connection. serve sets net/http's own bound far beyond.
const (
	MaxRequestURIBytes = 16 << 10
	MaxHeaderBytes     = 64 << 10
)

func withinLimits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size := 0
		for name, values := range r.Header {
			for _, v := range values {
				size += len(name) + len(v) + 4 // ": " and CRLF
			}
		}
		switch {
		case len(r.RequestURI) > MaxRequestURIBytes:
			newError(http.StatusRequestURITooLong, "request_uri_too_long", "URI too long",
				fmt.Sprintf("The request's URI is longer than %d bytes.", MaxRequestURIBytes)).write(w)
		case size > MaxHeaderBytes:
			newError(http.StatusRequestHeaderFieldsTooLarge, "request_header_fields_too_large", "Headers too large",
				fmt.Sprintf("The request's headers are larger than %d bytes.", MaxHeaderBytes)).write(w)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (s *Server) withFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if op, ok := routeOf(r); ok {
			if f, has := s.nextFault(op); has && applyFault(w, r, f, next) {
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

var apiVersionPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// checks answers what Clerk refuses before looking at the operation itself.
func (s *Server) checks(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Clerk-Trace-Id", traceID())
		// The server's own clock, which created_at and expires_at follow: a client can place
		// timestamps in it (the client reconciles ambiguous creates this way).
		w.Header().Set("Date", s.Now().UTC().Format(http.TimeFormat))
		if e := s.authorized(r); e != nil {
			e.write(w)
			return
		}
		header, query := r.Header.Get("Clerk-API-Version"), r.URL.Query().Get("__clerk_api_version")
		if header != "" && query != "" || header != "" && !apiVersionPattern.MatchString(header) || query != "" && !apiVersionPattern.MatchString(query) {
			newError(http.StatusBadRequest, "api_version_invalid", "invalid API version",
				"The API version must be a date such as 2025-04-10, sent in the Clerk-API-Version header or the __clerk_api_version parameter, not both.").write(w)
			return
		}
		// Every call spends the overall budget, a path that is no route included.
		op, _ := routeOf(r)
		if e := s.rateLimited(op); e != nil {
			e.write(w)
			return
		}
		if op == OpCreate || op == OpBulk {
			raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
			if err != nil {
				var tooLarge *http.MaxBytesError
				if errors.As(err, &tooLarge) {
					errBodyInvalid(fmt.Sprintf("The request body is larger than %d bytes.", s.maxBody)).write(w)
				} else {
					errBodyInvalid("The request body could not be read.").write(w)
				}
				return
			}
			if e := checkCreateBody(raw, op == OpBulk); e != nil {
				e.write(w)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
		}
		next.ServeHTTP(w, r)
	})
}

// queryParamError answers a query parameter the generated wrapper could not parse.
func queryParamError(w http.ResponseWriter, r *http.Request, err error) {
	name := "query"
	var format *generated.InvalidParamFormatError
	var many *generated.TooManyValuesForParamError
	switch {
	case errors.As(err, &format):
		name = format.ParamName
	case errors.As(err, &many):
		name = many.ParamName
	}
	errParams(errParam("form_param_format_invalid", name, name+" has an invalid format.")).write(w)
}

// api implements the generated strict server interface on the Server's state.
type api struct{ s *Server }

var _ generated.StrictServerInterface = api{}

// clerkBody returns an error body and its trace id, for the typed responses.
func clerkBody(entries ...generated.ClerkError) (generated.ClerkErrors, *string) {
	trace := traceID()
	return generated.ClerkErrors{Errors: entries, ClerkTraceID: trace}, &trace
}

func badRequest(e generated.ClerkError) generated.BadRequestJSONResponse {
	body, trace := clerkBody(e)
	return generated.BadRequestJSONResponse{Body: body, Headers: generated.BadRequestResponseHeaders{ClerkTraceID: trace}}
}

func forbidden(e generated.ClerkError) generated.ForbiddenJSONResponse {
	body, trace := clerkBody(e)
	return generated.ForbiddenJSONResponse{Body: body, Headers: generated.ForbiddenResponseHeaders{ClerkTraceID: trace}}
}

// notFound is the 404 for an invitation id the server does not hold (never issued, or deleted).
func notFound(id string) generated.NotFoundJSONResponse {
	body, trace := clerkBody(invitationNotFound(id))
	return generated.NotFoundJSONResponse{Body: body, Headers: generated.NotFoundResponseHeaders{ClerkTraceID: trace}}
}

func unprocessable(e generated.ClerkError) generated.UnprocessableEntityJSONResponse {
	body, trace := clerkBody(e)
	return generated.UnprocessableEntityJSONResponse{Body: body, Headers: generated.UnprocessableEntityResponseHeaders{ClerkTraceID: trace}}
}

// duplicateEntry is Clerk's answer for addresses with a pending invitation; meta lists them.
func duplicateEntry(addrs []string) generated.ClerkError {
	short := "duplicate invitation"
	if len(addrs) > 1 {
		short += "s"
	}
	return generated.ClerkError{
		Code:        "duplicate_record",
		Message:     short,
		LongMessage: fmt.Sprintf("There are already pending invitations for the following email addresses: %s", strings.Join(addrs, ", ")),
		Meta:        generated.ClerkErrorMeta{"email_addresses": addrs},
	}
}

// identifierEntry is the answer for an address that belongs to a user. Clerk does not document
// it; form_identifier_exists with param_name email_address is inferred.
func identifierEntry() generated.ClerkError {
	return errParam("form_identifier_exists", "email_address", "That email address is taken. Please try another.")
}

// admitLocked decides whether items can be created now: it returns a 400 duplicate entry, a 422
// identifier entry or a 403 when the store is full, checking all items before any is created.
func (s *Server) admitLocked(items []generated.CreateInvitationParams, bulk bool) (status int, entry *generated.ClerkError) {
	inBatch := map[string]bool{}
	var dups []string
	for _, it := range items {
		addr := strings.ToLower(it.EmailAddress)
		ignore := it.IgnoreExisting != nil && *it.IgnoreExisting
		// A single create with ignore_existing may invite a registered address; bulk never may.
		if s.users[addr] && (bulk || !ignore) {
			e := identifierEntry()
			return http.StatusUnprocessableEntity, &e
		}
		if !ignore && (inBatch[addr] || s.hasPendingLocked(addr)) {
			dups = append(dups, it.EmailAddress)
		}
		inBatch[addr] = true
	}
	if len(dups) > 0 {
		e := duplicateEntry(dups)
		return http.StatusBadRequest, &e
	}
	if len(s.records)+len(items) > s.maxStored {
		// Clerk's error catalogue: QuotaExceeded. The bound itself is the embedded server's.
		e := generated.ClerkError{Code: "quota_exceeded", Message: "Quota exceeded",
			LongMessage: fmt.Sprintf("Quota exceeded, you have reached your limit: this server holds at most %d invitations; delete some or raise its limit.", s.maxStored)}
		return http.StatusForbidden, &e
	}
	return 0, nil
}

// hasPendingLocked reports whether a pending invitation exists for the lower-cased addr.
func (s *Server) hasPendingLocked(addr string) bool {
	for _, r := range s.byAddr[addr] {
		s.refreshLocked(r)
		if r.inv.Status == generated.InvitationStatusPending {
			return true
		}
	}
	return false
}

func (s *Server) createLocked(p generated.CreateInvitationParams) *record {
	now := s.nowLocked()
	days := rules.DefaultExpiresInDays
	if p.ExpiresInDays != nil {
		days = *p.ExpiresInDays
	}
	expires := now.Add(time.Duration(days) * 24 * time.Hour).UnixMilli()
	s.seq++
	id := "inv_" + randomString(27)
	url := s.acceptURL + "?ticket=" + randomString(40)
	meta := p.PublicMetadata
	if meta == nil {
		meta = map[string]interface{}{}
	}
	r := &record{
		inv: generated.Invitation{
			Object:         generated.InvitationObjectInvitation,
			ID:             id,
			EmailAddress:   p.EmailAddress,
			PublicMetadata: meta,
			Status:         generated.InvitationStatusPending,
			URL:            url,
			ExpiresAt:      expires,
			CreatedAt:      now.UnixMilli(),
			UpdatedAt:      now.UnixMilli(),
		},
		seq:            s.seq,
		notify:         p.Notify == nil || *p.Notify,
		ignoreExisting: p.IgnoreExisting != nil && *p.IgnoreExisting,
		templateSlug:   string(generated.InvitationTemplateSlugInvitation),
	}
	if p.TemplateSlug != nil {
		r.templateSlug = string(*p.TemplateSlug)
	}
	if p.RedirectURL != nil {
		r.redirectURL = *p.RedirectURL
	}
	s.addLocked(r)
	return r
}

// addLocked stores r, whose inv and seq are set, in every index.
func (s *Server) addLocked(r *record) {
	r.lower, r.lowerID = strings.ToLower(r.inv.EmailAddress), strings.ToLower(r.inv.ID)
	s.records[r.inv.ID] = r
	s.byAddr[r.lower] = append(s.byAddr[r.lower], r)
	s.order = append(s.order, r)
}

func (a api) CreateInvitation(_ context.Context, req generated.CreateInvitationRequestObject) (generated.CreateInvitationResponseObject, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	status, entry := s.admitLocked([]generated.CreateInvitationParams{*req.Body}, false)
	switch status {
	case http.StatusBadRequest:
		return generated.CreateInvitation400JSONResponse{BadRequestJSONResponse: badRequest(*entry)}, nil
	case http.StatusForbidden:
		return generated.CreateInvitation403JSONResponse{ForbiddenJSONResponse: forbidden(*entry)}, nil
	case http.StatusUnprocessableEntity:
		return generated.CreateInvitation422JSONResponse{UnprocessableEntityJSONResponse: unprocessable(*entry)}, nil
	}
	return generated.CreateInvitation200JSONResponse(s.createLocked(*req.Body).inv), nil
}

func (a api) CreateBulkInvitations(_ context.Context, req generated.CreateBulkInvitationsRequestObject) (generated.CreateBulkInvitationsResponseObject, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	items := make([]generated.CreateInvitationParams, len(*req.Body))
	for i, it := range *req.Body {
		// A bulk item has the fields of a single create; only its schema's nullability differs.
		items[i] = generated.CreateInvitationParams(it)
	}
	status, entry := s.admitLocked(items, true)
	switch status {
	case http.StatusBadRequest:
		return generated.CreateBulkInvitations400JSONResponse{BadRequestJSONResponse: badRequest(*entry)}, nil
	case http.StatusForbidden:
		return generated.CreateBulkInvitations403JSONResponse{ForbiddenJSONResponse: forbidden(*entry)}, nil
	case http.StatusUnprocessableEntity:
		return generated.CreateBulkInvitations422JSONResponse{UnprocessableEntityJSONResponse: unprocessable(*entry)}, nil
	}
	out := make(generated.CreateBulkInvitations200JSONResponse, len(items))
	for i, it := range items {
		out[i] = s.createLocked(it).inv
	}
	return out, nil
}

func (a api) RevokeInvitation(_ context.Context, req generated.RevokeInvitationRequestObject) (generated.RevokeInvitationResponseObject, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[req.InvitationID]
	if !ok {
		return generated.RevokeInvitation404JSONResponse{NotFoundJSONResponse: notFound(req.InvitationID)}, nil
	}
	s.refreshLocked(r)
	var refusal *generated.ClerkError
	switch r.inv.Status {
	case generated.InvitationStatusRevoked:
		refusal = &generated.ClerkError{Code: "invitation_already_revoked", Message: "Invitation is already revoked.", LongMessage: "Invitation is already revoked."}
	case generated.InvitationStatusAccepted:
		refusal = &generated.ClerkError{Code: "invitation_already_accepted", Message: "Invitation is already accepted, try signing in instead.", LongMessage: "Invitation is already accepted, try signing in instead."}
	case generated.InvitationStatusExpired:
		// Inferred: Clerk documents no code for revoking an expired invitation.
		refusal = &generated.ClerkError{Code: "invitation_already_expired", Message: "invitation expired", LongMessage: "This invitation has expired and cannot be revoked."}
	}
	if refusal != nil {
		return generated.RevokeInvitation400JSONResponse{BadRequestJSONResponse: badRequest(*refusal)}, nil
	}
	r.inv.Revoked = true
	r.inv.Status = generated.InvitationStatusRevoked
	r.inv.UpdatedAt = s.nowLocked().UnixMilli()
	return generated.RevokeInvitation200JSONResponse(r.inv), nil
}

// DeleteInvitation removes an invitation of any status for good. Clerk's JavaScript SDK is the
// source of this operation; the 404 for an unknown or already deleted id is inferred.
func (a api) DeleteInvitation(_ context.Context, req generated.DeleteInvitationRequestObject) (generated.DeleteInvitationResponseObject, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[req.InvitationID]
	if !ok {
		return generated.DeleteInvitation404JSONResponse{NotFoundJSONResponse: notFound(req.InvitationID)}, nil
	}
	delete(s.records, r.inv.ID)
	s.byAddr[r.lower] = slices.DeleteFunc(s.byAddr[r.lower], func(x *record) bool { return x == r })
	if len(s.byAddr[r.lower]) == 0 {
		delete(s.byAddr, r.lower)
	}
	if i, found := slices.BinarySearchFunc(s.order, r.seq, func(x *record, seq int64) int { return cmp.Compare(x.seq, seq) }); found {
		s.order = slices.Delete(s.order, i, i+1)
	}
	id := r.inv.ID
	return generated.DeleteInvitation200JSONResponse{Object: string(generated.InvitationObjectInvitation), ID: id, Deleted: true}, nil
}

func (a api) ListInvitations(_ context.Context, req generated.ListInvitationsRequestObject) (generated.ListInvitationsResponseObject, error) {
	p := req.Params
	invalid := func(name, long string) (generated.ListInvitationsResponseObject, error) {
		return generated.ListInvitations422JSONResponse{UnprocessableEntityJSONResponse: unprocessable(errParam("form_param_value_invalid", name, long))}, nil
	}
	for _, st := range p.Status {
		if !st.Valid() {
			return invalid("status", "status must be one of pending, accepted, revoked, expired.")
		}
	}
	order := rules.DefaultOrderBy
	if p.OrderBy != nil {
		order = *p.OrderBy
	}
	field, desc, ok := rules.ParseOrderBy(order)
	if !ok {
		return invalid("order_by", "order_by must be one of "+strings.Join(rules.OrderByFields, ", ")+", optionally prefixed with + or -.")
	}
	limit, offset := rules.DefaultLimit, 0
	if p.Limit != nil {
		limit = *p.Limit
	}
	if p.Offset != nil {
		offset = *p.Offset
	}
	if limit < rules.MinLimit || limit > rules.MaxLimit {
		return invalid("limit", fmt.Sprintf("limit must be between %d and %d.", rules.MinLimit, rules.MaxLimit))
	}
	if offset < 0 {
		return invalid("offset", "offset must be 0 or greater.")
	}

	query := ""
	if p.Query != nil {
		query = strings.ToLower(*p.Query)
	}
	all := len(p.Status) == 0

	s := a.s
	s.mu.RLock()
	recs := s.sortedLocked(field)
	now := s.nowLocked().UnixMilli()
	page := []generated.Invitation{}
	total := 0
	for k := range recs {
		r := recs[k]
		if desc {
			r = recs[len(recs)-1-k]
		}
		st := r.statusAt(now)
		switch {
		case all && st == generated.InvitationStatusRevoked:
			// Without a status filter Clerk lists every invitation except revoked ones.
			continue
		case !all && !slices.Contains(p.Status, st):
			continue
		}
		if query != "" && !strings.Contains(r.lower, query) && !strings.Contains(r.lowerID, query) {
			continue
		}
		if total >= offset && len(page) < limit {
			inv := r.inv
			inv.Status = st // expired since the record was last written, perhaps
			page = append(page, inv)
		}
		total++
	}
	s.mu.RUnlock()

	if p.Paginated != nil && *p.Paginated {
		return generated.ListInvitations200JSONResponse{Data: page, TotalCount: int64(total)}, nil
	}
	return bareList(page), nil
}

// bareList is the list's answer without paginated: the bare array openapi.yaml describes as
// InvitationList. (The generated 200 response type is the page, the shape clients ask for.)
type bareList generated.InvitationList

func (l bareList) VisitListInvitationsResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	return json.NewEncoder(w).Encode(generated.InvitationList(l))
}

// sortedLocked returns every record in ascending order of field, ties in creation order. The
// creation order itself serves lists by created_at unless a test moved the clock back. mu must
// be held, for reading at least; the result must not be modified.
func (s *Server) sortedLocked(field string) []*record {
	compare := func(x, y *record) int {
		switch field {
		case "created_at":
			return cmp.Compare(x.inv.CreatedAt, y.inv.CreatedAt)
		case "email_address":
			return strings.Compare(x.lower, y.lower)
		default: // expires_at
			return cmp.Compare(expiry(x), expiry(y))
		}
	}
	if slices.IsSortedFunc(s.order, compare) {
		return s.order
	}
	recs := slices.Clone(s.order)
	slices.SortStableFunc(recs, compare)
	return recs
}

// expiry sorts invitations without an expiry after all others.
func expiry(r *record) int64 {
	if r.inv.ExpiresAt == 0 {
		return 1<<63 - 1
	}
	return r.inv.ExpiresAt
}
