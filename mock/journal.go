package mock

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// entry is one answered request, as the journal keeps it.
type entry struct {
	time      time.Time
	method    string
	path      string
	query     string
	operation string
	status    int
	served    string
	problems  []problem
	duration  time.Duration

	violations []problem
	header     []string // name, value pairs, credentials masked
	body       []byte   // as sent, secrets masked, at most maxJournalBody bytes
	truncated  bool
}

// journalEntry is an entry as GET /__mock/requests shows it.
type journalEntry struct {
	Time       string   `json:"time"`
	Method     string   `json:"method"`
	Path       string   `json:"path"`
	Query      string   `json:"query,omitempty"`
	Operation  string   `json:"operation,omitempty"`
	Status     int      `json:"status"`
	Served     string   `json:"served,omitempty"`
	Errors     []string `json:"errors,omitempty"`
	DurationMS float64  `json:"duration_ms"`
	Violations []string `json:"violations,omitempty"` // proxy mode: how the upstream's answer breaks the contract

	Headers       map[string][]string `json:"headers"`
	Body          *string             `json:"body"` // null without a body
	BodyTruncated bool                `json:"body_truncated,omitempty"`
}

// journal keeps the most recent requests in a fixed-size ring.
type journal struct {
	mu      sync.Mutex
	entries []entry
	next    int
	full    bool
}

func newJournal(size int) *journal {
	return &journal{entries: make([]entry, size)}
}

func (j *journal) add(e entry) {
	j.mu.Lock()
	j.entries[j.next] = e
	j.next++
	if j.next == len(j.entries) {
		j.next, j.full = 0, true
	}
	j.mu.Unlock()
}

// list returns the kept requests, oldest first.
func (j *journal) list() []journalEntry {
	j.mu.Lock()
	kept := append([]entry(nil), j.entries[:j.next]...)
	if j.full {
		kept = append(append([]entry(nil), j.entries[j.next:]...), kept...)
	}
	j.mu.Unlock()
	out := make([]journalEntry, len(kept))
	for i, e := range kept {
		out[i] = journalEntry{
			Time:       e.time.UTC().Format(time.RFC3339Nano),
			Method:     e.method,
			Path:       e.path,
			Query:      e.query,
			Operation:  e.operation,
			Status:     e.status,
			Served:     e.served,
			DurationMS: float64(e.duration.Microseconds()) / 1000,
			Headers:    map[string][]string{},

			BodyTruncated: e.truncated,
		}
		for k := 0; k+1 < len(e.header); k += 2 {
			out[i].Headers[e.header[k]] = append(out[i].Headers[e.header[k]], e.header[k+1])
		}
		if e.body != nil {
			body := string(e.body)
			out[i].Body = &body
		}
		for _, p := range e.problems {
			out[i].Errors = append(out[i].Errors, p.String())
		}
		for _, v := range e.violations {
			out[i].Violations = append(out[i].Violations, v.String())
		}
	}
	return out
}

func (j *journal) clear() {
	j.mu.Lock()
	clear(j.entries)
	j.next, j.full = 0, false
	j.mu.Unlock()
}

// record puts an answered request in the journal and the log.
func (s *Server) record(r *http.Request, rep reply, start time.Time) {
	e := entry{
		time:     start,
		method:   r.Method,
		path:     r.URL.Path,
		query:    r.URL.RawQuery,
		status:   rep.status,
		served:   rep.name,
		problems: rep.problems,
		duration: time.Since(start),

		violations: rep.violations,
		header:     maskHeaders(r.Header),
	}
	if rep.sent != nil {
		e.body, e.truncated = rep.sent.finish(r.Header.Get("Content-Type"))
	}
	if rep.op != nil {
		e.operation = rep.op.id
	}
	s.journal.add(e)
	if !s.opts.Quiet {
		s.log.request(&e)
	}
}

// logger writes start-up and reload messages at once, and request lines in batches, so that
// logging costs the hot path a buffer append rather than a write to the terminal.
type logger struct {
	mu      sync.Mutex
	w       io.Writer
	buf     []byte
	pending bool
}

// flushDelay is how long request lines may wait in the buffer.
const flushDelay = 50 * time.Millisecond

func newLogger(w io.Writer) *logger {
	return &logger{w: w}
}

func (l *logger) message(text string) {
	if l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
	_, _ = io.WriteString(l.w, text+"\n")
}

// request logs one short line: time, method, path, status, operation, what was served, duration,
// and the problems found in the request, if any.
func (l *logger) request(e *entry) {
	if l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := e.time.AppendFormat(l.buf, "15:04:05.000 ")
	b = append(append(b, e.method...), ' ')
	b = append(b, e.path...)
	if e.query != "" {
		b = append(append(b, '?'), e.query...)
	}
	b = strconv.AppendInt(append(b, " → "...), int64(e.status), 10)
	if e.operation != "" {
		b = append(append(b, ' '), e.operation...)
	}
	if e.served != "" {
		b = append(append(b, ' '), e.served...)
	}
	b = strconv.AppendFloat(append(b, ' '), float64(e.duration.Microseconds())/1000, 'f', -1, 64)
	b = append(b, "ms"...)
	b = appendProblems(b, " — ", e.problems)
	b = appendProblems(b, " — contract violations: ", e.violations)
	l.buf = append(b, '\n')
	if len(l.buf) > 32<<10 {
		l.flushLocked()
	} else if !l.pending {
		l.pending = true
		time.AfterFunc(flushDelay, l.flush)
	}
}

// appendProblems appends the problems after lead, separated by semicolons; nothing when there are none.
func appendProblems(b []byte, lead string, problems []problem) []byte {
	for i, p := range problems {
		if i == 0 {
			b = append(b, lead...)
		} else {
			b = append(b, "; "...)
		}
		b = append(b, p.String()...)
	}
	return b
}

func (l *logger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

func (l *logger) flushLocked() {
	if len(l.buf) > 0 && l.w != nil {
		_, _ = l.w.Write(l.buf)
	}
	l.buf = l.buf[:0]
	l.pending = false
}
