package impl

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/galeno-health/galeno/db"
)

// The audit trail: every operation of openapi.yaml (on medics, hospitals, memberships, institutional
// accounts, users and patients) leaves one audit event saying who did what to which record, from
// where, with which outcome. A change's event is written in the change's own transaction (inTx), so
// that no change goes unrecorded and a rolled-back change leaves no event of it; every other answer
// (reads, and refusals: 400, 401, 403, 404, 409…) is recorded once decided, by auditRequests, in
// the background (auditQueue).

// auditRetentionBatch is how many old events each statement of the retention sweep deletes.
const auditRetentionBatch = 5000

// maxAuditObjectID bounds the object id kept from a request path (ids are short; a path may not be).
const maxAuditObjectID = 128

type auditKey struct{}

// auditTrail is the audit event of the request being served, completed as the request goes.
type auditTrail struct {
	event    db.AuditEvent
	success  int  // the operation's documented 2xx status: the outcome of a committed change
	recorded bool // written with a committed change: nothing is left to record
}

// auditRequests starts the audit event of every operation of the spec and, unless a change recorded
// it already, writes it once the answer is decided (committing error responses itself so that
// their status is known), through the queue: the answer is decided, so the request need not wait.
func (s *Server) auditRequests(routes *routeTable) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			route, ok := routes.byEchoPath[c.Path()]
			op, known := "", false
			if ok {
				op, known = route.opIDs[c.Request().Method]
			}
			if s.auditOff || !known {
				return next(c)
			}
			req := c.Request()
			trail := &auditTrail{success: route.success[req.Method], event: db.AuditEvent{
				RequestID:     RequestID(req.Context()),
				Family:        route.dialect.family,
				Operation:     op,
				ObjectID:      pathObjectID(c),
				ClientAddress: c.RealIP(),
			}}
			c.SetRequest(req.WithContext(context.WithValue(req.Context(), auditKey{}, trail)))
			if err := next(c); err != nil {
				c.Error(err)
			}
			if trail.recorded {
				return nil
			}
			e := trail.event
			e.At, e.Outcome, e.Principal = s.timestamp(), c.Response().Status, principalName(c.Get(echoPrincipalKey))
			if !c.Response().Committed {
				e.Outcome = 499 // nothing was answered: the client went away first (499, as apiError says)
			}
			s.audit.add(e)
			return nil
		}
	}
}

// inTx runs fn in a transaction that also records the request's audit event, with the operation's
// success status as its outcome: the change and its event are committed together or not at all.
func (s *Server) inTx(ctx context.Context, fn func(tx *db.Store) error) error {
	trail, _ := ctx.Value(auditKey{}).(*auditTrail)
	if trail == nil {
		return s.db.InTx(ctx, fn)
	}
	object := trail.event.ObjectID
	err := s.db.InTx(ctx, func(tx *db.Store) error {
		if err := fn(tx); err != nil {
			return err
		}
		if trail.recorded {
			return nil
		}
		e := trail.event
		p, _ := principal[any](ctx)
		e.At, e.Outcome, e.Principal = s.timestamp(), trail.success, principalName(p)
		return tx.RecordAuditEvents(ctx, e)
	})
	if err != nil {
		trail.event.ObjectID = object // a record created and rolled back never existed
		return err
	}
	trail.recorded = true
	return nil
}

// auditObject names the record the request created (by its int64 or string id), for its audit
// event; the path names the others.
func auditObject(ctx context.Context, id any) {
	if trail, ok := ctx.Value(auditKey{}).(*auditTrail); ok {
		trail.event.ObjectID = fmt.Sprint(id)
	}
}

// principalName names an authenticated principal in audit events by kind and id, never by a secret.
func principalName(p any) string {
	switch p := p.(type) {
	case *db.Medic:
		return "medic:" + strconv.FormatInt(p.ID, 10)
	case *db.Institution:
		return "institution:" + strconv.FormatInt(p.ID, 10)
	case *userSession:
		return "user:" + strconv.FormatInt(p.user.ID, 10)
	case *db.Patient:
		return "patient:" + p.ID
	}
	return ""
}

// pathObjectID is the request path's last parameter (the record's id), as given, but quoted when it
// is not plain printable text (NUL bytes, invalid UTF-8) and cut to maxAuditObjectID bytes, so that
// any value is storable on both databases.
func pathObjectID(c echo.Context) string {
	values := c.ParamValues()
	if len(c.ParamNames()) == 0 || len(values) == 0 {
		return ""
	}
	id := values[len(c.ParamNames())-1]
	if !utf8.ValidString(id) || strings.ContainsFunc(id, func(r rune) bool { return !unicode.IsPrint(r) }) {
		id = strconv.QuoteToASCII(id)
	}
	if len(id) > maxAuditObjectID {
		id = id[:maxAuditObjectID]
		for !utf8.ValidString(id) {
			id = id[:len(id)-1]
		}
	}
	return id
}

