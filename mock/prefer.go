package mock

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// prefs is what the request asks of the mock, from `Prefer: code=404, example=NotFound,
// dynamic=true, seed=7, delay=200ms` or the query forms `__code`, `__example`, `__dynamic`,
// `__seed` and `__delay` (for clients that cannot set headers; the query wins).
type prefs struct {
	code    int
	example string
	dynamic bool
	seed    uint64
	seeded  bool
	delay   time.Duration
	delayed bool
}

// maxDelay caps requested delays so a typo cannot hang a client for hours.
const maxDelay = time.Minute

var preferenceKeys = []string{"code", "example", "dynamic", "seed", "delay"}

func parsePrefs(r *http.Request) (prefs, error) {
	var p prefs
	for _, header := range r.Header["Prefer"] {
		for part := range strings.FieldsFuncSeq(header, func(c rune) bool { return c == ',' || c == ';' }) {
			key, value, _ := strings.Cut(part, "=")
			key = strings.ToLower(strings.TrimSpace(key))
			if err := p.set(key, strings.Trim(strings.TrimSpace(value), `"`)); err != nil {
				return p, fmt.Errorf("header Prefer: %s", err)
			}
		}
	}
	if strings.Contains(r.URL.RawQuery, "__") {
		q := r.URL.Query()
		for _, key := range preferenceKeys {
			if values, ok := q["__"+key]; ok && len(values) > 0 {
				if err := p.set(key, values[0]); err != nil {
					return p, fmt.Errorf("query __%s: %s", key, err)
				}
			}
		}
	}
	return p, nil
}

// set records one preference; keys the mock does not know (return=minimal…) are ignored.
func (p *prefs) set(key, value string) error {
	switch key {
	case "code":
		n, err := strconv.Atoi(value)
		if err != nil || n < 100 || n > 599 {
			return fmt.Errorf("code=%q is not an HTTP status such as 404", value)
		}
		p.code = n
	case "example":
		if value == "" {
			return fmt.Errorf("example= needs an example name")
		}
		p.example = value
	case "dynamic":
		if value == "" {
			p.dynamic = true
			return nil
		}
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("dynamic=%q is not true or false", value)
		}
		p.dynamic = b
	case "seed":
		n, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			return fmt.Errorf("seed=%q is not a non-negative integer", value)
		}
		p.seed, p.seeded = n, true
	case "delay":
		d, err := parseDelay(value)
		if err != nil {
			return err
		}
		p.delay, p.delayed = d, true
	}
	return nil
}

// parseDelay reads a Go duration (200ms, 1.5s) or a bare number of milliseconds.
func parseDelay(value string) (time.Duration, error) {
	d, err := time.ParseDuration(value)
	if err != nil {
		ms, errMS := strconv.ParseFloat(value, 64)
		if errMS != nil {
			return 0, fmt.Errorf("delay=%q is not a duration such as 200ms", value)
		}
		d = time.Duration(ms * float64(time.Millisecond))
	}
	if d < 0 || d > maxDelay {
		return 0, fmt.Errorf("delay=%q must be between 0 and %s", value, maxDelay)
	}
	return d, nil
}
