package impl_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The seed corpora of the fuzz targets, in testdata/fuzz/<target>/seed-*: for every operation, the
// authorization matrix's successful request, openapi.yaml's documented request examples (as JSON,
// and as forms where the operation takes them), the request aimed at another principal's object,
// with no credential, with the family's intruder and with another family's credential; and, spread
// over the family's operations, nasty bodies, content types, parameters, queries and headers; and
// for every body operation, body fields in its query string.
// TestFuzzSeedCorporaAreCurrent fails when they drift from this file or the contract; regenerate
// them with `go test ./impl -run TestFuzzSeedCorporaAreCurrent -update-fuzz-corpus`.

var updateFuzzCorpus = flag.Bool("update-fuzz-corpus", false, "rewrite the fuzz seed corpora in testdata/fuzz")

// fuzzTargets maps each fuzz target to its family.
var fuzzTargets = map[string]string{
	"FuzzPrescrypto": familyPrescrypto, "FuzzInstitutional": familyInstitutional,
	"FuzzUsers": familyUsers, "FuzzPatients": familyPatients,
}

// fuzzInput is one input of a fuzz target, its arguments in order.
type fuzzInput struct {
	operation, param, query, contentType, credential, headers, body string
}

// corpusFile encodes the input as `go test -fuzz` reads it.
func (in fuzzInput) corpusFile() []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, s := range []string{in.operation, in.param, in.query, in.contentType, in.credential, in.headers} {
		fmt.Fprintf(&b, "string(%q)\n", s)
	}
	fmt.Fprintf(&b, "[]byte(%q)\n", in.body)
	return b.Bytes()
}

// Nasty inputs, spread over a family's operations.
var (
	nastyBodies = map[string]string{
		"empty":            ``,
		"null":             `null`,
		"array":            `[1,2]`,
		"string":           `"text"`,
		"huge-number":      `1e400`,
		"truncated":        `{"name":`,
		"two-values":       `{} {}`,
		"invalid-utf8":     "{\"name\":\"\xff\xfe\xfd\",\"email\":\"\xc3\x28@example.com\"}",
		"nul":              `{"name":"a\u0000b","username":"a\u0000b","email":"a\u0000@example.com"}`,
		"lone-surrogate":   `{"name":"\ud800","username":"\udfff","email":"\ud800@example.com"}`,
		"deep-array":       strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
		"deep-object":      strings.Repeat(`{"a":`, 3000) + "1" + strings.Repeat("}", 3000),
		"huge-ids":         `{"medic":99999999999999999999999,"hospital":-9223372036854775809,"type_membership":"ADMIN"}`,
		"float-ids":        `{"medic":1.5,"hospital":1e3,"type_membership":"MEMBER"}`,
		"duplicate-keys":   `{"email":"a@example.com","email":"b@example.com","username":"a","username":"b"}`,
		"wrong-types":      `{"name":1,"email":true,"password":[],"hospital":"1","username":{},"dob":7,"doctorSpecialties":"x"}`,
		"unicode-email":    `{"name":"Ñandú","email":"ñandú@exämple.com","username":"ñandú","password":"pässwörd1"}`,
		"long-string":      `{"name":"` + strings.Repeat("a", 5000) + `","username":"` + strings.Repeat("u", 5000) + `"}`,
		"nulls":            `{"name":null,"email":null,"password":null,"hospital":null,"username":null,"dob":null}`,
		"form-in-json":     `username=a&password=%zz`,
		"bad-dates":        `{"date_of_birth":"1992-02-30","birth_date":"0000-00-00","dob":"2999-01-01"}`,
		"proto-pollution":  `{"__proto__":{"admin":true},"constructor":{"prototype":{}}}`,
		"escaped-controls": `{"name":"\b\f\n\r\t\u001f","email":"a\r\nb@example.com"}`,
	}
	nastyContentTypes = []string{"text/plain", "application/json; charset=latin1", "application/json;;;",
		"multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "APPLICATION/JSON",
		"application/json, application/xml", "*/*", "application/merge-patch+json"}
	nastyForms = map[string]string{
		"form-bad-escape":   `username=%zz&password=%`,
		"form-repeated":     `username=a&username=b&password=longpassword1&password=x`,
		"form-booleans":     `username=bool&password=longpassword1&is_staff=maybe&is_active=TRUE`,
		"form-json":         `{"username":"json","password":"longpassword1"}`,
		"form-empty-values": `username=&password=&email=`,
		"form-semicolons":   `username=a;password=b`,
	}
	nastyParams = []string{"0", "-1", "9223372036854775807", "9223372036854775808", "1e3", "0x10", "+1", "%00",
		"%2F", "..%2F..%2F", "$medic%2F", "%20", "ñ", strings.Repeat("1", 400), "acc_", "acc_%00"}
	nastyQueries = []string{"limit=0", "limit=-1", "limit=1e3", "limit=99999999999999999999", "offset=-5",
		"limit=1&limit=2", "limit=%zz", "offset=9223372036854775807", "query_string=", "query_string=%20%20",
		"query_string=%00", "query_string=" + strings.Repeat("a", 300), `query_string=%25_%5C`, "query_string=a&query_string=b"}
	// Body fields in the query string of a body operation: only the body binds (issue 11, item 1).
	nastyBodyQueries = []string{"password=x&numeric_password=1&gender=Z&phone=" + strings.Repeat("1", 300),
		"email=a%0d%0ab%40example.com&name=%00&username=a%00b", "is_staff=True&is_admin=True&is_active=False",
		"hospital=-1&medic=$intruder_medic&type_membership=OWNER", "first_name=%ff%fe&last_name=" + strings.Repeat("l", 5000)}
	nastyHeaders = []string{"Organization: ", "Organization: NorthClinic", "Organization: north#clinic",
		"Organization: " + strings.Repeat("o", 100), "Organization: northclinic\nOrganization: southclinic",
		`Cookie: sessionid="x"; sessionid=y`, "Authorization: Token " + strings.Repeat("t", 5000),
		"Authorization: Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIkcGF0aWVudCJ9.", "Authorization: Token\nAuthorization: Bearer x",
		"Content-Encoding: gzip", "X-Request-ID: ../../etc/passwd", "X-Forwarded-For: 203.0.113.9, 10.0.0.1",
		"Accept: application/xml", "Transfer-Encoding: chunked", "Content-Length: 5"}
)

