package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// day is the unit of long durations such as --audit-retention 400d.
const day = 24 * time.Hour

// days is a flag of a duration given in days (400d) or as Go writes durations (36h, 90m).
type days time.Duration

// String writes whole days as Nd, anything else as Go does.
func (d *days) String() string {
	if *d > 0 && time.Duration(*d)%day == 0 {
		return strconv.FormatInt(int64(time.Duration(*d)/day), 10) + "d"
	}
	return time.Duration(*d).String()
}

func (d *days) Set(s string) error {
	v, err := parseDays(s)
	if err != nil {
		return err
	}
	*d = days(v)
	return nil
}

// parseDays reads a duration in days (400d) or as Go writes durations (36h, 90m).
func parseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		count, err := strconv.ParseInt(n, 10, 64)
		if err != nil || count < 0 || count > 100*366 {
			return 0, fmt.Errorf("%q is not a duration such as 400d, 36h or 90m", s)
		}
		return time.Duration(count) * day, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 400d, 36h or 90m", s)
	}
	return v, nil
}
