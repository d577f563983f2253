package contract

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/rules"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

var scenarios = []scenario{
	{name: "create with every field, read back through list", run: createEveryField},
	{name: "create a duplicate: ErrDuplicate", run: duplicate},
	{name: "ignore_existing creates a second invitation", run: ignoreExisting},
	{name: "bulk create keeps order", run: bulkCreate},
	{name: "list filters by status and query", run: listFilters},
	{name: "list without a status filter leaves revoked ones out, total_count too", run: listHidesRevoked,
		inferred: "an unfiltered list leaves revoked invitations out, and so does its total_count"},
	{name: "list query matches an address ignoring case", run: queryIgnoresCase,
		inferred: "the list's query matches addresses ignoring case (FindByEmail relies on it)"},
	{name: "list orders by email_address both ways", run: listOrder},
	{name: "list pages with limit and offset, total_count stays", run: listPaging},
	{name: "revoke, revoke twice, revoke unknown", run: revoke},
	{name: "revoke an expired invitation: ErrInvalidRequest", run: revokeExpired, needs: canExpire,
		inferred: "revoking an expired invitation answers 400 invitation_already_expired"},
	{name: "delete any status; then gone from lists and invitable again; delete or revoke it again: 404", run: deleteInvitation,
		inferred: "DeleteInvitation deletes an invitation of any status; a deleted id answers 404 resource_not_found to delete and revoke"},
	{name: "invite the address of an existing user: 422", run: existingUser, needs: hasUser,
		inferred: "inviting a user's address answers 422 form_identifier_exists naming email_address"},
	{name: "a wrong key: ErrUnauthorized", run: wrongKey},
	{name: "the server rejects invalid input sent raw, naming the parameter in meta.param_name", rawInvalid: true, run: rawInvalid},
	{name: "a bulk create of 11 items: 400", rawInvalid: true, run: bulkOverTen,
		inferred: "a bulk create of more than 10 items answers 400 bulk_size_exceeded"},
	{name: "public_metadata over 8 KB: 422", rawInvalid: true, run: metadataOverBound,
		inferred: "public_metadata is bounded at 8,192 bytes: one byte over answers 422 form_param_exceeds_allowed_size"},
	{name: "a bulk create with one bad item: 422 naming the item", rawInvalid: true, run: bulkBadItem,
		inferred: "a refused bulk item is named by meta.index (its position) next to meta.param_name, and nothing is created"},
	{name: "public_metadata null in a single create: 422", rawInvalid: true, run: nullMetadata,
		inferred: "a single create with public_metadata null answers 422 form_param_format_invalid (bulk items may be null)"},
	{name: "an address with an invisible character: 422", rawInvalid: true, run: invisibleCharacter,
		inferred: "an address holding a byte-order mark (or another invisible or direction-changing character) answers 422 form_param_format_invalid naming email_address"},
}

func createEveryField(ctx context.Context, s *session) error {
	addr := s.addr("every")
	inv, err := s.create(ctx, invitations.CreateParams{
		EmailAddress:   addr,
		PublicMetadata: map[string]any{"source": "contract", "n": 1},
		RedirectURL:    "https://example.com/welcome",
		IgnoreExisting: invitations.Ptr(false),
		ExpiresInDays:  7,
		TemplateSlug:   invitations.TemplateInvitation,
	})
	if err != nil {
		return err
	}
	if err := errors.Join(
		expect(inv.ID != "", "no id"),
		expect(inv.EmailAddress == addr, "email %q, want %q", inv.EmailAddress, addr),
		expect(inv.Status == invitations.StatusPending, "status %q", inv.Status),
		expect(!inv.CreatedAt.IsZero(), "no created_at"),
		expect(near(inv.ExpiresAt.Sub(inv.CreatedAt), 7*24*time.Hour), "expires %v after creation, want 7 days", inv.ExpiresAt.Sub(inv.CreatedAt)),
	); err != nil {
		return err
	}
	page, err := s.client.List(ctx, invitations.ListParams{Query: addr})
	if err != nil {
		return err
	}
	if len(page.Invitations) != 1 || page.TotalCount != 1 {
		return fmt.Errorf("list by address: %d invitations, total %d; want 1", len(page.Invitations), page.TotalCount)
	}
	got := page.Invitations[0]
	return errors.Join(
		expect(got.ID == inv.ID, "listed id %q, want %q", got.ID, inv.ID),
		expect(got.PublicMetadata["source"] == "contract", "public_metadata %v", got.PublicMetadata),
		expect(got.ExpiresAt.Equal(inv.ExpiresAt), "listed expires_at %v, want %v", got.ExpiresAt, inv.ExpiresAt),
		expect(got.Status == invitations.StatusPending, "listed status %q", got.Status),
	)
}

