// Package loadtest_test holds the long-running proofs that `make test` skips: the soak test here
// (`make soak`) and the server benchmark script beside it (`make bench-server`).
package loadtest_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq" // the "postgres" driver, for creating and dropping the soak database
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
)

// The soak: `clients` integrators send mixed /api/v2 traffic (creates, reads, updates of medics,
// hospitals and memberships) to two `galeno serve` processes sharing one PostgreSQL, which is
// restarted twice mid-run (pg_ctl restart -m fast; then stop -m immediate, a pause, start). It
// checks that outside the outages no request fails, that during them errors are clean 5xx in the
// family's dialect within the client timeout, that both servers' /readyz go 503 and back to 200 on
// their own, and afterwards that every acknowledged write is in the database as acknowledged.
const (
	clients        = 4
	requestTimeout = 10 * time.Second
	maxOpsEach     = 20000
	readyzEvery    = 25 * time.Millisecond
	recoverWithin  = 30 * time.Second
	stoppedFor     = 3 * time.Second
)

func TestSoak(t *testing.T) {
	if os.Getenv("GALENO_SOAK") == "" {
		t.Skip("set GALENO_SOAK=1 to run the soak test (make soak)")
	}
	pgURL, pgctl := requireEnv(t, "GALENO_TEST_PG"), requireEnv(t, "GALENO_TEST_PGCTL")
	bin, err := filepath.Abs(envOr("GALENO_BIN", "../../bin/galeno"))
	if err != nil {
		t.Fatal(err)
	}
	duration, err := time.ParseDuration(envOr("GALENO_SOAK_DURATION", "75s"))
	if err != nil {
		t.Fatalf("GALENO_SOAK_DURATION: %v", err)
	}

	dbURL := soakDatabase(t, pgURL)
	tokens := make([]string, clients)
	for i := range tokens {
		out, err := exec.Command(bin, "admin", "token", "--name", fmt.Sprintf("Soak client %d", i),
			"--email", fmt.Sprintf("client%d@soak.galeno.local", i), "--db", dbURL).Output()
		if err != nil {
			t.Fatalf("galeno admin token: %v", err)
		}
		tokens[i] = strings.TrimSpace(string(out))
	}
	servers := []*server{startServer(t, bin, dbURL, 0), startServer(t, bin, dbURL, 1)}

	ctx, stopTraffic := context.WithCancel(context.Background())
	defer stopTraffic()
	for _, s := range servers {
		go s.watchReadyz(ctx)
	}
	var wg sync.WaitGroup
	cs := make([]*client, clients)
	for i := range cs {
		cs[i] = newClient(t, i, tokens[i], servers)
		wg.Go(func() { cs[i].run(ctx) })
	}

	start := time.Now()
	var outages []outage
	time.Sleep(duration / 4)
	outages = append(outages, causeOutage(t, servers, "pg_ctl restart -m fast", func() {
		pgCtl(t, pgctl, "restart", "-m", "fast", "-w", "-t", "60")
	}))
	time.Sleep(time.Until(start.Add(duration / 2)))
	outages = append(outages, causeOutage(t, servers, "pg_ctl stop -m immediate, start", func() {
		pgCtl(t, pgctl, "stop", "-m", "immediate", "-w", "-t", "60")
		time.Sleep(stoppedFor)
		pgCtl(t, pgctl, "start", "-w", "-t", "60")
	}))
	time.Sleep(time.Until(start.Add(duration)))
	stopTraffic()
	wg.Wait()
	elapsed := time.Since(start)

	var ops []op
	for _, c := range cs {
		ops = append(ops, c.ops...)
	}
	report(t, ops, outages, elapsed)
	checkOps(t, ops, outages)
	for _, s := range servers {
		s.checkReadyz(t, outages)
		s.checkRecovered(t, ops, outages[len(outages)-1].end)
	}
	d, err := db.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, c := range cs {
		c.checkWrites(t, d)
	}
	checkCounts(t, dbURL)
	for _, s := range servers {
		s.stop(t)
	}
}

