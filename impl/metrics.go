package impl

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are one server's Prometheus metrics, in a registry of its own (so several servers can
// live in one process, as in tests), served at GET /metrics.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// newMetrics registers the HTTP, database pool, Go runtime and process metrics. The pool's metrics
// (client_golang's go_sql_*) carry db_name, the dialect.
func newMetrics(dialect string, pool *sql.DB) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "galeno_http_requests_total",
			Help: "HTTP requests answered, by operation (the spec's operationId, a route outside the spec, or unmatched) and status code.",
		}, []string{"operation", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "galeno_http_request_duration_seconds",
			Help:    "Time from receiving a request to finishing its response, by operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "galeno_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.inFlight,
		collectors.NewDBStatsCollector(pool, dialect),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// handler serves the registry in the Prometheus exposition format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// measure counts and times every request, error responses included (it commits them itself, so
// that their status is known).
func (m *metrics) measure(routes *routeTable) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			m.inFlight.Inc()
			defer m.inFlight.Dec()
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			op := routes.operationID(c)
			m.requests.WithLabelValues(op, strconv.Itoa(c.Response().Status)).Inc()
			m.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
			return nil
		}
	}
}