// near allows for servers that compute expiry from day boundaries or add seconds.
func near(d, want time.Duration) bool {
	return d > want-time.Hour && d < want+time.Hour
}

func duplicate(ctx context.Context, s *session) error {
	addr := s.addr("dup")
	if _, err := s.create(ctx, invitations.CreateParams{EmailAddress: addr}); err != nil {
		return err
	}
	_, err := s.create(ctx, invitations.CreateParams{EmailAddress: addr})
	if !errors.Is(err, invitations.ErrDuplicate) {
		return fmt.Errorf("second create: got %v, want ErrDuplicate", err)
	}
	var apiErr *invitations.APIError
	errors.As(err, &apiErr)
	return expect(apiErr.StatusCode == 400, "duplicate status %d, want 400", apiErr.StatusCode)
}

func ignoreExisting(ctx context.Context, s *session) error {
	addr := s.addr("ignore")
	first, err := s.create(ctx, invitations.CreateParams{EmailAddress: addr})
	if err != nil {
		return err
	}
	second, err := s.create(ctx, invitations.CreateParams{EmailAddress: addr, IgnoreExisting: invitations.Ptr(true)})
	if err != nil {
		return fmt.Errorf("create with ignore_existing: %w", err)
	}
	return expect(second.ID != first.ID, "ignore_existing returned the same invitation %s", first.ID)
}

func bulkCreate(ctx context.Context, s *session) error {
	items := []invitations.CreateParams{
		{EmailAddress: s.addr("bulk"), Notify: invitations.Ptr(false)},
		{EmailAddress: s.addr("bulk"), Notify: invitations.Ptr(false), ExpiresInDays: 3},
		{EmailAddress: s.addr("bulk"), Notify: invitations.Ptr(false), TemplateSlug: invitations.TemplateInvitation},
	}
	got, err := s.client.BulkCreate(ctx, items)
	for _, inv := range got {
		s.remember(inv.ID)
	}
	if err != nil {
		return err
	}
	if len(got) != len(items) {
		return fmt.Errorf("%d invitations back, want %d", len(got), len(items))
	}
	for i := range items {
		if got[i].EmailAddress != items[i].EmailAddress {
			return fmt.Errorf("item %d is %q, want %q", i, got[i].EmailAddress, items[i].EmailAddress)
		}
	}
	return nil
}

func emails(invs []invitations.Invitation) []string {
	out := make([]string, len(invs))
	for i, inv := range invs {
		out[i] = inv.EmailAddress
	}
	return out
}

