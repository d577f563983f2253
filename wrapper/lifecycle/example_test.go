package lifecycle_test

import (
	"context"
	"fmt"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
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

func ExampleManager_EnsureInvited() {
	srv, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	for range 2 {
		inv, created, err := lifecycle.New(srv.Client).EnsureInvited(ctx, invitations.CreateParams{EmailAddress: "ada@example.com", Notify: invitations.Ptr(false)})
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Println(inv.EmailAddress, "created:", created)
	}
	// Output:
	// ada@example.com created: true
	// ada@example.com created: false
}

func ExampleManager_FindByEmail() {
	srv, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	for _, addr := range []string{"ada@example.com", "bada@example.com"} {
		_, _ = srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: addr, Notify: invitations.Ptr(false)})
	}

	found, err := lifecycle.New(srv.Client).FindByEmail(ctx, "ADA@example.com", invitations.StatusPending)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for _, inv := range found {
		fmt.Println(inv.EmailAddress, inv.Status)
	}
	// Output: ada@example.com pending
}

// Reissue is the missing "resend": a new invitation with the old one's metadata, the old one
// revoked.
func ExampleManager_Reissue() {
	srv, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	_, _ = srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "ada@example.com", PublicMetadata: map[string]any{"plan": "pro"}, Notify: invitations.Ptr(false)})

	got, err := lifecycle.New(srv.Client).Reissue(ctx, "ada@example.com", lifecycle.ReissueParams{ExpiresInDays: 7})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("old:", got.Old.Status, "new:", got.New.Status, got.New.PublicMetadata["plan"])
	// Output: old: revoked new: pending pro
}

func ExampleManager_RevokeByEmail() {
	srv, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	_, _ = srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "ada@example.com", Notify: invitations.Ptr(false)})

	revoked, err := lifecycle.New(srv.Client).RevokeByEmail(ctx, "ada@example.com")
	fmt.Println(len(revoked), "revoked", err)
	// Output: 1 revoked <nil>
}

// A data-erasure request: every invitation of the address goes, whatever its status.
func ExampleManager_DeleteByEmail() {
	srv, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	first, _ := srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "ada@example.com", Notify: invitations.Ptr(false)})
	_, _ = srv.Client.Revoke(ctx, first.ID)
	_, _ = srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "ada@example.com", Notify: invitations.Ptr(false)})

	deleted, err := lifecycle.New(srv.Client).DeleteByEmail(ctx, "ada@example.com")
	fmt.Println(len(deleted), "deleted", err)
	left, _ := lifecycle.New(srv.Client).FindByEmail(ctx, "ada@example.com")
	fmt.Println(len(left), "left")
	// Output:
	// 2 deleted <nil>
	// 0 left
}

// Inviting a list of any length: de-duplicated, validated, sent ten at a time (paced when the
// client has WithPacing), with a per-address report that can resume an interrupted run.
func ExampleManager_InviteMany() {
	srv, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	srv.RegisterUser("grace@example.com")

	items := []invitations.CreateParams{
		{EmailAddress: "ada@example.com", PublicMetadata: map[string]any{"team": "core"}},
		{EmailAddress: "ADA@example.com "}, // the same person
		{EmailAddress: "grace@example.com"},
		{EmailAddress: "linus@example.com"},
		{EmailAddress: "not an address"},
	}
	for i := range items {
		items[i].Notify = invitations.Ptr(false)
	}
	report, err := lifecycle.New(srv.Client).InviteMany(ctx, items, lifecycle.InviteOptions{})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for _, e := range report.Entries {
		fmt.Println(e.EmailAddress, e.Result, e.Rows)
	}
	// Output:
	// ada@example.com created [0 1]
	// grace@example.com already_user [2]
	// linus@example.com created [3]
	// not an address invalid [4]
}
