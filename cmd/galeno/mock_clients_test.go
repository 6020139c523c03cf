package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/gen"
	"github.com/galeno-health/galeno/internal/testutil"
	"github.com/galeno-health/galeno/mock"
)

// The clients shipped for integrators (gen/typescript, gen/postman, docs/galeno.http), checked
// against galeno mock. The npm tools come from `npm ci` (make test installs them).

const repoRoot = "../.."

// nodeTool is the path of an npm-installed tool; without node_modules the test is skipped, except in CI.
func nodeTool(t *testing.T, name string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join(repoRoot, "node_modules", ".bin", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed: run npm ci (make test does)", name)
		}
		t.Skipf("%s is not installed: run npm ci (make test does)", name)
	}
	return path
}

// runTool runs a command from the repository's root and fails the test with its output when it fails.
func runTool(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestTypeScriptClientCallsTheMock(t *testing.T) {
	tsc := nodeTool(t, "tsc")
	// --strict is in gen/typescript/tsconfig.json; the build type-checks the README's examples too.
	runTool(t, nil, tsc, "-p", "gen/typescript")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log testutil.SyncBuffer
	base, _ := startMock(t, ctx, mock.Options{}, &log)
	out := runTool(t, []string{"GALENO_MOCK_URL=" + base}, "node", "--test", "gen/typescript/dist/test/")
	if !regexp.MustCompile(`(?m)^# pass [1-9]\d*$`).MatchString(out) || !strings.Contains(out, "# fail 0") {
		t.Fatalf("node --test:\n%s", out)
	}
}

func TestREADMEShowsTheTypeScriptExampleVerbatim(t *testing.T) {
	example, err := os.ReadFile(filepath.Join(repoRoot, "gen/typescript/examples/readme.ts"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```ts\n"+string(example)+"```\n") {
		t.Fatal("README.md does not show gen/typescript/examples/readme.ts verbatim in a ts block")
	}
}

func TestPostmanCollectionRunsAgainstTheMock(t *testing.T) {
	newman := nodeTool(t, "newman")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log testutil.SyncBuffer
	base, _ := startMock(t, ctx, mock.Options{}, &log)
	// The collection's own test fails a request answered 401, 403 or 5xx.
	out := runTool(t, nil, newman, "run", "gen/postman/galeno.postman_collection.json",
		"--env-var", "baseUrl="+base, "--reporters", "cli", "--color", "off", "--disable-unicode")
	if !regexp.MustCompile(`requests\s+│\s+31\s+│\s+0\s+│|requests\s+\|\s+31\s+\|\s+0\s+\|`).MatchString(out) {
		t.Fatalf("newman did not run the 31 operations without failure:\n%s", out)
	}
}

func TestHTTPFileHasEveryOperation(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(repoRoot, "docs/galeno.http"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := gen.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	params := regexp.MustCompile(`\\\{[^}]+\\\}`)
	count := 0
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			count++
			url := params.ReplaceAllString(regexp.QuoteMeta(path), `[^/?\s]+`)
			request := regexp.MustCompile(`(?m)^### ` + op.OperationID + `: .*\n` + method + ` \{\{baseUrl\}\}` + url + `(\?\S*)?$`)
			if !request.Match(text) {
				t.Errorf("docs/galeno.http has no request for %s (%s %s)", op.OperationID, method, path)
			}
		}
	}
	if got := strings.Count(string(text), "\n### "); got != count {
		t.Errorf("docs/galeno.http has %d requests, the contract %d operations", got, count)
	}
}

// gen/client is for integrators: importing it must not pull in the server's echo or kin-openapi.
func TestGoClientPackageImportsNoServer(t *testing.T) {
	deps := runTool(t, nil, "go", "list", "-deps", "./gen/client")
	if !strings.Contains(deps, "github.com/galeno-health/galeno/gen/client") {
		t.Fatalf("go list -deps ./gen/client:\n%s", deps)
	}
	for _, server := range []string{"github.com/labstack/echo", "github.com/getkin/kin-openapi"} {
		if strings.Contains(deps, server) {
			t.Errorf("gen/client depends on %s", server)
		}
	}
}
