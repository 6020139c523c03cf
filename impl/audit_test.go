package impl_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"github.com/galeno-health/galeno/internal/testutil"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/impl"
)

// auditEvents returns the events f selects, oldest first, once those of every answer given are written.
func auditEvents(t testing.TB, ts *testServer, f db.AuditFilter) []db.AuditEvent {
	t.Helper()
	ts.Server.FlushAudit()
	var events []db.AuditEvent
	if err := ts.DB.AuditEvents(context.Background(), f, func(e *db.AuditEvent) error {
		events = append(events, *e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return events
}

// requestEvents returns the events of the request with this X-Request-ID.
func requestEvents(t testing.TB, ts *testServer, requestID string) []db.AuditEvent {
	t.Helper()
	var mine []db.AuditEvent
	for _, e := range auditEvents(t, ts, db.AuditFilter{}) {
		if e.RequestID == requestID {
			mine = append(mine, e)
		}
	}
	return mine
}

func TestAuditRecordsEveryFamilysReadsWritesAndRefusals(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		start := time.Now().Add(-time.Second)
		w := newWorld(t, ts)
		ctx := t.Context()
		integratorMedic, err := ts.DB.MedicByToken(ctx, w.prescryptoToken)
		if err != nil {
			t.Fatal(err)
		}
		intruderMedic, err := ts.DB.MedicByToken(ctx, w.intruderPrescryptoToken)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := ts.DB.InstitutionByKey(ctx, w.institutionKey)
		if err != nil {
			t.Fatal(err)
		}
		owner, intruder := "medic:"+itoa(integratorMedic.ID), "medic:"+itoa(intruderMedic.ID)
		institution, staff := "institution:"+itoa(inst.ID), "user:"+itoa(w.staffUser)
		json := func(h http.Header) http.Header { h.Set("Content-Type", "application/json"); return h }
		cred := func(name string) http.Header { return w.credential(t, name).header.Clone() }

		for _, c := range []struct {
			name, method, path, body string
			header                   http.Header
			operation, family        string
			object, principal        string
			outcome                  int
		}{
			{"read a medic", "GET", "/api/v2/medics/$medic/", "", cred(credPrescrypto), "getMedic", "prescrypto", itoa(w.medic), owner, 200},
			{"read another's medic", "GET", "/api/v2/medics/$medic/", "", cred(credPrescryptoIntruder), "getMedic", "prescrypto", itoa(w.medic), intruder, 404},
			{"read a medic without a token", "GET", "/api/v2/medics/$medic/", "", http.Header{}, "getMedic", "prescrypto", itoa(w.medic), "", 401},
			{"list medics", "GET", "/api/v2/medics/", "", cred(credPrescrypto), "listMedics", "prescrypto", "", owner, 200},
			{"edit a medic", "PATCH", "/api/v2/medics/$medic/", `{"name": "Dr Edited"}`, json(cred(credPrescrypto)), "updateMedic", "prescrypto", itoa(w.medic), owner, 202},
			{"edit another's medic", "PATCH", "/api/v2/medics/$medic/", `{"name": "Dr Intruder"}`, json(cred(credPrescryptoIntruder)), "updateMedic", "prescrypto", itoa(w.medic), intruder, 404},
			{"read a hospital", "GET", "/api/v2/hospital/$hospital/", "", cred(credPrescrypto), "getHospital", "prescrypto", itoa(w.hospital), owner, 200},
			{"read a membership", "GET", "/api/v2/management/memberships/$membership", "", cred(credPrescrypto), "getMembership", "prescrypto", itoa(w.membership), owner, 200},
			{"read an account", "GET", "/v1/institutional/accounts/$account", "", cred(credInstitution), "getInstitutionalAccount", "institutional", w.account, institution, 200},
			{"read an account with a doctor's key", "GET", "/v1/institutional/accounts/$account", "", cred(credDoctor), "getInstitutionalAccount", "institutional", w.account, "", 403},
			{"read another institution's account", "GET", "/v1/institutional/accounts/$intruder_account", "", cred(credInstitution), "getInstitutionalAccount", "institutional", w.intruderAccount, institution, 404},
			{"read a user", "GET", "/users/user/$user/get_user_info/", "", cred(credStaff), "getUserInfo", "users", itoa(w.user), staff, 200},
			{"edit a user", "POST", "/users/user/$target_user/edit/", `{"first_name": "Edited"}`, json(cred(credStaff)), "editUser", "users", itoa(w.targetUser), staff, 200},
			{"deactivate a user", "POST", "/users/user/$target_user/deactivate/", "", cred(credStaff), "deactivateUser", "users", itoa(w.targetUser), staff, 200},
			{"deactivate a user without staff", "POST", "/users/user/$target_user/deactivate/", "", cred(credUser), "deactivateUser", "users", itoa(w.targetUser), "user:" + itoa(w.user), 403},
			{"read oneself as a patient", "GET", "/users/me", "", cred(credPatient), "getCurrentPatient", "patients", "", "patient:" + w.patient, 200},
			{"read oneself with a forged token", "GET", "/users/me", "", http.Header{"Authorization": {"Bearer not.a.jwt"}}, "getCurrentPatient", "patients", "", "", 401},
		} {
			t.Run(c.name, func(t *testing.T) {
				id := "audit-" + strings.ReplaceAll(c.name, " ", "-")
				c.header.Set(impl.HeaderRequestID, id)
				var body *strings.Reader
				if c.body != "" {
					body = strings.NewReader(c.body)
				}
				status, answer := doMaybeBody(t, ts, c.method, w.expand(c.path), c.header.Get("Content-Type"), body, c.header)
				if status != c.outcome {
					t.Fatalf("%d %s", status, answer)
				}
				events := requestEvents(t, ts, id)
				if len(events) != 1 {
					t.Fatalf("want one event for the request, got %+v", events)
				}
				e := events[0]
				if e.Operation != c.operation || e.Family != c.family || e.ObjectID != c.object || e.Principal != c.principal ||
					e.Outcome != c.outcome || e.ClientAddress != "127.0.0.1" || e.At.Before(start) || e.At.After(time.Now()) {
					t.Errorf("event %+v, want %s %s object %q by %q: %d from 127.0.0.1", e, c.family, c.operation, c.object, c.principal, c.outcome)
				}
			})
		}

		// The world's creations and logins, through the API, were recorded with the ids they created.
		for _, want := range []db.AuditEvent{
			{Operation: "createMedic", ObjectID: itoa(w.medic), Principal: owner, Outcome: 201},
			{Operation: "createHospital", ObjectID: itoa(w.hospital), Principal: owner, Outcome: 201},
			{Operation: "createMembership", ObjectID: itoa(w.membership), Principal: owner, Outcome: 201},
			{Operation: "createInstitutionalAccount", ObjectID: w.account, Principal: institution, Outcome: 201},
			{Operation: "createUser", ObjectID: itoa(w.targetUser), Principal: staff, Outcome: 201},
			{Operation: "loginUser", ObjectID: itoa(w.user), Principal: "", Outcome: 200},
			{Operation: "registerPatient", ObjectID: w.patient, Principal: "", Outcome: 201},
			{Operation: "loginPatient", ObjectID: w.patient, Principal: "", Outcome: 200},
		} {
			events := auditEvents(t, ts, db.AuditFilter{Operation: want.Operation, ObjectID: want.ObjectID})
			if len(events) == 0 || events[0].Principal != want.Principal || events[0].Outcome != want.Outcome || events[0].RequestID == "" {
				t.Errorf("%s of %s: events %+v, want one by %q with outcome %d", want.Operation, want.ObjectID, events, want.Principal, want.Outcome)
			}
		}

		// No event carries a secret: tokens, keys, session keys, passwords.
		all, err := jsonLines(auditEvents(t, ts, db.AuditFilter{}))
		if err != nil {
			t.Fatal(err)
		}
		secrets := append(w.secrets(), victimPassword, patientPassword, staffPassword, "target-password", "correct horse")
		for _, secret := range secrets {
			if secret == "" || strings.Contains(all, secret) {
				t.Errorf("an audit event contains the secret %q (or it is empty)", secret)
			}
		}
		for _, key := range []string{w.prescryptoToken, w.institutionKey, w.doctorKey, w.patientToken} {
			// The public half of a token (its key id) is no secret, but no part of a credential belongs in the trail.
			if half := key[:8]; strings.Contains(all, half) {
				t.Errorf("an audit event contains part of the credential %q", half)
			}
		}
	})
}

// TestAuditEveryOperationLeavesOneEvent calls every operation of openapi.yaml as the authorization
// matrix's owner does, and every secured one without a credential: each request leaves exactly one
// event, of its operation and family, with its outcome, and a principal when one was authenticated.
func TestAuditEveryOperationLeavesOneEvent(t *testing.T) {
	ops := specOperations(t)
	eachBackend(t, func(t *testing.T, ts *testServer) {
		w := newWorld(t, ts)
		type sent struct {
			op        specOperation
			outcome   int
			principal bool
		}
		requests := map[string]sent{}
		for i, op := range ops {
			c := authzMatrix[op.id]
			send := func(id string, cred http.Header, want int) {
				h := http.Header{impl.HeaderRequestID: {id}}
				for _, extra := range []http.Header{c.header, cred} {
					for k, vs := range extra {
						h[k] = append(h[k], vs...)
					}
				}
				var body *strings.Reader
				if c.body != "" {
					body = strings.NewReader(strings.ReplaceAll(w.expand(c.body), "$seq", "audit-"+itoa(int64(i))))
				}
				if status, got := doMaybeBody(t, ts, strings.ToUpper(op.method), w.expand(c.path), c.contentType, body, h); status != want {
					t.Fatalf("%s: %d, want %d: %s", id, status, want, got)
				}
				requests[id] = sent{op, want, !op.open && want < 400}
			}
			if !op.open {
				send("anonymous-"+op.id, nil, 401)
			}
			send("owner-"+op.id, w.credential(t, c.owner).header, c.ok)
		}
		byRequest := map[string][]db.AuditEvent{}
		for _, e := range auditEvents(t, ts, db.AuditFilter{}) {
			byRequest[e.RequestID] = append(byRequest[e.RequestID], e)
		}
		for id, r := range requests {
			events := byRequest[id]
			operation := strings.ToLower(r.op.id[:1]) + r.op.id[1:]
			if len(events) != 1 {
				t.Errorf("%s: %d events, want 1: %+v", id, len(events), events)
				continue
			}
			e := events[0]
			if e.Operation != operation || e.Family != r.op.family || e.Outcome != r.outcome || (e.Principal != "") != r.principal {
				t.Errorf("%s: event %+v, want %s of %s with outcome %d (a principal: %v)", id, e, operation, r.op.family, r.outcome, r.principal)
			}
		}
	})
}

func jsonLines(events []db.AuditEvent) (string, error) {
	var b strings.Builder
	for _, e := range events {
		line, err := json.Marshal(e)
		if err != nil {
			return "", err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

func TestAuditAWriteThatRollsBackLeavesNoEventOfTheChange(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		token := integrator(t, ts, "integrator@example.com")
		hospital := createHospital(t, ts, token, true)
		m := createMedic(t, ts, token, "medic@example.com")
		createMedic(t, ts, token, "taken@example.com")

		// The membership in hospital is created, then the email is found taken: the whole change rolls back.
		header := http.Header{"Authorization": {"Token " + token}, impl.HeaderRequestID: {"rolled-back"}}
		status, body := ts.do(t, "PATCH", "/api/v2/medics/"+itoa(m.ID)+"/", "application/json",
			strings.NewReader(`{"hospital": `+itoa(hospital)+`, "email": "taken@example.com"}`), header)
		if status != 400 {
			t.Fatalf("%d %s", status, body)
		}
		if got, err := ts.DB.MedicByID(t.Context(), m.ID); err != nil || got.HospitalID != nil || got.Email != "medic@example.com" {
			t.Fatalf("the change was not rolled back: %v %+v", err, got)
		}
		events := requestEvents(t, ts, "rolled-back")
		if len(events) != 1 || events[0].Outcome != 400 || events[0].Operation != "updateMedic" || events[0].ObjectID != itoa(m.ID) {
			t.Errorf("events %+v: want only the refused attempt (400), no event of a change", events)
		}
	})
}

// execRaw runs statements on the database through a connection of the test's own.
func execRaw(t *testing.T, driver, dsn string, statements ...string) {
	t.Helper()
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, s := range statements {
		if _, err := raw.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

// refuseAuditEvents makes the database refuse to record events of operation: the server's writes of
// that operation must then fail whole.
func refuseAuditEvents(t *testing.T, driver, dsn, operation string) {
	t.Helper()
	if driver == "postgres" {
		execRaw(t, driver, dsn, `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'refused by the test'; END $$`,
			`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW
			WHEN (NEW.operation = '`+operation+`') EXECUTE FUNCTION refuse_audit()`)
		return
	}
	execRaw(t, driver, dsn, `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events
		WHEN (NEW.operation = '`+operation+`') BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
}

// createMedicUnchecked creates a medic outside the validating client, which fails the test on a
// 500 (the answer the callers want), and returns the status.
func createMedicUnchecked(t *testing.T, ts *testServer, token, email, requestID string) int {
	t.Helper()
	req, err := http.NewRequest("POST", ts.URL+"/api/v2/medics/", strings.NewReader(
		`{"name": "Dr Unchecked", "email": "`+email+`", "password": "a long secret"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(impl.HeaderRequestID, requestID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// eachBackendWithDSN runs fn on each backend with a fresh database and what a connection of the
// test's own needs: the driver's name and its data source.
func eachBackendWithDSN(t *testing.T, fn func(t *testing.T, d *db.DB, driver, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "galeno.db")
		fn(t, dbtest.Open(t, "sqlite:"+path), "sqlite", path)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := dbtest.PostgresURL(t)
		fn(t, dbtest.Open(t, dsn), "postgres", dsn)
	})
}

func TestAuditAChangeWhoseEventCannotBeRecordedIsNotMade(t *testing.T) {
	eachBackendWithDSN(t, func(t *testing.T, d *db.DB, driver, dsn string) {
		ts := newTestServer(t, d)
		token := integrator(t, ts, "integrator@example.com")
		refuseAuditEvents(t, driver, dsn, "createMedic")
		if status := createMedicUnchecked(t, ts, token, "unrecorded@example.com", "unrecorded"); status != 500 {
			t.Fatalf("status %d: want 500", status)
		}
		list, err := ts.ListMedicsWithResponse(t.Context(), nil, withToken(token))
		if err != nil || list.JSON200 == nil || list.JSON200.Count != 1 {
			t.Fatalf("the medic was created without its audit event: %v %s", err, list.Body)
		}
	})
}

// TestAuditAChangeRefusedAtCommitLeavesNoEvent makes PostgreSQL refuse a medic's creation at COMMIT,
// after its event was written in the same transaction: neither may remain. (SQLite has no deferred
// triggers; a deferred foreign-key failure there leaves the transaction open instead of rolling back.)
func TestAuditAChangeRefusedAtCommitLeavesNoEvent(t *testing.T) {
	dsn := dbtest.PostgresURL(t)
	ts := newTestServer(t, dbtest.Open(t, dsn))
	token := integrator(t, ts, "integrator@example.com")
	execRaw(t, "postgres", dsn, `CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'refused at commit by the test'; END $$`,
		`CREATE CONSTRAINT TRIGGER refuse_medics_at_commit AFTER INSERT ON medics
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()`)
	if status := createMedicUnchecked(t, ts, token, "refused@example.com", "refused-at-commit"); status != 500 {
		t.Fatalf("status %d: want 500", status)
	}
	events := requestEvents(t, ts, "refused-at-commit")
	if len(events) != 1 || events[0].Outcome != 500 || events[0].Operation != "createMedic" || events[0].ObjectID != "" {
		t.Errorf("events %+v: want only the failed attempt (500, no object), no event of the rolled-back creation", events)
	}
	if list, err := ts.ListMedicsWithResponse(t.Context(), nil, withToken(token)); err != nil || list.JSON200 == nil || list.JSON200.Count != 1 {
		t.Fatalf("the refused medic exists: %v %s", err, list.Body)
	}
}

func TestAuditAReadsEventTheDatabaseRefusesIsLoggedInstead(t *testing.T) {
	eachBackendWithDSN(t, func(t *testing.T, d *db.DB, driver, dsn string) {
		logs := &testutil.SyncBuffer{}
		ts := newTestServerWith(t, d, impl.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
		token := integrator(t, ts, "integrator@example.com")
		m := createMedic(t, ts, token, "medic@example.com")
		refuseAuditEvents(t, driver, dsn, "getMedic")

		header := http.Header{"Authorization": {"Token " + token}, impl.HeaderRequestID: {"refused-event"}}
		if status, body := ts.do(t, "GET", "/api/v2/medics/"+itoa(m.ID)+"/", "", nil, header); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		ts.Server.FlushAudit()
		var logged bool
		for line := range strings.Lines(logs.String()) {
			if strings.Contains(line, `"msg":"audit: event not recorded"`) && strings.Contains(line, `"request_id":"refused-event"`) &&
				strings.Contains(line, `"operation":"getMedic"`) && strings.Contains(line, `"object_id":"`+itoa(m.ID)+`"`) {
				logged = true
			}
		}
		if !logged || strings.Contains(logs.String(), token) {
			t.Errorf("want the event logged in full (and no token); logs:\n%s", logs.String())
		}
	})
}

func TestAuditEveryConcurrentReadIsRecordedAndCloseWritesTheQueue(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		token := integrator(t, ts, "integrator@example.com")
		m := createMedic(t, ts, token, "medic@example.com")
		const reads = 200
		statuses := concurrently(t, reads, func(i int) (int, error) {
			req, err := http.NewRequest("GET", ts.URL+"/api/v2/medics/"+itoa(m.ID)+"/", nil)
			if err != nil {
				return 0, err
			}
			req.Header.Set("Authorization", "Token "+token)
			req.Header.Set(impl.HeaderRequestID, "read-"+itoa(int64(i)))
			resp, err := ts.HTTP.Do(req)
			if err != nil {
				return 0, err
			}
			resp.Body.Close()
			return resp.StatusCode, nil
		})
		if statuses[200] != reads {
			t.Fatalf("statuses %v", statuses)
		}
		// Close, as serve does once it stops serving, writes every event still queued.
		ts.Server.Close()
		seen := map[string]bool{}
		err := ts.DB.AuditEvents(t.Context(), db.AuditFilter{Operation: "getMedic", ObjectID: itoa(m.ID)}, func(e *db.AuditEvent) error {
			seen[e.RequestID] = e.Outcome == 200
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range reads {
			if !seen["read-"+itoa(int64(i))] {
				t.Errorf("read %d has no event (of %d events)", i, len(seen))
			}
		}
	})
}

func TestAuditRetentionSweepDeletesOnlyOldEvents(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	eachBackendWithClock(t, start, func(t *testing.T, ts *testServer, c *clock) {
		token := integrator(t, ts, "integrator@example.com")
		old := createMedic(t, ts, token, "old@example.com")
		c.Advance(300 * 24 * time.Hour)
		recent := createMedic(t, ts, token, "recent@example.com")
		c.Advance(101 * 24 * time.Hour) // old's events are 401 days old, recent's 101

		// Several processes sweep at once: each event is deleted once, and no sweep fails.
		deleted := make(chan int64, 3)
		for range 3 {
			go func() {
				n, err := ts.Server.SweepAuditEvents(context.Background(), 400*24*time.Hour)
				if err != nil {
					t.Error(err)
				}
				deleted <- n
			}()
		}
		total := <-deleted + <-deleted + <-deleted
		if total != 1 {
			t.Errorf("the sweeps deleted %d events: want 1 (the creation of the old medic)", total)
		}
		if events := auditEvents(t, ts, db.AuditFilter{ObjectID: itoa(old.ID)}); len(events) != 0 {
			t.Errorf("events older than the retention period remain: %+v", events)
		}
		if events := auditEvents(t, ts, db.AuditFilter{ObjectID: itoa(recent.ID)}); len(events) != 1 {
			t.Errorf("recent events were swept: %+v", events)
		}
	})
}

// BenchmarkGetMedic measures GET medic through HTTP, on each backend, with and without its audit
// event, from 16 clients at once (as a server is loaded, and as the audit queue batches):
// `go test -run '^$' -bench GetMedic ./impl/` (under db/testpg.sh for PostgreSQL too).
func BenchmarkGetMedic(b *testing.B) {
	for _, backend := range dbtest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			ts := newTestServer(b, backend.Open(b))
			token, err := ts.Server.CreateIntegrator(b.Context(), "Integrator", "integrator@example.com")
			if err != nil {
				b.Fatal(err)
			}
			me, err := ts.DB.MedicByToken(b.Context(), token)
			if err != nil {
				b.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			url := ts.URL + "/api/v2/medics/" + itoa(me.ID) + "/"
			for _, auditing := range []bool{false, true} {
				name := "audit=off"
				if auditing {
					name = "audit=on"
				}
				b.Run(name, func(b *testing.B) {
					ts.Server.SetAuditing(auditing)
					b.SetParallelism(8) // 16 clients on 2 cores
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							req, _ := http.NewRequest("GET", url, nil)
							req.Header.Set("Authorization", "Token "+token)
							resp, err := client.Do(req)
							if err != nil {
								b.Error(err)
								return
							}
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if resp.StatusCode != 200 {
								b.Errorf("status %d", resp.StatusCode)
								return
							}
						}
					})
					ts.Server.FlushAudit() // the events' writing is part of the cost
				})
			}
		})
	}
}