// SweepAuditEvents deletes the audit events older than retention and returns how many it deleted.
func (s *Server) SweepAuditEvents(ctx context.Context, retention time.Duration) (int64, error) {
	return s.db.DeleteAuditEventsBefore(ctx, s.now().Add(-retention), auditRetentionBatch)
}

// KeepAuditEvents sweeps the audit events older than retention now and then every interval, until
// ctx ends. Every process may run it: the sweeps of several delete each event once.
func (s *Server) KeepAuditEvents(ctx context.Context, retention, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := s.SweepAuditEvents(ctx, retention)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.ErrorContext(ctx, "audit: retention sweep", "err", err)
		case n > 0:
			s.log.InfoContext(ctx, "audit: retention sweep", "deleted", n, "retention", retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// auditQueue writes the events of answers (reads and refusals) in the background, in batches: a
// request waits for no INSERT, and under load one statement writes the events of many requests.
// An event is lost only if the process dies before writing it (a clean stop writes them all: Close)
// or the database refuses it four times (then it is logged instead, in full: it holds no secret).
type auditQueue struct {
	db      *db.DB
	log     *slog.Logger
	items   chan auditItem
	start   sync.Once
	stopped chan struct{}
	mu      sync.RWMutex // held to add (shared) and to close (exclusive)
	closed  bool
}

// auditItem is an event to write, or (event nil) a marker whose flushed channel is closed once every
// event queued before it is written.
type auditItem struct {
	event   *db.AuditEvent
	flushed chan struct{}
}

const (
	auditQueueLength = 4096 // events waiting at most; past them, requests write their own
	auditBatch       = 256  // events written at most by one statement
	auditAttempts    = 4    // tries of a batch before it is logged instead
)

func newAuditQueue(d *db.DB, log *slog.Logger) *auditQueue {
	return &auditQueue{db: d, log: log, items: make(chan auditItem, auditQueueLength), stopped: make(chan struct{})}
}

// add queues e; when the queue is full (the database is slower than the requests), it writes e
// itself rather than lose it, which slows the requests down to what the database takes.
func (q *auditQueue) add(e db.AuditEvent) {
	q.start.Do(func() { go q.run() })
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed { // a request outliving the server's stop: nothing writes the queue any more
		q.write([]db.AuditEvent{e})
		return
	}
	select {
	case q.items <- auditItem{event: &e}:
	default:
		q.write([]db.AuditEvent{e})
	}
}

// run writes what is queued, as many events at a time as are waiting (up to auditBatch): one at a
// time when requests are few, so that none waits for a batch to fill.
func (q *auditQueue) run() {
	defer close(q.stopped)
	for item := range q.items {
		batch, flushed := []db.AuditEvent{}, []chan struct{}{}
		take := func(item auditItem) {
			if item.event != nil {
				batch = append(batch, *item.event)
			} else {
				flushed = append(flushed, item.flushed)
			}
		}
		take(item)
	waiting:
		for len(batch) < auditBatch {
			select {
			case item, ok := <-q.items:
				if !ok {
					break waiting
				}
				take(item)
			default:
				break waiting
			}
		}
		q.write(batch)
		for _, f := range flushed {
			close(f)
		}
	}
}

// write records batch in one transaction, trying again a few times, and logs it when it cannot.
func (q *auditQueue) write(batch []db.AuditEvent) {
	if len(batch) == 0 {
		return
	}
	ctx := context.Background()
	var err error
	for attempt := range auditAttempts {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
		}
		if err = q.db.InTx(ctx, func(tx *db.Store) error { return tx.RecordAuditEvents(ctx, batch...) }); err == nil {
			return
		}
	}
	for _, e := range batch {
		q.log.ErrorContext(ctx, "audit: event not recorded", "err", err, "event", e)
	}
}

// flush waits until every event queued so far is written.
func (q *auditQueue) flush() {
	q.start.Do(func() { go q.run() })
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed { // close wrote them all
		return
	}
	done := make(chan struct{})
	q.items <- auditItem{flushed: done}
	<-done
}

// close writes the events still queued and stops the writer; events added afterwards are written
// by their requests.
func (q *auditQueue) close() {
	q.start.Do(func() { go q.run() })
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.items)
	}
	q.mu.Unlock()
	<-q.stopped
}

// Close writes the audit events still queued; call it once the HTTP server has stopped serving.
func (s *Server) Close() { s.audit.close() }
