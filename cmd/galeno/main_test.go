package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunVersionAndUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "galeno ") {
		t.Fatalf("version: code %d, out %q, err %q", code, out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"frobnicate"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Fatalf("unknown command: code %d, err %q", code, errOut.String())
	}
	if code := run([]string{"version", "--help"}, &out, &errOut); code != 0 {
		t.Fatalf("version --help: code %d", code)
	}
}
