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
// # Errors
//
// Every method takes a context first and checks its input before sending anything, returning a
// *ValidationError that names the field (and never quotes the value). A response with a non-2xx
// status becomes an *APIError, which matches the package's sentinel errors (ErrDuplicate,
// ErrNotFound, ErrRateLimited, …) with errors.Is. A call that got no usable answer fails with a
// *TransportError, wrapping the cause (errors.Is(err, context.DeadlineExceeded) works); a 2xx
// answer the client cannot use (not JSON, undecodable, over 16 MiB, not what was asked, an
// invitation without its id, address, status or object) with a *ResponseError. All three carry
// the number of attempts, and match ErrOutcomeUnknown when the call was a write that may have
// taken effect without the client being able to find out.
//
// # Retries
//
// A call is sent again, up to WithRetries times (DefaultRetries), after a 429, a 502, 503 or
// 504, or a connection failure, with exponential backoff and full jitter; a 429's Retry-After,
// in seconds or as a date, is waited instead, unless it is longer than WithMaxRetryWait, when
// the call ends at once with ErrRateLimited and APIError.RetryAfter set. Every wait ends with
// the context. Other statuses, 500 included, are not retried.
//
// Creating, revoking and deleting have no idempotency key, so a failure after the request went
// out — the connection dropped, the answer was cut short, a proxy answered 502/503/504 — leaves
// open whether the server acted. The client never guesses:
//
//   - Create and BulkCreate send the call again only without IgnoreExisting, when Clerk refuses
//     a repeat with duplicate_record instead of inviting twice. A duplicate_record for an
//     invitation the call itself made is its success: the client looks up the pending
//     invitations for the address(es) created since the call began (exact, case-insensitive
//     matches, on the server's clock) and returns them. With IgnoreExisting, a repeat would
//     invite twice, so the call is not sent again after such a failure; the client looks the
//     invitation up instead, returns it when found, and otherwise fails with ErrOutcomeUnknown.
//   - Revoke sends the call again; an invitation_already_revoked after an unanswered attempt
//     means that attempt revoked it, and the revoked invitation is returned.
//   - Delete sends the call again; a 404 after an unanswered attempt means that attempt deleted
//     it, and Delete succeeds. So does a final lookup that no longer finds the invitation.
//   - List is a read and is simply retried.
//
// So a call never creates an invitation twice, and never reports failure for one it did
// create, revoke or delete, while it can ask the server; an error matching ErrOutcomeUnknown
// says the client could not (its context ended, or the lookup failed). A failure before the
// request was sent — the connection refused, DNS failing — is safe to retry for every call.
// WithRetries(0) sends every call once; the lookups after an ambiguous failure still run.
//
// # Pacing
//
// Clerk allows 100 creates and 25 bulk creates an hour per instance, and 100 (development) or
// 1000 (production) calls in any 10 seconds. WithPacing(DevelopmentBudgets()) makes a client
// wait before each attempt until it fits those budgets, counting the calls of all its
// goroutines, and hold an operation back after a 429 until its Retry-After has passed. Those
// waits are bounded only by the context.
//
// # Security
//
// The secret key never appears in an error, a log line, or a printed Client or error value:
// Client.String masks it, and should a proxy echo it, it is removed from every field of an
// *APIError (escaped or not), a *ResponseError's body and the trace ids WithLogger logs. Plain
// http is refused for hosts other than loopback unless WithInsecureHTTP is given
// (ErrInsecureBaseURL). A redirect to another host or scheme never carries the Authorization
// header. WithLogger logs one record per attempt (operation, attempt, status, duration, trace
// id, the wait before a retry) and never a body, a query string, an email address or the key.
//
// Package invitationstest starts an in-memory Clerk for tests of code that uses this package,
// with fault injection that can carry a call out and then lose its answer.
package invitations
