package mock

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The transport hands the handler what net/http would: method, target, headers with every
// value, the body, and takes back status, repeated headers and the body.
func TestServeConvertsRequestsAndAnswers(t *testing.T) {
	ts := serveOnLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		w.Header().Add("X-Echo", r.Method+" "+r.URL.Path+" ?"+r.URL.RawQuery)
		w.Header().Add("X-Echo", strings.Join(r.Header.Values("X-Multi"), "|"))
		w.Header().Add("X-Echo", r.Header.Get("Authorization"))
		w.Header().Add("X-Echo", strconv.FormatInt(r.ContentLength, 10)+" "+r.Proto+" "+r.Host)
		w.Header().Set("Content-Type", "text/plain")
		if r.RemoteAddr == "" || r.RequestURI != "/a/b%20c?x=1&x=2" {
			t.Errorf("RemoteAddr %q, RequestURI %q", r.RemoteAddr, r.RequestURI)
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("got "))
		_, _ = w.Write(body)
	}))
	req, _ := http.NewRequest("PATCH", ts.URL+"/a/b%20c?x=1&x=2", strings.NewReader(`{"k":1}`))
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Set("Authorization", "Token abc")
	res, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	host := strings.TrimPrefix(ts.URL, "http://")
	want := []string{"PATCH /a/b c ?x=1&x=2", "one|two", "Token abc", "7 HTTP/1.1 " + host}
	if res.StatusCode != 201 || string(body) != `got {"k":1}` || !slices.Equal(res.Header.Values("X-Echo"), want) ||
		res.Header.Get("Content-Type") != "text/plain" || res.ContentLength != int64(len(body)) {
		t.Fatalf("got %d %v %q, want 201, X-Echo %q", res.StatusCode, res.Header, body, want)
	}
}

func TestServeHeadKeepsTheLengthAndSendsNoBody(t *testing.T) {
	_, ts := start(t, Options{})
	get := call(t, ts, "GET", "/api/v2/medics/11/", "", token)
	head := call(t, ts, "HEAD", "/api/v2/medics/11/", "", token)
	if head.status != 200 || len(head.body) != 0 || head.header.Get("Content-Length") != strconv.Itoa(len(get.body)) {
		t.Fatalf("HEAD: %d, Content-Length %q, %d body bytes; GET had %d bytes",
			head.status, head.header.Get("Content-Length"), len(head.body), len(get.body))
	}
	preflight := call(t, ts, "OPTIONS", "/api/v2/medics/", "", "Origin: http://app.test", "Access-Control-Request-Method: POST")
	if preflight.status != 204 || len(preflight.body) != 0 {
		t.Fatalf("preflight: %d %q", preflight.status, preflight.body)
	}
}

// A body over the limit reaches the mock, which answers with the operation's own 413, whether
// the client announced its length or sent it in chunks.
func TestServeOversizedBodiesGetTheOperations413(t *testing.T) {
	_, ts := start(t, Options{})
	big := `{"name":"` + strings.Repeat("a", maxBody) + `"}`
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(big)
		if chunked {
			body = io.MultiReader(strings.NewReader(big)) // no length known: sent chunked
		}
		req, _ := http.NewRequest("POST", ts.URL+"/api/v2/medics/", body)
		req.Header.Set("Authorization", "Token abc")
		req.Header.Set("Content-Type", "application/json")
		res, err := ts.client.Do(req)
		if err != nil {
			t.Fatalf("chunked=%v: %v", chunked, err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 413 || string(got) != `{"message":"Request body too large (limit 1 MiB)"}` {
			t.Fatalf("chunked=%v: %d %s", chunked, res.StatusCode, got)
		}
	}
	if a := call(t, ts, "GET", "/api/v2/medics/11/", "", token); a.status != 200 {
		t.Fatalf("after the 413s: %d %s", a.status, a.body)
	}
}

// Paths in the journal must be the mock's own strings, not views of fasthttp's buffers, which
// the next request on any connection overwrites.
func TestServeJournalKeepsEveryPathUnderConcurrency(t *testing.T) {
	_, ts := start(t, Options{})
	const clients, each = 8, 40
	var wg sync.WaitGroup
	want := map[string]int{}
	for c := range clients {
		for i := range each {
			want[fmt.Sprintf("/api/v2/medics/%d/", c*1000+i)]++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v2/medics/%d/", ts.URL, c*1000+i), nil)
				req.Header.Set("Authorization", "Token abc")
				res, err := ts.client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		}()
	}
	wg.Wait()
	var journal struct {
		Requests []struct{ Path string }
	}
	if err := json.Unmarshal(call(t, ts, "GET", "/__mock/requests", "").body, &journal); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range journal.Requests {
		got[e.Path]++
	}
	if len(journal.Requests) != clients*each || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("journal has %d entries; paths differ from those requested: %v", len(journal.Requests), got)
	}
}

