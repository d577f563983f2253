module github.com/clerk-invitations/clerk-invitations-go/bench

go 1.26.0

require (
	github.com/clerk-invitations/clerk-invitations-go v0.0.0
	github.com/clerk/clerk-sdk-go/v2 v2.4.2
)

require (
	github.com/apapsch/go-jsonmerge/v2 v2.0.0 // indirect
	github.com/getkin/kin-openapi v0.153.0 // indirect
	github.com/go-jose/go-jose/v3 v3.0.4 // indirect
	github.com/go-openapi/jsonpointer v0.23.1 // indirect
	github.com/go-openapi/swag/jsonname v0.26.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/oapi-codegen/runtime v1.9.0 // indirect
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
	go.yaml.in/yaml/v4 v4.0.0 // indirect
	golang.org/x/crypto v0.19.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)

replace github.com/clerk-invitations/clerk-invitations-go => ../
