// Package gen holds the code generated from openapi.yaml; nothing in it is edited by hand.
// gen/client is the client and models alone, for integrators (see the top-level client package).
package gen

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../openapi.yaml
//go:generate go tool oapi-codegen -config oapi-codegen-client.yaml ../openapi.yaml