func listFilters(ctx context.Context, s *session) error {
	var ids []string
	for range 3 {
		inv, err := s.create(ctx, invitations.CreateParams{EmailAddress: s.addr("filter")})
		if err != nil {
			return err
		}
		ids = append(ids, inv.ID)
	}
	if _, err := s.client.Revoke(ctx, ids[0]); err != nil {
		return err
	}
	prefix := s.prefix("filter")
	pending, err := s.client.List(ctx, invitations.ListParams{Query: prefix, Statuses: []invitations.Status{invitations.StatusPending}})
	if err != nil {
		return err
	}
	revoked, err := s.client.List(ctx, invitations.ListParams{Query: prefix, Statuses: []invitations.Status{invitations.StatusRevoked}})
	if err != nil {
		return err
	}
	both, err := s.client.List(ctx, invitations.ListParams{Query: prefix, Statuses: []invitations.Status{invitations.StatusPending, invitations.StatusRevoked}})
	if err != nil {
		return err
	}
	byID, err := s.client.List(ctx, invitations.ListParams{Query: ids[2]})
	if err != nil {
		return err
	}
	return errors.Join(
		expect(pending.TotalCount == 2, "pending: total %d, want 2", pending.TotalCount),
		expect(revoked.TotalCount == 1 && len(revoked.Invitations) == 1 && revoked.Invitations[0].ID == ids[0], "revoked: %v", emails(revoked.Invitations)),
		expect(both.TotalCount == 3, "pending+revoked: total %d, want 3", both.TotalCount),
		expect(len(byID.Invitations) == 1 && byID.Invitations[0].ID == ids[2], "query by id: %v", emails(byID.Invitations)),
	)
}

func listHidesRevoked(ctx context.Context, s *session) error {
	var ids []string
	for range 2 {
		inv, err := s.create(ctx, invitations.CreateParams{EmailAddress: s.addr("hidden")})
		if err != nil {
			return err
		}
		ids = append(ids, inv.ID)
	}
	if _, err := s.client.Revoke(ctx, ids[0]); err != nil {
		return err
	}
	prefix := s.prefix("hidden")
	unfiltered, err := s.client.List(ctx, invitations.ListParams{Query: prefix})
	if err != nil {
		return err
	}
	revoked, err := s.client.List(ctx, invitations.ListParams{Query: prefix, Statuses: []invitations.Status{invitations.StatusRevoked}})
	if err != nil {
		return err
	}
	return errors.Join(
		expect(len(unfiltered.Invitations) == 1 && unfiltered.Invitations[0].ID == ids[1], "unfiltered: %v, want only the pending one", emails(unfiltered.Invitations)),
		expect(unfiltered.TotalCount == 1, "unfiltered: total_count %d, want 1", unfiltered.TotalCount),
		expect(revoked.TotalCount == 1 && len(revoked.Invitations) == 1 && revoked.Invitations[0].ID == ids[0], "status=revoked: total_count %d, want 1", revoked.TotalCount),
	)
}

func queryIgnoresCase(ctx context.Context, s *session) error {
	addr := s.addr("case")
	at := strings.IndexByte(addr, '@')
	mixed := strings.ToUpper(addr[:1]) + addr[1:at] + strings.ToUpper(addr[at:])
	inv, err := s.create(ctx, invitations.CreateParams{EmailAddress: mixed})
	if err != nil {
		return err
	}
	found, err := lifecycle.New(s.client).FindByEmail(ctx, strings.ToLower(mixed))
	if err != nil {
		return err
	}
	return expect(len(found) == 1 && found[0].ID == inv.ID, "query %q found %v, want the invitation for %q", strings.ToLower(mixed), emails(found), mixed)
}

func listOrder(ctx context.Context, s *session) error {
	var created []string
	for range 3 {
		inv, err := s.create(ctx, invitations.CreateParams{EmailAddress: s.addr("order")})
		if err != nil {
			return err
		}
		created = append(created, inv.EmailAddress)
	}
	asc, err := s.client.List(ctx, invitations.ListParams{Query: s.prefix("order"), OrderBy: "+email_address"})
	if err != nil {
		return err
	}
	desc, err := s.client.List(ctx, invitations.ListParams{Query: s.prefix("order"), OrderBy: "-email_address"})
	if err != nil {
		return err
	}
	want := slices.Clone(created)
	slices.Sort(want)
	reversed := slices.Clone(want)
	slices.Reverse(reversed)
	return errors.Join(
		expect(slices.Equal(emails(asc.Invitations), want), "ascending: %v, want %v", emails(asc.Invitations), want),
		expect(slices.Equal(emails(desc.Invitations), reversed), "descending: %v, want %v", emails(desc.Invitations), reversed),
	)
}

