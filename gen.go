// Package clerkinvitations holds the contract of this module: openapi.yaml, the description of
// Clerk's application invitation endpoints as the service really behaves, embedded as [Spec].
//
// Applications import the client in package invitations
// (github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations). Package generated holds the
// code oapi-codegen produces from openapi.yaml; regenerate it with `make generate` (or
// `go generate ./...` from this directory) after every change to the document.
package clerkinvitations

import _ "embed"

//go:generate go tool -modfile=tools/go.mod oapi-codegen -config generated/oapi-codegen.yaml openapi.yaml
//go:generate go tool -modfile=tools/go.mod oapi-codegen -config generated/control/oapi-codegen.yaml control.yaml

// Spec is openapi.yaml, the OpenAPI 3.0.3 document that generated/ is built from and that the
// tests validate every request and response against.
//
//go:embed openapi.yaml
var Spec []byte

// ControlSpec is control.yaml, the OpenAPI 3.0.3 document of the embedded Clerk's control plane
// (under /_control/), which generated/control is built from.
//
//go:embed control.yaml
var ControlSpec []byte