// soakDatabase creates a database for the soak on the server at serverURL, dropped at the end.
// Commits there are synchronous: `stop -m immediate` kills PostgreSQL like a crash, and an
// acknowledged commit must survive it (db/testpg.sh turns synchronous_commit off for speed).
func soakDatabase(t *testing.T, serverURL string) string {
	admin, err := sql.Open("postgres", serverURL)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("galeno_soak_%d", time.Now().UnixNano())
	for _, stmt := range []string{`CREATE DATABASE ` + name, `ALTER DATABASE ` + name + ` SET synchronous_commit = on`} {
		if _, err := admin.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop soak database: %v", err)
		}
	})
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// pgCtl runs the cluster's pg_ctl wrapper (from db/testpg.sh).
func pgCtl(t *testing.T, pgctl string, args ...string) {
	if out, err := exec.Command(pgctl, args...).CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// outage is a span during which PostgreSQL was down or coming back: from the moment the soak
// began to stop it until both servers' /readyz answered 200 again.
type outage struct {
	name       string
	start, end time.Time
}

// causeOutage runs act (which stops PostgreSQL and brings it back) and waits for both servers to
// report ready again.
func causeOutage(t *testing.T, servers []*server, name string, act func()) outage {
	o := outage{name: name, start: time.Now()}
	act()
	back := time.Now()
	for _, s := range servers {
		if !s.readySince(back, recoverWithin) {
			t.Fatalf("%s: server %d not ready %v after PostgreSQL came back", name, s.index, recoverWithin)
		}
	}
	o.end = time.Now()
	return o
}

func (o outage) overlaps(start, end time.Time) bool { return start.Before(o.end) && end.After(o.start) }

// server is a `galeno serve` process on a loopback port, with what its /readyz said over time.
type server struct {
	index int
	cmd   *exec.Cmd
	base  string
	log   string

	mu     sync.Mutex
	readyz []probe
}

type probe struct {
	at     time.Time
	status int // 0: no answer within the timeout
}

// startServer starts `galeno serve` on a free loopback port and waits until it listens.
func startServer(t *testing.T, bin, dbURL string, index int) *server {
	s := &server{index: index, log: filepath.Join(t.TempDir(), fmt.Sprintf("server%d.log", index))}
	logFile, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	s.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", dbURL)
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = logFile
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill() })
	addr := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			fmt.Fprintln(logFile, lines.Text())
			var entry struct{ Msg, Addr string }
			if json.Unmarshal(lines.Bytes(), &entry) == nil && entry.Msg == "galeno serving" {
				addr <- entry.Addr
			}
		}
	}()
	select {
	case s.base = <-addr:
	case <-time.After(30 * time.Second):
		t.Fatalf("server %d did not start; see %s", index, s.log)
	}
	return s
}

// watchReadyz polls /readyz until ctx ends.
func (s *server) watchReadyz(ctx context.Context) {
	hc := &http.Client{Timeout: 3 * time.Second}
	for ctx.Err() == nil {
		p := probe{at: time.Now()}
		if resp, err := hc.Get(s.base + "/readyz"); err == nil {
			p.status = resp.StatusCode
			resp.Body.Close()
		}
		s.mu.Lock()
		s.readyz = append(s.readyz, p)
		s.mu.Unlock()
		time.Sleep(readyzEvery)
	}
}

// readySince waits up to limit for a /readyz 200 sent after since.
func (s *server) readySince(since time.Time, limit time.Duration) bool {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(readyzEvery) {
		s.mu.Lock()
		ready := slices.ContainsFunc(s.readyz, func(p probe) bool { return p.at.After(since) && p.status == http.StatusOK })
		s.mu.Unlock()
		if ready {
			return true
		}
	}
	return false
}

// checkReadyz wants /readyz to have answered 503 during each outage, and only 200 outside them.
func (s *server) checkReadyz(t *testing.T, outages []outage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range outages {
		var down time.Duration
		var first, last time.Time
		for _, p := range s.readyz {
			if p.status == http.StatusServiceUnavailable && o.overlaps(p.at, p.at) {
				if first.IsZero() {
					first = p.at
				}
				last = p.at
			}
		}
		if first.IsZero() {
			t.Errorf("server %d: /readyz never answered 503 during %q", s.index, o.name)
			continue
		}
		down = last.Sub(first) + readyzEvery
		t.Logf("server %d: /readyz 503 for about %v during %q (outage %v)", s.index, down.Round(10*time.Millisecond),
			o.name, o.end.Sub(o.start).Round(10*time.Millisecond))
	}
	for _, p := range s.readyz {
		inOutage := slices.ContainsFunc(outages, func(o outage) bool { return o.overlaps(p.at, p.at.Add(3*time.Second)) })
		if p.status != http.StatusOK && !inOutage {
			t.Errorf("server %d: /readyz %d at %s, outside the outages", s.index, p.status, p.at.Format(time.StampMilli))
		}
	}
}