func listPaging(ctx context.Context, s *session) error {
	items := make([]invitations.CreateParams, 5)
	for i := range items {
		items[i] = invitations.CreateParams{EmailAddress: s.addr("page"), Notify: invitations.Ptr(false)}
	}
	got, err := s.client.BulkCreate(ctx, items)
	for _, inv := range got {
		s.remember(inv.ID)
	}
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	p := invitations.ListParams{Query: s.prefix("page"), Limit: 2, OrderBy: "email_address"}
	for p.Offset = 0; p.Offset < 10; p.Offset += 2 {
		page, err := s.client.List(ctx, p)
		if err != nil {
			return err
		}
		if page.TotalCount != 5 {
			return fmt.Errorf("offset %d: total_count %d, want 5", p.Offset, page.TotalCount)
		}
		if want := min(2, max(0, 5-p.Offset)); len(page.Invitations) != want {
			return fmt.Errorf("offset %d: %d invitations, want %d", p.Offset, len(page.Invitations), want)
		}
		for _, inv := range page.Invitations {
			if seen[inv.ID] {
				return fmt.Errorf("offset %d: %s seen twice", p.Offset, inv.EmailAddress)
			}
			seen[inv.ID] = true
		}
	}
	n := 0
	for _, err := range s.client.All(ctx, invitations.ListParams{Query: s.prefix("page"), Limit: 2}) {
		if err != nil {
			return err
		}
		n++
	}
	return errors.Join(
		expect(len(seen) == 5, "walked %d distinct invitations, want 5", len(seen)),
		expect(n == 5, "All yielded %d, want 5", n),
	)
}

func revoke(ctx context.Context, s *session) error {
	inv, err := s.create(ctx, invitations.CreateParams{EmailAddress: s.addr("revoke")})
	if err != nil {
		return err
	}
	revoked, err := s.client.Revoke(ctx, inv.ID)
	if err != nil {
		return err
	}
	if err := expect(revoked.Status == invitations.StatusRevoked && revoked.ID == inv.ID, "revoked: %+v", revoked); err != nil {
		return err
	}
	if _, err := s.client.Revoke(ctx, inv.ID); !errors.Is(err, invitations.ErrAlreadyRevoked) {
		return fmt.Errorf("second revoke: got %v, want ErrAlreadyRevoked", err)
	}
	if _, err := s.client.Revoke(ctx, "inv_contract"+s.tag+"unknown"); !errors.Is(err, invitations.ErrNotFound) {
		return fmt.Errorf("unknown id: got %v, want ErrNotFound", err)
	}
	return nil
}

func deleteInvitation(ctx context.Context, s *session) error {
	addr := s.addr("delete")
	pending, err := s.create(ctx, invitations.CreateParams{EmailAddress: addr})
	if err != nil {
		return err
	}
	if err := s.client.Delete(ctx, pending.ID); err != nil {
		return fmt.Errorf("delete a pending invitation: %w", err)
	}
	s.forget(pending.ID)
	every := []invitations.Status{invitations.StatusPending, invitations.StatusAccepted, invitations.StatusRevoked, invitations.StatusExpired}
	page, err := s.client.List(ctx, invitations.ListParams{Query: pending.ID, Statuses: every})
	if err != nil {
		return err
	}
	if err := expect(page.TotalCount == 0, "a deleted invitation is still listed (total_count %d)", page.TotalCount); err != nil {
		return err
	}
	var errs []error
	if err := s.client.Delete(ctx, pending.ID); !errors.Is(err, invitations.ErrNotFound) {
		errs = append(errs, fmt.Errorf("delete it again: got %v, want ErrNotFound", err))
	}
	if _, err := s.client.Revoke(ctx, pending.ID); !errors.Is(err, invitations.ErrNotFound) {
		errs = append(errs, fmt.Errorf("revoke it: got %v, want ErrNotFound", err))
	}
	// The address no longer counts as invited: a new invitation is not a duplicate.
	again, err := s.create(ctx, invitations.CreateParams{EmailAddress: addr})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("invite the address again: %w", err))...)
	}
	// Any status can be deleted: a revoked one too.
	if _, err := s.client.Revoke(ctx, again.ID); err != nil {
		return errors.Join(append(errs, err)...)
	}
	if err := s.client.Delete(ctx, again.ID); err != nil {
		errs = append(errs, fmt.Errorf("delete a revoked invitation: %w", err))
	} else {
		s.forget(again.ID)
	}
	return errors.Join(errs...)
}