// objectParams are the placeholders of the owner's and the intruder's object, per path parameter.
var objectParams = map[string][2]string{
	"medic_id": {"$medic", "$intruder_medic"}, "hospital_id": {"$hospital", "$intruder_hospital"},
	"membership_id": {"$membership", "$intruder_membership"}, "account_id": {"$account", "$intruder_account"},
	"user_id": {"$user", "$intruder_user"},
}

// fuzzSeeds returns the seed corpus of a family's fuzz target, by file name.
func fuzzSeeds(t *testing.T, family string) map[string]fuzzInput {
	t.Helper()
	spec := loadSpec(t)
	var ops, bodyOps, paramOps, queryOps, formOps []specOperation
	for _, op := range specOperations(t) {
		if op.family != family {
			continue
		}
		ops = append(ops, op)
		o := spec.Paths.Value(op.path).GetOperation(op.method)
		if o.RequestBody != nil {
			bodyOps = append(bodyOps, op)
			if o.RequestBody.Value.Content[formType] != nil {
				formOps = append(formOps, op)
			}
		}
		if pathParameter.MatchString(op.path) {
			paramOps = append(paramOps, op)
		}
		for _, p := range o.Parameters {
			if p.Value.In == "query" && !slices.Contains(queryOps, op) {
				queryOps = append(queryOps, op)
			}
		}
	}
	var otherFamilies []credential
	for _, c := range (&world{}).credentials() {
		if c.family != family {
			otherFamilies = append(otherFamilies, c)
		}
	}

	seeds := map[string]fuzzInput{}
	owner := map[string]fuzzInput{}
	for i, op := range ops {
		c := authzMatrix[op.id]
		base := fuzzInput{operation: op.id, contentType: c.contentType, credential: c.owner, body: c.body}
		base.param, base.query = splitMatrixPath(op, c.path)
		for _, k := range slices.Sorted(maps.Keys(c.header)) {
			base.headers += k + ": " + c.header.Get(k) + "\n"
		}
		owner[op.id] = base
		seeds[op.id+"-owner"] = base

		o := spec.Paths.Value(op.path).GetOperation(op.method)
		if o.RequestBody != nil {
			for mediaType, media := range o.RequestBody.Value.Content {
				for name, example := range media.Examples {
					in := base
					in.contentType, in.body = mediaType, exampleJSON(t, example.Value.Value)
					seeds[op.id+"-example-"+name] = in
					if o.RequestBody.Value.Content[formType] != nil {
						in.contentType, in.body = formType, exampleForm(example.Value.Value)
						seeds[op.id+"-example-"+name+"-form"] = in
					}
				}
			}
		}
		if names := pathParameter.FindStringSubmatch(op.path); names != nil {
			in := base
			in.param = objectParams[strings.Trim(names[0], "{}")][1]
			seeds[op.id+"-foreign-object"] = in
		}
		in := base
		in.credential = ""
		seeds[op.id+"-no-credential"] = in
		in.credential = intruderOf[family]
		seeds[op.id+"-intruder"] = in
		in.credential = otherFamilies[i%len(otherFamilies)].name
		seeds[op.id+"-other-family"] = in
	}

	spread := func(over []specOperation, i int, name string, edit func(*fuzzInput)) {
		if len(over) == 0 {
			return
		}
		op := over[i%len(over)]
		in := owner[op.id]
		edit(&in)
		seeds[op.id+"-"+name] = in
	}
	for i, name := range slices.Sorted(maps.Keys(nastyBodies)) {
		spread(bodyOps, i, name, func(in *fuzzInput) { in.contentType, in.body = "application/json", nastyBodies[name] })
	}
	for i, name := range slices.Sorted(maps.Keys(nastyForms)) {
		spread(formOps, i, name, func(in *fuzzInput) { in.contentType, in.body = formType, nastyForms[name] })
	}
	for i, ct := range nastyContentTypes {
		spread(bodyOps, i, "content-type-"+strconv.Itoa(i), func(in *fuzzInput) { in.contentType = ct })
	}
	for i, p := range nastyParams {
		spread(paramOps, i, "param-"+strconv.Itoa(i), func(in *fuzzInput) { in.param = p })
	}
	for i, q := range nastyQueries {
		spread(queryOps, i, "query-"+strconv.Itoa(i), func(in *fuzzInput) { in.query = q })
	}
	for _, op := range bodyOps {
		for i, q := range nastyBodyQueries {
			in := owner[op.id]
			in.query = q
			seeds[op.id+"-body-query-"+strconv.Itoa(i)] = in
			if slices.Contains(formOps, op) {
				var fields any
				if err := json.Unmarshal([]byte(in.body), &fields); err != nil {
					t.Fatalf("%s: the matrix body is not JSON: %v", op.id, err)
				}
				in.contentType, in.body = formType, exampleForm(fields)
				seeds[op.id+"-body-query-"+strconv.Itoa(i)+"-form"] = in
			}
		}
	}
	for i, h := range nastyHeaders {
		spread(ops, i, "header-"+strconv.Itoa(i), func(in *fuzzInput) { in.headers += h + "\n" })
	}
	return seeds
}

