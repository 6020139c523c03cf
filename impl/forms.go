package impl

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// How the generated binding reads form bodies.

const formContentType = "application/x-www-form-urlencoded"

// bindValidatedFormOnly makes a form body's own fields the only form values the generated binding
// sees. It reads Go's r.Form, which also merges the URL query, so `edit/?password=x` with a valid
// body would otherwise reach the handler unvalidated: the validator checks the query only for the
// operation's query parameters, and the body only as sent.
func bindValidatedFormOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || !strings.HasPrefix(r.Header.Get(echo.HeaderContentType), formContentType) {
			return next(c)
		}
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return fmt.Errorf("impl: read form body: %w", err)
		}
		values, err := url.ParseQuery(string(raw))
		if err != nil {
			return &Error{Status: http.StatusBadRequest, Message: "Malformed form body", Err: err}
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		r.PostForm, r.Form = values, values
		return next(c)
	}
}