func wrongKey(ctx context.Context, s *session) error {
	bad, err := invitations.New("sk_test_contractWrongKey"+s.tag, invitations.WithBaseURL(s.target.BaseURL), invitations.WithHTTPClient(s.raw))
	if err != nil {
		return err
	}
	_, err = bad.List(ctx, invitations.ListParams{Limit: 1})
	if !errors.Is(err, invitations.ErrUnauthorized) {
		return fmt.Errorf("got %v, want ErrUnauthorized", err)
	}
	return expect(!strings.Contains(err.Error(), "WrongKey"), "the error text contains the key: %v", err)
}

func rawInvalid(ctx context.Context, s *session) error {
	addr := s.addr("raw")
	cases := []struct {
		name, method, path, body string
		status                   int
		code, param              string
	}{
		{"malformed JSON", "POST", "/invitations", `{"email_address":`, 400, "request_body_invalid", ""},
		{"missing email_address", "POST", "/invitations", `{"notify":false}`, 422, "form_param_missing", "email_address"},
		{"invalid email_address", "POST", "/invitations", `{"email_address":"not-an-address","notify":false}`, 422, "form_param_format_invalid", "email_address"},
		{"unknown field", "POST", "/invitations", fmt.Sprintf(`{"email_address":%q,"notify":false,"role":"admin"}`, addr), 422, "form_param_unknown", "role"},
		{"expires_in_days 0", "POST", "/invitations", fmt.Sprintf(`{"email_address":%q,"notify":false,"expires_in_days":0}`, addr), 422, "form_param_value_invalid", "expires_in_days"},
		{"redirect_url with a javascript: scheme", "POST", "/invitations", fmt.Sprintf(`{"email_address":%q,"notify":false,"redirect_url":"javascript:alert(1)"}`, addr), 422, "invalid_url_scheme", "redirect_url"},
		{"limit 0", "GET", "/invitations?" + url.Values{"limit": {"0"}}.Encode(), "", 422, "form_param_value_invalid", "limit"},
	}
	var errs []error
	for _, tc := range cases {
		r, err := s.send(ctx, tc.method, tc.path, tc.body)
		if err == nil {
			err = r.expectCode(tc.status, tc.code, tc.param)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", tc.name, err))
		}
	}
	return errors.Join(errs...)
}

func bulkOf(s *session, n int) string {
	out := "["
	for i := range n {
		if i > 0 {
			out += ","
		}
		out += fmt.Sprintf(`{"email_address":%q,"notify":false}`, s.addr("rawbulk"))
	}
	return out + "]"
}

// rawCase sends one raw request and checks the answer's status, code and meta.param_name.
func rawCase(ctx context.Context, s *session, method, path, body string, status int, code, param string) error {
	r, err := s.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	return r.expectCode(status, code, param)
}

func bulkOverTen(ctx context.Context, s *session) error {
	return rawCase(ctx, s, "POST", "/invitations/bulk", bulkOf(s, 11), 400, "bulk_size_exceeded", "")
}

