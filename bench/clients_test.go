package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/invitation"

	"github.com/clerk-invitations/clerk-invitations-go/generated"
	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

const benchKey = "sk_test_benchmarkkey"

// client is one way of calling Clerk's invitation endpoints. Each method checks the answer and
// returns an error when it is not what was asked for, so that no client wins by skipping work.
type client interface {
	create(ctx context.Context, email string) error
	bulk(ctx context.Context, emails []string) error
	list(ctx context.Context, limit int) error
	revoke(ctx context.Context, id string) error
	delete(ctx context.Context, id string) error
}

// clientNames in the order of the benchmark results: the floor first, as benchstat's base.
var clientNames = []string{"floor", "library", "generated", "sdk"}

func newClient(b *testing.B, name, base string, hc *http.Client) client {
	b.Helper()
	switch name {
	case "library":
		c, err := invitations.New(benchKey, invitations.WithBaseURL(base), invitations.WithHTTPClient(hc))
		if err != nil {
			b.Fatal(err)
		}
		return libraryClient{c}
	case "generated":
		c, err := generated.NewClientWithResponses(base, generated.WithHTTPClient(hc), generated.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+benchKey)
			return nil
		}))
		if err != nil {
			b.Fatal(err)
		}
		return generatedClient{c}
	case "floor":
		return floorClient{hc: hc, base: base}
	case "sdk":
		cfg := clerk.BackendConfig{HTTPClient: hc, URL: clerk.String(base), Key: clerk.String(benchKey)}
		return sdkClient{inv: invitation.NewClient(&clerk.ClientConfig{BackendConfig: cfg}), backend: clerk.NewBackend(&cfg)}
	}
	b.Fatalf("no client %q", name)
	return nil
}

// --- this library ---

type libraryClient struct{ c *invitations.Client }

func (l libraryClient) create(ctx context.Context, email string) error {
	inv, err := l.c.Create(ctx, invitations.CreateParams{EmailAddress: email, Notify: invitations.Ptr(false)})
	if err == nil && inv.EmailAddress != email {
		err = fmt.Errorf("created %q", inv.EmailAddress)
	}
	return err
}

func (l libraryClient) bulk(ctx context.Context, emails []string) error {
	items := make([]invitations.CreateParams, len(emails))
	for i, e := range emails {
		items[i] = invitations.CreateParams{EmailAddress: e, Notify: invitations.Ptr(false)}
	}
	got, err := l.c.BulkCreate(ctx, items)
	if err == nil && len(got) != len(emails) {
		err = fmt.Errorf("%d invitations", len(got))
	}
	return err
}

func (l libraryClient) list(ctx context.Context, limit int) error {
	page, err := l.c.List(ctx, invitations.ListParams{Limit: limit})
	if err == nil && len(page.Invitations) != limit {
		err = fmt.Errorf("%d invitations", len(page.Invitations))
	}
	return err
}

func (l libraryClient) revoke(ctx context.Context, id string) error {
	inv, err := l.c.Revoke(ctx, id)
	if err == nil && (inv.ID != id || inv.Status != invitations.StatusRevoked) {
		err = fmt.Errorf("revoke answered %s %s", inv.ID, inv.Status)
	}
	return err
}

func (l libraryClient) delete(ctx context.Context, id string) error { return l.c.Delete(ctx, id) }

// --- the generated client, called directly ---

type generatedClient struct {
	c *generated.ClientWithResponses
}

var no = false

func (g generatedClient) create(ctx context.Context, email string) error {
	resp, err := g.c.CreateInvitationWithResponse(ctx, generated.CreateInvitationParams{EmailAddress: email, Notify: &no})
	if err != nil {
		return err
	}
	if resp.JSON200 == nil || resp.JSON200.EmailAddress != email {
		return fmt.Errorf("status %d", resp.StatusCode())
	}
	return nil
}

func (g generatedClient) bulk(ctx context.Context, emails []string) error {
	items := make([]generated.BulkInvitationParams, len(emails))
	for i, e := range emails {
		items[i] = generated.BulkInvitationParams{EmailAddress: e, Notify: &no}
	}
	resp, err := g.c.CreateBulkInvitationsWithResponse(ctx, items)
	if err != nil {
		return err
	}
	if resp.JSON200 == nil || len(*resp.JSON200) != len(emails) {
		return fmt.Errorf("status %d", resp.StatusCode())
	}
	return nil
}

