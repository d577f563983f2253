package invitations_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
)

// exampleServer starts an embedded Clerk for the examples; a real program calls
// invitations.New(os.Getenv("CLERK_SECRET_KEY")) instead.
func exampleServer() (*invitationstest.Server, func()) {
	srv, err := invitationstest.Start()
	if err != nil {
		panic(err)
	}
	return srv, func() {
		if err := srv.Close(); err != nil {
			fmt.Println(err)
		}
	}
}

func ExampleClient_Create() {
	srv, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	inv, err := srv.Client.Create(ctx, invitations.CreateParams{
		EmailAddress:   "ada@example.com",
		PublicMetadata: map[string]any{"plan": "pro"},
		ExpiresInDays:  7,
		Notify:         invitations.Ptr(false), // no email
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(inv.EmailAddress, inv.Status, inv.ExpiresAt.Sub(inv.CreatedAt))

	_, err = srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "ada@example.com"})
	fmt.Println("duplicate:", errors.Is(err, invitations.ErrDuplicate))
	// Output:
	// ada@example.com pending 168h0m0s
	// duplicate: true
}

func ExampleClient_BulkCreate() {
	srv, stop := exampleServer()
	defer stop()

	created, err := srv.Client.BulkCreate(context.Background(), []invitations.CreateParams{
		{EmailAddress: "grace@example.com"},
		{EmailAddress: "linus@example.com", TemplateSlug: invitations.TemplateWaitlistInvitation},
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for _, inv := range created {
		fmt.Println(inv.EmailAddress, inv.Status)
	}
	// Output:
	// grace@example.com pending
	// linus@example.com pending
}

func ExampleClient_List() {
	srv, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	for _, addr := range []string{"c@example.com", "a@example.com", "b@example.com"} {
		if _, err := srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: addr}); err != nil {
			fmt.Println("error:", err)
			return
		}
	}

	page, err := srv.Client.List(ctx, invitations.ListParams{
		Statuses: []invitations.Status{invitations.StatusPending},
		OrderBy:  "+email_address",
		Limit:    2,
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("total:", page.TotalCount)
	for _, inv := range page.Invitations {
		fmt.Println(inv.EmailAddress)
	}
	// Output:
	// total: 3
	// a@example.com
	// b@example.com
}

func ExampleClient_All() {
	srv, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	for i := range 5 {
		if _, err := srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: fmt.Sprintf("p%d@example.com", i)}); err != nil {
			fmt.Println("error:", err)
			return
		}
	}

	n := 0
	for _, err := range srv.Client.All(ctx, invitations.ListParams{Limit: 2}) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		n++
	}
	fmt.Println("seen:", n)
	// Output:
	// seen: 5
}

func ExampleClient_Revoke() {
	srv, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	inv, err := srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "ada@example.com"})
	if err != nil {
		fmt.Println("error:", err)
		return
	}

	revoked, err := srv.Client.Revoke(ctx, inv.ID)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(revoked.Status)

	_, err = srv.Client.Revoke(ctx, inv.ID)
	fmt.Println("already revoked:", errors.Is(err, invitations.ErrAlreadyRevoked))

	_, err = srv.Client.Revoke(ctx, "inv_unknown")
	fmt.Println("not found:", errors.Is(err, invitations.ErrNotFound))

	_, err = srv.Client.Revoke(ctx, "../users")
	fmt.Println(err)
	// Output:
	// revoked
	// already revoked: true
	// not found: true
	// invitations: invalid invitation_id: contains '.' at byte 0; only letters, digits, '_' and '-' are allowed
}

func ExampleClient_Delete() {
	srv, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	inv, _ := srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "ada@example.com", Notify: invitations.Ptr(false)})
	_, _ = srv.Client.Revoke(ctx, inv.ID)

	// Any status can be deleted; afterwards the invitation is gone for good.
	fmt.Println("deleted:", srv.Client.Delete(ctx, inv.ID) == nil)
	fmt.Println("again:", errors.Is(srv.Client.Delete(ctx, inv.ID), invitations.ErrNotFound))
	// Output:
	// deleted: true
	// again: true
}

// The lookup to make after an ambiguous failure (a timeout, a dropped connection) before
// creating again: Query is a substring match, so only an exact, case-insensitive match counts.
func ExampleClient_List_exactAddress() {
	srv, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	for _, addr := range []string{"bada@example.com", "Ada@Example.com"} {
		_, _ = srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: addr, Notify: invitations.Ptr(false)})
	}

	email := "ada@example.com"
	page, err := srv.Client.List(ctx, invitations.ListParams{
		Query: email, Statuses: []invitations.Status{invitations.StatusPending}, Limit: invitations.MaxLimit,
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("substring matches:", page.TotalCount)
	for _, inv := range page.Invitations {
		if strings.EqualFold(inv.EmailAddress, email) {
			fmt.Println("already invited:", inv.EmailAddress)
		}
	}
	// Output:
	// substring matches: 2
	// already invited: Ada@Example.com
}

func ExampleAPIError() {
	srv, stop := exampleServer()
	defer stop()
	srv.RegisterUser("taken@example.com")

	_, err := srv.Client.Create(context.Background(), invitations.CreateParams{EmailAddress: "taken@example.com"})
	var apiErr *invitations.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code(), apiErr.Errors[0].ParamName)
		fmt.Println("invalid request:", errors.Is(err, invitations.ErrInvalidRequest))
	}
	// Output:
	// 422 form_identifier_exists email_address
	// invalid request: true
}

func ExampleClient_Get() {
	srv, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	inv, _ := srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "ada@example.com", Notify: invitations.Ptr(false)})

	got, err := srv.Client.Get(ctx, inv.ID)
	fmt.Println(got.EmailAddress, err)
	_, err = srv.Client.Get(ctx, "inv_unknown")
	fmt.Println("not found:", errors.Is(err, invitations.ErrNotFound))
	// Output:
	// ada@example.com <nil>
	// not found: true
}