// checkRecovered wants the server to have served requests successfully after the last outage.
func (s *server) checkRecovered(t *testing.T, ops []op, after time.Time) {
	n := 0
	for _, o := range ops {
		if o.server == s.index && o.start.After(after) && o.status/100 == 2 {
			n++
		}
	}
	if n == 0 {
		t.Errorf("server %d served no successful request after the last outage", s.index)
	}
}

// stop ends the server with SIGTERM (a graceful shutdown) and checks its log for panics.
func (s *server) stop(t *testing.T) {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("server %d exited with %v", s.index, err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("server %d did not stop within 30 s of SIGTERM", s.index)
	}
	log, err := os.ReadFile(s.log)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(log), `"msg":"panic"`) {
		t.Errorf("server %d panicked; see %s", s.index, s.log)
	}
}

// op is one request of the soak and what became of it.
type op struct {
	kind       string
	server     int
	start, end time.Time
	status     int    // 0 when no response came (transport error or timeout)
	err        string // transport error, or what was wrong with the response
}

// client is one integrator's traffic, and the ledger of what the servers acknowledged to it.
type client struct {
	index   int
	token   string
	servers []*gen.ClientWithResponses
	rng     *rand.Rand
	ops     []op

	hospitals   map[int64]*acked // hospital id → its name
	medics      map[int64]*medicWrites
	memberships map[[2]int64]gen.MembershipType // (medic, hospital) → type
	attempted   int                             // medic creates sent, acknowledged or not
	serial      int
}

// acked is a value the servers acknowledged, with values sent since whose outcome is unknown
// (answered 5xx): the database may hold any of them.
type acked struct {
	value   string
	pending []string
}

func (a *acked) allows(v string) bool { return v == a.value || slices.Contains(a.pending, v) }

type medicWrites struct {
	email    string
	name     acked
	hospital *int64
}

func newClient(t *testing.T, index int, token string, servers []*server) *client {
	c := &client{index: index, token: token, rng: rand.New(rand.NewPCG(uint64(index), 42)),
		hospitals: map[int64]*acked{}, medics: map[int64]*medicWrites{}, memberships: map[[2]int64]gen.MembershipType{}}
	hc := &http.Client{Timeout: requestTimeout}
	for _, s := range servers {
		gc, err := gen.NewClientWithResponses(s.base, gen.WithHTTPClient(hc),
			gen.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
				r.Header.Set("Authorization", "Token "+token)
				return nil
			}))
		if err != nil {
			t.Fatal(err)
		}
		c.servers = append(c.servers, gc)
	}
	return c
}

// run sends requests, one at a time, to a random server, until ctx ends or maxOpsEach.
func (c *client) run(ctx context.Context) {
	for len(c.ops) < maxOpsEach && ctx.Err() == nil {
		switch r := c.rng.IntN(100); {
		case len(c.hospitals) == 0 || r < 3:
			c.createHospital()
		case r < 6:
			c.updateHospital()
		case r < 18:
			c.createMedic()
		case r < 40:
			c.updateMedic()
		case r < 75:
			c.getMedic()
		case r < 90:
			c.listMedics()
		default:
			c.createMembership()
		}
		time.Sleep(time.Duration(2+c.rng.IntN(8)) * time.Millisecond)
	}
}

// response is what the operations below need of a generated client's response.
type response interface{ StatusCode() int }

