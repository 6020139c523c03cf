// Package gen holds the code generated from openapi.yaml; nothing in it is edited by hand.
package gen

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../openapi.yaml
