package impl

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/gen"
)

// TestPanicsAre500sInTheDialectWithoutInternals proves a panicking handler answers a clean 500 in
// its family's dialect, logs the panic, and leaks nothing of it to the client.
func TestPanicsAre500sInTheDialectWithoutInternals(t *testing.T) {
	var logs bytes.Buffer
	s := NewServer(dbtest.SQLite(t), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	e, err := NewEcho(s)
	if err != nil {
		t.Fatal(err)
	}
	e.GET("/api/v2/boom", func(echo.Context) error { panic("secret internals") })
	e.GET("/users/user/boom", func(echo.Context) error { panic("secret internals") })
	for path, want := range map[string]string{
		"/api/v2/boom":     `{"message":"Internal server error"}`,
		"/users/user/boom": `{"data":null,"errors":"Something went wrong on our side; try again later.","message":"Internal server error","success":false}`,
	} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != 500 || strings.TrimSpace(rec.Body.String()) != want {
			t.Errorf("%s: %d %s, want 500 %s", path, rec.Code, rec.Body, want)
		}
	}
	if !strings.Contains(logs.String(), "secret internals") {
		t.Errorf("the panic was not logged: %s", logs.String())
	}
}

// TestRouteTableCoversTheSpec checks the trailing-slash normalisation derived from the spec.
func TestRouteTableCoversTheSpec(t *testing.T) {
	spec, err := gen.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	rt, err := newRouteTable(spec)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"/api/v2/medics":              "/api/v2/medics/",
		"/api/v2/medics/":             "/api/v2/medics/",
		"/api/v2/medics/7":            "/api/v2/medics/7/",
		"/api/v2/memberships/7/":      "/api/v2/memberships/7",
		"/users/":                     "/users",
		"/users/user/3/get_user_info": "/users/user/3/get_user_info/",
		"/v1/institutional/accounts/": "/v1/institutional/accounts",
		"/api/v2/unknown":             "/api/v2/unknown",
		"/api/v2/medics/7/unknown":    "/api/v2/medics/7/unknown",
	}
	for in, want := range cases {
		if got, _ := rt.canonical(in); got != want {
			t.Errorf("canonical(%q) = %q, want %q", in, got, want)
		}
	}
	for _, r := range rt.routes {
		if r.dialect == nil {
			t.Errorf("%s has no dialect", r.path)
		}
	}
}