// splitMatrixPath returns the path parameter and the query of a request of the authorization matrix.
func splitMatrixPath(op specOperation, path string) (param, query string) {
	path, query, _ = strings.Cut(path, "?")
	pattern := regexp.QuoteMeta(op.path)
	pattern = pathParameter.ReplaceAllString(strings.NewReplacer(`\{`, "{", `\}`, "}").Replace(pattern), `([^/]*)`)
	if m := regexp.MustCompile("^" + pattern + "$").FindStringSubmatch(path); len(m) > 1 {
		param = m[1]
	}
	return param, query
}

func exampleJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// exampleForm encodes an example's scalar fields as a form, booleans the Python way (True/False).
func exampleForm(v any) string {
	form := url.Values{}
	fields, _ := v.(map[string]any)
	for name, value := range fields {
		switch x := value.(type) {
		case bool:
			form.Set(name, map[bool]string{true: "True", false: "False"}[x])
		case string:
			form.Set(name, x)
		case float64:
			form.Set(name, strconv.FormatFloat(x, 'f', -1, 64))
		}
	}
	return form.Encode()
}

func TestFuzzSeedCorporaAreCurrent(t *testing.T) {
	for target, family := range fuzzTargets {
		dir := filepath.Join("testdata", "fuzz", target)
		want := fuzzSeeds(t, family)
		if *updateFuzzCorpus {
			stale, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
			for _, f := range stale {
				os.Remove(f)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, in := range want {
				if err := os.WriteFile(filepath.Join(dir, "seed-"+name), in.corpusFile(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		have, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
		for _, f := range have {
			if _, ok := want[strings.TrimPrefix(filepath.Base(f), "seed-")]; !ok {
				t.Errorf("%s is no longer a seed: run go test ./impl -run %s -update-fuzz-corpus", f, t.Name())
			}
		}
		for name, in := range want {
			got, err := os.ReadFile(filepath.Join(dir, "seed-"+name))
			if err != nil || !bytes.Equal(got, in.corpusFile()) {
				t.Errorf("%s/seed-%s is missing or stale: run go test ./impl -run %s -update-fuzz-corpus", dir, name, t.Name())
			}
		}
	}
}