func (g generatedClient) list(ctx context.Context, limit int) error {
	yes := true
	resp, err := g.c.ListInvitationsWithResponse(ctx, &generated.ListInvitationsParams{Paginated: &yes, Limit: &limit})
	if err != nil {
		return err
	}
	if resp.JSON200 == nil {
		return fmt.Errorf("status %d", resp.StatusCode())
	}
	if len(resp.JSON200.Data) != limit {
		return fmt.Errorf("%d invitations", len(resp.JSON200.Data))
	}
	return nil
}

func (g generatedClient) revoke(ctx context.Context, id string) error {
	resp, err := g.c.RevokeInvitationWithResponse(ctx, id)
	if err != nil {
		return err
	}
	if resp.JSON200 == nil || resp.JSON200.ID != id || resp.JSON200.Status != generated.InvitationStatusRevoked {
		return fmt.Errorf("status %d", resp.StatusCode())
	}
	return nil
}

func (g generatedClient) delete(ctx context.Context, id string) error {
	resp, err := g.c.DeleteInvitationWithResponse(ctx, id)
	if err != nil {
		return err
	}
	if resp.JSON200 == nil || !resp.JSON200.Deleted {
		return fmt.Errorf("status %d", resp.StatusCode())
	}
	return nil
}

// --- the floor: a minimal hand-written client, net/http and encoding/json ---

type floorClient struct {
	hc   *http.Client
	base string
}

// floorInvitation holds what the other clients give their callers.
type floorInvitation struct {
	ID             string         `json:"id"`
	EmailAddress   string         `json:"email_address"`
	Status         string         `json:"status"`
	Revoked        bool           `json:"revoked"`
	URL            string         `json:"url"`
	PublicMetadata map[string]any `json:"public_metadata"`
	ExpiresAt      *int64         `json:"expires_at"`
	CreatedAt      int64          `json:"created_at"`
	UpdatedAt      int64          `json:"updated_at"`
}

type floorCreate struct {
	EmailAddress string `json:"email_address"`
	Notify       *bool  `json:"notify,omitempty"`
}

