// Package invitations is a client for the application invitation endpoints of Clerk's Backend
// API: create one invitation or up to ten at once, list them with filters and paging, revoke one,
// and delete one for good.
//
// Quick start:
//
//	client, err := invitations.New(os.Getenv("CLERK_SECRET_KEY"))
//	if err != nil {
//		return err
//	}
//	inv, err := client.Create(ctx, invitations.CreateParams{
//		EmailAddress: "ada@example.com",
//		Notify:       invitations.Ptr(false), // create it without sending the email
//	})
//	switch {
//	case errors.Is(err, invitations.ErrDuplicate):
//		// a pending invitation exists already
//	case err != nil:
//		return err
//	}
//	fmt.Println(inv.ID, inv.Status)
//
// Every method takes a context first and checks its input before sending anything, returning a
// *ValidationError that names the field. Every response with a non-2xx status becomes an
// *APIError, which matches the package's sentinel errors (ErrDuplicate, ErrNotFound,
// ErrRateLimited, …) with errors.Is. Transport failures are returned wrapped, so
// errors.Is(err, context.DeadlineExceeded) works.
//
// The client does not retry: Clerk's create is not idempotent, and a blind retry can send a
// second email or fail with ErrDuplicate for an invitation the first try created.
//
// Package invitationstest starts an in-memory Clerk for tests of code that uses this package.
package invitations
