package invitations_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
)

// FuzzSuccessResponses answers every call with an arbitrary 2xx body and content type: the
// client must return a result or a *ResponseError (never another error, never a panic), and
// for a write the error must say the call may have taken effect.
func FuzzSuccessResponses(f *testing.F) {
	f.Add(200, "application/json", `{"data":[],"total_count":0}`)
	f.Add(200, "application/json; charset=utf-8", `[{"object":"invitation","id":"inv_1","email_address":"a@example.com","public_metadata":null,"status":"pending","created_at":1,"updated_at":1}]`)
	f.Add(201, "text/html", "<html></html>")
	f.Add(204, "", "")
	f.Add(200, "application/json", `{"data":[{"id":1}],"total_count":"x"}`)
	f.Add(200, "application/json", `{"object":"invitation","deleted":true,"id":"inv_2"}`)
	var mu sync.Mutex
	var status int
	var contentType, body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		s, ct, b := status, contentType, body
		mu.Unlock()
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(s)
		_, _ = w.Write([]byte(b))
	}))
	defer srv.Close()
	client, err := invitations.New(testKey, invitations.WithBaseURL(srv.URL+"/v1"), invitations.WithRetries(0))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s int, ct, b string) {
		mu.Lock()
		status, contentType, body = 200+abs(s)%100, strings.Map(headerSafe, ct), b
		mu.Unlock()
		check := func(op string, write bool, err error) {
			if err == nil {
				return
			}
			var respErr *invitations.ResponseError
			if !errors.As(err, &respErr) {
				t.Fatalf("%s: got %T %v, want a *ResponseError", op, err, err)
			}
			if write != errors.Is(err, invitations.ErrOutcomeUnknown) {
				t.Fatalf("%s: ErrOutcomeUnknown is %v for a write=%v call: %v", op, !write, write, err)
			}
		}
		_, err := client.List(t.Context(), invitations.ListParams{})
		check("list", false, err)
		_, err = client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com"})
		check("create", true, err)
		_, err = client.BulkCreate(t.Context(), []invitations.CreateParams{{EmailAddress: "ada@example.com"}})
		check("bulk", true, err)
		_, err = client.Revoke(t.Context(), "inv_1")
		check("revoke", true, err)
		err = client.Delete(t.Context(), "inv_2")
		check("delete", true, err)
	})
}

// FuzzCreateParamsAgreeWithTheServer: whatever the client lets through, the embedded Clerk
// (which follows Clerk's rules) must accept too; the client must never send what Clerk would
// refuse as invalid, nor refuse valid input with anything but a *ValidationError.
func FuzzCreateParamsAgreeWithTheServer(f *testing.F) {
	f.Add("ada@example.com", "https://app.example.com/x", `{"plan":"pro"}`, 7, "invitation")
	f.Add("a.b+c@sub.example.org", "/welcome", `{}`, 0, "")
	f.Add("ad\ufffda@example.com", "javascript:alert(1)", `{"k":[1,2,{"n":null}]}`, 366, "waitlist_invitation")
	f.Add("Ada <ada@example.com>", "localhost:3000", `[1]`, -1, "other")
	f.Add("o'brien@example.co.uk", "HTTP://X", `{"<":"&"}`, 365, "invitation")
	srv, err := invitationstest.Start(invitationstest.WithValidation())
	if err != nil {
		f.Fatal(err)
	}
	defer func() {
		if err := srv.Close(); err != nil {
			f.Error(err)
		}
	}()
	f.Fuzz(func(t *testing.T, addr, redirect, metadata string, days int, slug string) {
		p := invitations.CreateParams{EmailAddress: addr, RedirectURL: redirect, ExpiresInDays: days,
			TemplateSlug: invitations.TemplateSlug(slug), Notify: invitations.Ptr(false), IgnoreExisting: invitations.Ptr(true)}
		if m, ok := decodeObject(metadata); ok {
			p.PublicMetadata = m
		}
		_, err := srv.Client.Create(t.Context(), p)
		var verr *invitations.ValidationError
		switch {
		case err == nil, errors.As(err, &verr):
		case errors.Is(err, invitations.ErrInvalidRequest):
			t.Fatalf("the client sent what the server refuses as invalid: %+v: %v", p, err)
		default:
			t.Fatalf("%+v: %v", p, err)
		}
		if verr != nil && strings.Contains(addr, "@") && strings.Contains(err.Error(), addr) {
			t.Fatalf("a validation error quotes the address: %v", err)
		}
	})
}

// FuzzIDs: an id the client accepts reaches the server as exactly that path segment; any other
// is refused before a request is made.
func FuzzIDs(f *testing.F) {
	for _, id := range []string{"inv_2Xy-z_9", "", "..", "a/b", "a%2Fb", "inv 1", "inv\x00", "é", strings.Repeat("x", 129)} {
		f.Add(id)
	}
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.EscapedPath())
		mu.Unlock()
		w.WriteHeader(404)
	}))
	defer srv.Close()
	client, err := invitations.New(testKey, invitations.WithBaseURL(srv.URL+"/v1"), invitations.WithRetries(0))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id string) {
		mu.Lock()
		paths = nil
		mu.Unlock()
		_, revokeErr := client.Revoke(t.Context(), id)
		deleteErr := client.Delete(t.Context(), id)
		mu.Lock()
		got := append([]string(nil), paths...)
		mu.Unlock()
		var verr *invitations.ValidationError
		if errors.As(revokeErr, &verr) != errors.As(deleteErr, &verr) {
			t.Fatalf("revoke and delete disagree on %q: %v / %v", id, revokeErr, deleteErr)
		}
		if errors.As(revokeErr, &verr) {
			if len(got) != 0 {
				t.Fatalf("refused %q, yet sent %v", id, got)
			}
			if utf8.RuneCountInString(id) > 1 && strings.Contains(revokeErr.Error(), strconv.Quote(id)) {
				t.Fatalf("the validation error quotes the id: %v", revokeErr)
			}
			return
		}
		want := []string{"POST /v1/invitations/" + id + "/revoke", "DELETE /v1/invitations/" + id}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("id %q reached the server as %v, want %v", id, got, want)
		}
	})
}