func TestServeAnswersMalformedRequestsAndHTTP10(t *testing.T) {
	ts := serveOnLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}))
	exchange := func(raw string) string {
		conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(conn, raw); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		body, _ := io.ReadAll(res.Body)
		return fmt.Sprintf("%d %s", res.StatusCode, body)
	}
	for raw, want := range map[string]string{
		"GET http://x/%zz HTTP/1.1\r\nHost: x\r\n\r\n": "400 Malformed request target",
		"NONSENSE\r\n\r\n":                   "400 Error when parsing request",
		"GET /a HTTP/1.0\r\n\r\n":            "200 HTTP/1.0",
		"GET /a HTTP/1.1\r\nHost: x\r\n\r\n": "200 HTTP/1.1",
	} {
		if got := exchange(raw); got != want {
			t.Errorf("%q: got %q, want %q", raw, got, want)
		}
	}
}

// Cancelling Serve's context stops it accepting, lets the request in flight finish, and
// returns nil.
func TestServeShutsDownGracefully(t *testing.T) {
	inFlight := make(chan struct{})
	addr, stop := startServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inFlight)
		time.Sleep(200 * time.Millisecond)
		_, _ = io.WriteString(w, "finished")
	}))
	answered := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + addr + "/")
		if err != nil {
			answered <- err.Error()
			return
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		answered <- string(body)
	}()
	<-inFlight
	if err := stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if got := <-answered; got != "finished" {
		t.Fatalf("request in flight: %q", got)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("still accepting after shutdown")
	}
}

// A delayed answer does not hold the shutdown up: requests carry Serve's context.
func TestServeShutdownCutsDelaysShort(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr, stop := startServe(t, s)
	answered := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v2/medics/11/", nil)
		req.Header.Set("Authorization", "Token abc")
		req.Header.Set("Prefer", "delay=1m")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- 0
			return
		}
		res.Body.Close()
		answered <- res.StatusCode
	}()
	time.Sleep(100 * time.Millisecond) // the request is waiting out its delay
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if status := <-answered; status != 200 || time.Since(start) > 2*time.Second {
		t.Fatalf("delayed request got %d, %s after the shutdown began", status, time.Since(start))
	}
}

// Browsers send every cookie set on localhost, whatever the port: headers far beyond fasthttp's
// default 4 KB still reach the mock.
func TestServeAcceptsLargeHeaders(t *testing.T) {
	_, ts := start(t, Options{})
	cookies := "sessionid=abc"
	for i := 0; len(cookies) < 40<<10; i++ {
		cookies += fmt.Sprintf("; other_app_%d=%s", i, strings.Repeat("v", 200))
	}
	a := call(t, ts, "GET", "/users/user/search/?query_string=ada", "", "Cookie: "+cookies)
	if a.status != 200 {
		t.Fatalf("with %d bytes of cookies: %d %s", len(cookies), a.status, a.body)
	}
}