// call sends one request to a random server and records it. It returns the response when one came
// back; problems with it (an unexpected status, a 5xx outside the dialect) are recorded in the op.
func call[R response](c *client, kind string, send func(ctx context.Context, gc *gen.ClientWithResponses) (R, error), body func(R) []byte, expected ...int) (R, bool) {
	o := op{kind: kind, server: c.rng.IntN(len(c.servers)), start: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	resp, err := send(ctx, c.servers[o.server])
	o.end = time.Now()
	defer func() { c.ops = append(c.ops, o) }()
	if err != nil {
		o.err = err.Error()
		return resp, false
	}
	o.status = resp.StatusCode()
	switch {
	case o.status >= 500:
		var dialect struct {
			Message *string `json:"message"`
		}
		if json.Unmarshal(body(resp), &dialect) != nil || dialect.Message == nil {
			o.err = fmt.Sprintf("%d outside the Prescrypto dialect: %.200s", o.status, body(resp))
		}
	case o.status == http.StatusTooManyRequests: // rate limited: not acknowledged, not an error
	case !slices.Contains(expected, o.status):
		o.err = fmt.Sprintf("unexpected %d: %.300s", o.status, body(resp))
	}
	return resp, true
}

func (c *client) next() int { c.serial++; return c.serial }

func (c *client) anyHospital() (int64, bool) { return pick(c.rng, c.hospitals) }

func (c *client) anyMedic() (int64, bool) { return pick(c.rng, c.medics) }

// pick returns a random key of m.
func pick[V any](rng *rand.Rand, m map[int64]V) (int64, bool) {
	if len(m) == 0 {
		return 0, false
	}
	n := rng.IntN(len(m))
	for k := range m {
		if n == 0 {
			return k, true
		}
		n--
	}
	panic("unreachable")
}

func (c *client) createHospital() {
	name := fmt.Sprintf("Hospital %d-%d", c.index, c.next())
	resp, ok := call(c, "create hospital", func(ctx context.Context, gc *gen.ClientWithResponses) (*gen.CreateHospitalResponse, error) {
		return gc.CreateHospitalWithResponse(ctx, gen.HospitalCreate{Name: name, Patron: "Soak S.A.", Location: "Loopback", Contact: "soak@example.com"})
	}, func(r *gen.CreateHospitalResponse) []byte { return r.Body }, http.StatusCreated)
	if ok && resp.JSON201 != nil {
		c.hospitals[resp.JSON201.Id] = &acked{value: name}
	}
}

func (c *client) updateHospital() {
	id, ok := c.anyHospital()
	if !ok {
		return
	}
	name := fmt.Sprintf("Hospital %d-%d renamed", c.index, c.next())
	resp, ok := call(c, "update hospital", func(ctx context.Context, gc *gen.ClientWithResponses) (*gen.UpdateHospitalResponse, error) {
		return gc.UpdateHospitalWithResponse(ctx, id, gen.HospitalUpdate{Name: &name})
	}, func(r *gen.UpdateHospitalResponse) []byte { return r.Body }, http.StatusCreated)
	c.hospitals[id].record(name, ok && resp.StatusCode() == http.StatusCreated)
}

// record notes a value sent: acknowledged, it replaces every earlier one; otherwise it may or may not be stored.
func (a *acked) record(v string, acknowledged bool) {
	if acknowledged {
		a.value, a.pending = v, nil
	} else {
		a.pending = append(a.pending, v)
	}
}

func (c *client) createMedic() {
	n := c.next()
	email := fmt.Sprintf("medic%d-%d@soak.galeno.local", c.index, n)
	body := gen.MedicCreate{Name: fmt.Sprintf("Medic %d-%d", c.index, n), Email: openapi_types.Email(email),
		Password: ptr("soak password"), Specialty: ptr("General")}
	if h, ok := c.anyHospital(); ok && c.rng.IntN(2) == 0 {
		body.Hospital = &h
	}
	c.attempted++
	resp, ok := call(c, "create medic", func(ctx context.Context, gc *gen.ClientWithResponses) (*gen.CreateMedicResponse, error) {
		return gc.CreateMedicWithResponse(ctx, body)
	}, func(r *gen.CreateMedicResponse) []byte { return r.Body }, http.StatusCreated)
	if ok && resp.JSON201 != nil {
		c.medics[resp.JSON201.Id] = &medicWrites{email: email, name: acked{value: body.Name}, hospital: body.Hospital}
	}
}

func (c *client) updateMedic() {
	id, ok := c.anyMedic()
	if !ok {
		return
	}
	name := fmt.Sprintf("Medic %d-%d renamed", c.index, c.next())
	resp, ok := call(c, "update medic", func(ctx context.Context, gc *gen.ClientWithResponses) (*gen.UpdateMedicResponse, error) {
		return gc.UpdateMedicWithResponse(ctx, id, gen.MedicUpdate{Name: &name})
	}, func(r *gen.UpdateMedicResponse) []byte { return r.Body }, http.StatusAccepted)
	c.medics[id].name.record(name, ok && resp.StatusCode() == http.StatusAccepted)
}

// getMedic reads a medic back, from either server: it must show a name the database may hold.
func (c *client) getMedic() {
	id, ok := c.anyMedic()
	if !ok {
		return
	}
	resp, ok := call(c, "get medic", func(ctx context.Context, gc *gen.ClientWithResponses) (*gen.GetMedicResponse, error) {
		return gc.GetMedicWithResponse(ctx, id)
	}, func(r *gen.GetMedicResponse) []byte { return r.Body }, http.StatusOK)
	if ok && resp.JSON200 != nil && !c.medics[id].name.allows(resp.JSON200.Name) {
		c.ops[len(c.ops)-1].err = fmt.Sprintf("medic %d read as %q, acknowledged %q", id, resp.JSON200.Name, c.medics[id].name.value)
	}
}

// listMedics reads the first page: its count must lie between the acknowledged and attempted creates.
func (c *client) listMedics() {
	resp, ok := call(c, "list medics", func(ctx context.Context, gc *gen.ClientWithResponses) (*gen.ListMedicsResponse, error) {
		return gc.ListMedicsWithResponse(ctx, &gen.ListMedicsParams{Limit: ptr(5)})
	}, func(r *gen.ListMedicsResponse) []byte { return r.Body }, http.StatusOK)
	if ok && resp.JSON200 != nil {
		if n := resp.JSON200.Count; n < 1+len(c.medics) || n > 1+c.attempted {
			c.ops[len(c.ops)-1].err = fmt.Sprintf("count %d, want between %d and %d", n, 1+len(c.medics), 1+c.attempted)
		}
	}
}

// createMembership adds one of the client's medics to one of its hospitals as an inactive MEMBER
// (so that the medic's active hospital stays the one it was created with).
func (c *client) createMembership() {
	medic, ok := c.anyMedic()
	hospital, ok2 := c.anyHospital()
	if !ok || !ok2 {
		return
	}
	key := [2]int64{medic, hospital}
	if _, done := c.memberships[key]; done || (c.medics[medic].hospital != nil && *c.medics[medic].hospital == hospital) {
		return
	}
	resp, ok := call(c, "create membership", func(ctx context.Context, gc *gen.ClientWithResponses) (*gen.CreateMembershipResponse, error) {
		return gc.CreateMembershipWithResponse(ctx, gen.MembershipCreate{Medic: medic, Hospital: hospital,
			TypeMembership: gen.MEMBER, IsActive: ptr(false)})
	}, func(r *gen.CreateMembershipResponse) []byte { return r.Body },
		// 409: an earlier attempt, answered 5xx, had created it after all.
		http.StatusCreated, http.StatusConflict)
	if ok && (resp.StatusCode() == http.StatusCreated || resp.StatusCode() == http.StatusConflict) {
		c.memberships[key] = gen.MEMBER
	}
}

// checkWrites reads every acknowledged write back from the database.
func (c *client) checkWrites(t *testing.T, d *db.DB) {
	ctx := context.Background()
	me, err := d.MedicByToken(ctx, c.token)
	if err != nil {
		t.Fatalf("client %d: %v", c.index, err)
	}
	for id, h := range c.hospitals {
		got, err := d.MemberHospital(ctx, me.ID, id)
		switch {
		case err != nil:
			t.Errorf("client %d: acknowledged hospital %d: %v", c.index, id, err)
		case !h.allows(got.Name) || got.TypeMembership != db.Admin:
			t.Errorf("client %d: hospital %d is %q (%s), acknowledged %q as ADMIN", c.index, id, got.Name, got.TypeMembership, h.value)
		}
	}
	for id, m := range c.medics {
		got, err := d.MedicByID(ctx, id)
		switch {
		case err != nil:
			t.Errorf("client %d: acknowledged medic %d: %v", c.index, id, err)
		case got.Email != m.email || !m.name.allows(got.Name) || got.OwnerID == nil || *got.OwnerID != me.ID ||
			!equalPtr(got.HospitalID, m.hospital):
			t.Errorf("client %d: medic %d is %s %q owned by %s in hospital %s; acknowledged %s %q owned by %d in %s",
				c.index, id, got.Email, got.Name, show(got.OwnerID), show(got.HospitalID), m.email, m.name.value, me.ID, show(m.hospital))
		}
	}
	for key, typ := range c.memberships {
		got, err := d.MembershipOf(ctx, key[0], key[1])
		if err != nil || string(got.TypeMembership) != string(typ) {
			t.Errorf("client %d: acknowledged membership of medic %d in hospital %d: %v %+v", c.index, key[0], key[1], err, got)
		}
	}
	t.Logf("client %d: checked %d hospitals, %d medics, %d memberships acknowledged", c.index,
		len(c.hospitals), len(c.medics), len(c.memberships))
}

// checkCounts wants every medic's kept count of the medics it created (migration 00005) to equal
// the real one after the restarts.
func checkCounts(t *testing.T, dbURL string) {
	conn, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var wrong int
	err = conn.QueryRow(`SELECT count(*) FROM medic_owned_counts c
		WHERE c.medics <> (SELECT count(*) FROM medics m WHERE m.owner_id = c.owner_id)`).Scan(&wrong)
	if err != nil || wrong != 0 {
		t.Errorf("medic_owned_counts: %d wrong counts (%v)", wrong, err)
	}
}

// checkOps wants every request outside the outages answered as expected, and inside them either
// that or a clean 5xx; never a transport error or a timeout.
func checkOps(t *testing.T, ops []op, outages []outage) {
	failures := 0
	for _, o := range ops {
		during := slices.ContainsFunc(outages, func(w outage) bool { return w.overlaps(o.start, o.end) })
		var problem string
		switch {
		case o.err != "":
			problem = o.err
		case o.status >= 500 && !during:
			problem = fmt.Sprintf("%d outside the outages", o.status)
		}
		if problem != "" {
			if failures++; failures <= 20 {
				t.Errorf("%s on server %d at %s (%v): %s", o.kind, o.server, o.start.Format(time.StampMilli),
					o.end.Sub(o.start).Round(time.Millisecond), problem)
			}
		}
	}
	if failures > 20 {
		t.Errorf("… %d failed requests in all", failures)
	}
}

// report logs the traffic: requests by kind and status, inside and outside the outages.
func report(t *testing.T, ops []op, outages []outage, elapsed time.Duration) {
	counts := map[string]int{}
	var slowest time.Duration
	for _, o := range ops {
		where := "outside"
		if slices.ContainsFunc(outages, func(w outage) bool { return w.overlaps(o.start, o.end) }) {
			where = "during"
		}
		status := fmt.Sprint(o.status)
		if o.status == 0 {
			status = "no response"
		}
		counts[fmt.Sprintf("%-17s %-11s %s outages", o.kind, status, where)]++
		slowest = max(slowest, o.end.Sub(o.start))
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests in %v from %d clients to 2 servers (%.0f/s); slowest %v\n", len(ops),
		elapsed.Round(time.Second), clients, float64(len(ops))/elapsed.Seconds(), slowest.Round(time.Millisecond))
	for _, o := range outages {
		fmt.Fprintf(&b, "outage %q: %v until both /readyz were 200 again\n", o.name, o.end.Sub(o.start).Round(10*time.Millisecond))
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "  %6d  %s\n", counts[k], k)
	}
	t.Log("\n" + b.String())
}

func requireEnv(t *testing.T, name string) string {
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run the soak with `make soak` (db/testpg.sh sets it)", name)
	}
	return v
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func ptr[T any](v T) *T { return &v }

// show prints an optional id.
func show(p *int64) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}

func equalPtr[T comparable](a, b *T) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