func metadataOverBound(ctx context.Context, s *session) error {
	// {"k":"xxx…"} is exactly one byte over the bound; one byte less must be accepted.
	over := fmt.Sprintf(`{"email_address":%q,"notify":false,"public_metadata":{"k":"%s"}}`, s.addr("meta"), strings.Repeat("x", rules.MaxMetadataBytes-7))
	if err := rawCase(ctx, s, "POST", "/invitations", over, 422, "form_param_exceeds_allowed_size", "public_metadata"); err != nil {
		return fmt.Errorf("one byte over: %w", err)
	}
	at := fmt.Sprintf(`{"email_address":%q,"notify":false,"public_metadata":{"k":"%s"}}`, s.addr("meta"), strings.Repeat("x", rules.MaxMetadataBytes-8))
	r, err := s.send(ctx, "POST", "/invitations", at)
	if err != nil {
		return err
	}
	return expect(r.Status == 200, "exactly at the bound: status %d, want 200 (body %.200s)", r.Status, r.Body)
}

func nullMetadata(ctx context.Context, s *session) error {
	body := fmt.Sprintf(`{"email_address":%q,"notify":false,"public_metadata":null}`, s.addr("null"))
	return rawCase(ctx, s, "POST", "/invitations", body, 422, "form_param_format_invalid", "public_metadata")
}

func invisibleCharacter(ctx context.Context, s *session) error {
	body := fmt.Sprintf(`{"email_address":%q,"notify":false}`, "\ufeff"+s.addr("bom"))
	return rawCase(ctx, s, "POST", "/invitations", body, 422, "form_param_format_invalid", "email_address")
}

func hasUser(s *session) string {
	if s.target.ExistingUser == "" {
		return "needs the address of a user of the instance (CLERK_CONTRACT_USER_EMAIL)"
	}
	return ""
}

func existingUser(ctx context.Context, s *session) error {
	if s.rec != nil {
		s.rec.Action("user_exists", s.target.ExistingUser)
	}
	body := fmt.Sprintf(`{"email_address":%q,"notify":false}`, s.target.ExistingUser)
	return rawCase(ctx, s, "POST", "/invitations", body, 422, "form_identifier_exists", "email_address")
}

func canExpire(s *session) string {
	if s.target.Expire == nil {
		return "an invitation expires a day after its creation at the soonest; only the embedded Clerk can expire one now"
	}
	return ""
}

func revokeExpired(ctx context.Context, s *session) error {
	inv, err := s.create(ctx, invitations.CreateParams{EmailAddress: s.addr("expired")})
	if err != nil {
		return err
	}
	if s.rec != nil {
		s.rec.Action("expire", inv.ID)
	}
	if err := s.target.Expire(inv.ID); err != nil {
		return err
	}
	r, err := s.send(ctx, "POST", "/invitations/"+inv.ID+"/revoke", "")
	if err != nil {
		return err
	}
	return r.expectCode(400, "invitation_already_expired", "")
}

func bulkBadItem(ctx context.Context, s *session) error {
	good := s.addr("bulkbad")
	body := fmt.Sprintf(`[{"email_address":%q,"notify":false},{"email_address":"not-an-address","notify":false}]`, good)
	r, err := s.send(ctx, "POST", "/invitations/bulk", body)
	if err != nil {
		return err
	}
	if err := r.expectCode(422, "form_param_format_invalid", "email_address"); err != nil {
		return err
	}
	if got := fmt.Sprint(r.Errors[0].Meta["index"]); got != "1" {
		return fmt.Errorf("meta.index %s, want 1 (meta %v)", got, r.Errors[0].Meta)
	}
	page, err := s.client.List(ctx, invitations.ListParams{Query: good})
	if err != nil {
		return err
	}
	return expect(page.TotalCount == 0, "the good item of a refused bulk create was created")
}
