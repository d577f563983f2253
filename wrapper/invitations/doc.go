// Package invitations is a client for the application invitation endpoints of Clerk's Backend
// API: create an invitation (one, or up to ten at once), list them, revoke one, delete one.
// Work built on these calls (inviting an address once and only once, re-sending, inviting
// thousands) is in package lifecycle; an in-memory Clerk for tests is in invitationstest.
//
//	client, err := invitations.New(os.Getenv("CLERK_SECRET_KEY"))
//	if err != nil {
//		return err
//	}
//	inv, err := client.Create(ctx, invitations.CreateParams{
//		EmailAddress: "ada@example.com",
//		Notify:       invitations.Ptr(false), // create it without sending the email
//	})
//	if errors.Is(err, invitations.ErrDuplicate) {
//		return nil // a pending invitation exists already
//	}
//	if err != nil {
//		return err
//	}
//	fmt.Println(inv.ID, inv.Status)
//
// # Errors
//
// Input is checked before anything is sent (*ValidationError). A non-2xx answer is an
// *APIError, matching the sentinels (ErrDuplicate, ErrNotFound, …) with errors.Is; no usable
// answer is a *TransportError, and a 2xx the client cannot use a *ResponseError.
//
// # Retries
//
// A call is sent again, up to WithRetries times, after a 429 (waiting its Retry-After), a 502,
// 503 or 504, or a connection failure, with backoff and full jitter; every wait ends with the
// context. Writes have no idempotency key, so when one may have taken effect unseen (the request
// went out, no usable answer came back), the client sends it again only where Clerk refuses a
// repeat (duplicate_record, already revoked, 404), taking that refusal for its own success, or
// it looks at what the server holds. So no call invites twice, or reports failure for what it
// did, while it can ask Clerk; when it cannot, its error matches ErrOutcomeUnknown.
//
// # Pacing and security
//
// WithPacing keeps a client within Clerk's budgets (100 creates and 25 bulk creates an hour,
// 100 or 1000 calls in any 10 seconds). The secret key never appears in an error, a log line or
// a printed Client, even when a proxy echoes it; plain http is refused off loopback, and a
// redirect to another host or scheme never carries the Authorization header.
package invitations
