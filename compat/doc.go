// Package compat drives Clerk's official Go SDK (github.com/clerk/clerk-sdk-go/v2) against the
// embedded Clerk of package invitationstest and checks every answer against Clerk's semantics.
// It is a module of its own so that the library's go.mod never requires the SDK; run it with
// `make compat`.
package compat