func (f floorClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, f.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+benchKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (f floorClient) create(ctx context.Context, email string) error {
	var inv floorInvitation
	if err := f.do(ctx, http.MethodPost, "/invitations", floorCreate{EmailAddress: email, Notify: &no}, &inv); err != nil {
		return err
	}
	if inv.EmailAddress != email {
		return fmt.Errorf("created %q", inv.EmailAddress)
	}
	return nil
}

func (f floorClient) bulk(ctx context.Context, emails []string) error {
	items := make([]floorCreate, len(emails))
	for i, e := range emails {
		items[i] = floorCreate{EmailAddress: e, Notify: &no}
	}
	var got []floorInvitation
	if err := f.do(ctx, http.MethodPost, "/invitations/bulk", items, &got); err != nil {
		return err
	}
	if len(got) != len(emails) {
		return fmt.Errorf("%d invitations", len(got))
	}
	return nil
}

func (f floorClient) list(ctx context.Context, limit int) error {
	var page struct {
		Data       []floorInvitation `json:"data"`
		TotalCount int               `json:"total_count"`
	}
	q := url.Values{"paginated": {"true"}, "limit": {strconv.Itoa(limit)}}
	if err := f.do(ctx, http.MethodGet, "/invitations?"+q.Encode(), nil, &page); err != nil {
		return err
	}
	if len(page.Data) != limit {
		return fmt.Errorf("%d invitations", len(page.Data))
	}
	return nil
}

func (f floorClient) revoke(ctx context.Context, id string) error {
	var inv floorInvitation
	if err := f.do(ctx, http.MethodPost, "/invitations/"+url.PathEscape(id)+"/revoke", nil, &inv); err != nil {
		return err
	}
	if inv.ID != id || inv.Status != "revoked" {
		return fmt.Errorf("revoke answered %s %s", inv.ID, inv.Status)
	}
	return nil
}

func (f floorClient) delete(ctx context.Context, id string) error {
	var out struct {
		Deleted bool `json:"deleted"`
	}
	if err := f.do(ctx, http.MethodDelete, "/invitations/"+url.PathEscape(id), nil, &out); err != nil {
		return err
	}
	if !out.Deleted {
		return fmt.Errorf("not deleted")
	}
	return nil
}

// --- Clerk's official Go SDK ---

type sdkClient struct {
	inv     *invitation.Client
	backend clerk.Backend
}

func (s sdkClient) create(ctx context.Context, email string) error {
	inv, err := s.inv.Create(ctx, &invitation.CreateParams{EmailAddress: email, Notify: clerk.Bool(false)})
	if err == nil && inv.EmailAddress != email {
		err = fmt.Errorf("created %q", inv.EmailAddress)
	}
	return err
}

func (s sdkClient) bulk(ctx context.Context, emails []string) error {
	items := make([]*invitation.CreateParams, len(emails))
	for i, e := range emails {
		items[i] = &invitation.CreateParams{EmailAddress: e, Notify: clerk.Bool(false)}
	}
	got, err := s.inv.BulkCreate(ctx, &invitation.BulkCreateParams{Invitations: items})
	if err == nil && len(got.Invitations) != len(emails) {
		err = fmt.Errorf("%d invitations", len(got.Invitations))
	}
	return err
}

func (s sdkClient) list(ctx context.Context, limit int) error {
	l := int64(limit)
	got, err := s.inv.List(ctx, &invitation.ListParams{ListParams: clerk.ListParams{Limit: &l}})
	if err == nil && len(got.Invitations) != limit {
		err = fmt.Errorf("%d invitations", len(got.Invitations))
	}
	return err
}

func (s sdkClient) revoke(ctx context.Context, id string) error {
	inv, err := s.inv.Revoke(ctx, id)
	if err == nil && (inv.ID != id || inv.Status != "revoked") {
		err = fmt.Errorf("revoke answered %s %s", inv.ID, inv.Status)
	}
	return err
}

// delete goes through the SDK's request machinery: v2.4.2 has no method for it.
func (s sdkClient) delete(ctx context.Context, id string) error {
	res := &clerk.DeletedResource{}
	if err := s.backend.Call(ctx, clerk.NewAPIRequest(http.MethodDelete, "/invitations/"+id), res); err != nil {
		return err
	}
	if !res.Deleted {
		return fmt.Errorf("not deleted")
	}
	return nil
}

// --- the in-memory transport: canned answers, no server, no network ---

// cannedInvitation is an invitation as Clerk answers it.
func cannedInvitation(id, email, status string) string {
	return fmt.Sprintf(`{"object":"invitation","id":%q,"email_address":%q,"public_metadata":{"role":"member"},"revoked":%t,"status":%q,`+
		`"url":"https://accounts.example.com/v1/tickets/accept?ticket=%s","expires_at":1767225600000,"created_at":1764547200000,"updated_at":1764547200000}`,
		id, email, status == "revoked", status, strings.Repeat("t", 40))
}

const (
	memEmail = "bench@example.com"
	memID    = "inv_2bZ7qT4nWf9cL1xY8kP3mR6sD0a"
)

var memBulkEmails = func() []string {
	out := make([]string, 10)
	for i := range out {
		out[i] = fmt.Sprintf("b%d@example.com", i)
	}
	return out
}()

// canned holds the answers, built once.
var canned = func() map[string][]byte {
	page := func(n int) []byte {
		items := make([]string, n)
		for i := range items {
			items[i] = cannedInvitation(fmt.Sprintf("inv_%027d", i), fmt.Sprintf("p%d@example.com", i), "pending")
		}
		return []byte(`{"data":[` + strings.Join(items, ",") + `],"total_count":5000}`)
	}
	bulk := make([]string, len(memBulkEmails))
	for i, e := range memBulkEmails {
		bulk[i] = cannedInvitation(fmt.Sprintf("inv_%027d", i), e, "pending")
	}
	return map[string][]byte{
		"create":  []byte(cannedInvitation(memID, memEmail, "pending")),
		"bulk":    []byte("[" + strings.Join(bulk, ",") + "]"),
		"list10":  page(10),
		"list500": page(500),
		"revoke":  []byte(cannedInvitation(memID, memEmail, "revoked")),
		"delete":  []byte(`{"object":"invitation","id":"` + memID + `","deleted":true}`),
	}
}()

// memoryTransport answers every request from canned, reading and closing its body as a server
// would.
type memoryTransport struct{}

var jsonType = []string{"application/json"}

func (memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	var key string
	switch {
	case req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/bulk"):
		key = "bulk"
	case req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/revoke"):
		key = "revoke"
	case req.Method == http.MethodPost:
		key = "create"
	case req.Method == http.MethodDelete:
		key = "delete"
	case req.URL.Query().Get("limit") == "500":
		key = "list500"
	default:
		key = "list10"
	}
	body := canned[key]
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": jsonType}, ContentLength: int64(len(body)), Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
}

// --- the benchmarks ---

var ops = []string{"create", "bulk10", "list10", "list500", "revoke", "delete"}

// loopback is an embedded Clerk on loopback, without the spec validator.
type loopback struct {
	url  string
	fake *fakeclerk.Server
	seq  atomic.Int64
}

const listStored = 5000

// newLoopback starts an embedded Clerk holding stored invitations.
func newLoopback(b *testing.B, stored int) *loopback {
	b.Helper()
	fake := fakeclerk.New(fakeclerk.Options{SecretKey: benchKey})
	srv := httptest.NewServer(fake.Handler())
	b.Cleanup(srv.Close)
	l := &loopback{url: srv.URL + "/v1", fake: fake}
	l.seed(b, stored)
	return l
}

// seed creates n pending invitations through the API and returns their ids.
func (l *loopback) seed(b *testing.B, n int) []string {
	b.Helper()
	c, err := invitations.New(benchKey, invitations.WithBaseURL(l.url))
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for len(ids) < n {
		items := make([]invitations.CreateParams, min(10, n-len(ids)))
		for i := range items {
			items[i] = invitations.CreateParams{EmailAddress: fmt.Sprintf("seed%d@example.com", l.seq.Add(1)), Notify: invitations.Ptr(false)}
		}
		got, err := c.BulkCreate(context.Background(), items)
		if err != nil {
			b.Fatal(err)
		}
		for _, inv := range got {
			ids = append(ids, inv.ID)
		}
	}
	return ids
}

// BenchmarkClients runs every operation through every client, over the in-memory transport (the
// client's own cost) and over loopback HTTP to the embedded Clerk (what a caller sees).
func BenchmarkClients(b *testing.B) {
	ctx := context.Background()
	for _, transport := range []string{"memory", "loopback"} {
		for _, op := range ops {
			// Over loopback each operation gets a server of its own, so that the creates of one
			// do not grow the store the lists of another read: lists see exactly listStored.
			var srv *loopback
			if transport == "loopback" {
				stored := 0
				if strings.HasPrefix(op, "list") {
					stored = listStored
				}
				srv = newLoopback(b, stored)
			}
			for _, name := range clientNames {
				b.Run(fmt.Sprintf("transport=%s/op=%s/client=%s", transport, op, name), func(b *testing.B) {
					base, hc := "https://clerk.invalid/v1", &http.Client{Transport: memoryTransport{}}
					if srv != nil {
						base, hc = srv.url, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
						b.Cleanup(hc.CloseIdleConnections)
					}
					c := newClient(b, name, base, hc)
					run := prepare(b, op, srv)
					b.ReportAllocs()
					b.ResetTimer()
					for i := range b.N {
						if err := run(ctx, c, i); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// prepare returns the loop body for op: in memory, the canned values; over loopback, fresh
// addresses for creates and fresh pending invitations for revokes and deletes.
func prepare(b *testing.B, op string, srv *loopback) func(context.Context, client, int) error {
	switch op {
	case "create":
		if srv == nil {
			return func(ctx context.Context, c client, _ int) error { return c.create(ctx, memEmail) }
		}
		return func(ctx context.Context, c client, _ int) error {
			return c.create(ctx, "c"+strconv.FormatInt(srv.seq.Add(1), 10)+"@example.com")
		}
	case "bulk10":
		if srv == nil {
			return func(ctx context.Context, c client, _ int) error { return c.bulk(ctx, memBulkEmails) }
		}
		return func(ctx context.Context, c client, _ int) error {
			emails := make([]string, 10)
			for i := range emails {
				emails[i] = "b" + strconv.FormatInt(srv.seq.Add(1), 10) + "@example.com"
			}
			return c.bulk(ctx, emails)
		}
	case "list10", "list500":
		limit := 10
		if op == "list500" {
			limit = 500
		}
		return func(ctx context.Context, c client, _ int) error { return c.list(ctx, limit) }
	}
	// revoke and delete
	ids := make([]string, b.N)
	if srv == nil {
		for i := range ids {
			ids[i] = memID
		}
	} else {
		ids = srv.seed(b, b.N)
	}
	if op == "revoke" {
		return func(ctx context.Context, c client, i int) error { return c.revoke(ctx, ids[i]) }
	}
	return func(ctx context.Context, c client, i int) error { return c.delete(ctx, ids[i]) }
}
