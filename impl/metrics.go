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

// newMetrics registers the HTTP, database pool, Go runtime and process metrics. dialect labels the
// pool's metrics; stats reads the pool.
func newMetrics(dialect string, stats func() sql.DBStats) *metrics {
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
		newPoolCollector(dialect, stats),
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

// poolCollector exports the database connection pool's statistics at each scrape.
type poolCollector struct {
	stats   func() sql.DBStats
	metrics []poolMetric
}

type poolMetric struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(sql.DBStats) float64
}

func newPoolCollector(dialect string, stats func() sql.DBStats) *poolCollector {
	labels := prometheus.Labels{"dialect": dialect}
	metric := func(name, help string, kind prometheus.ValueType, value func(sql.DBStats) float64) poolMetric {
		return poolMetric{prometheus.NewDesc("galeno_db_"+name, help, nil, labels), kind, value}
	}
	return &poolCollector{stats: stats, metrics: []poolMetric{
		metric("max_open_connections", "Most connections the pool may open.", prometheus.GaugeValue,
			func(s sql.DBStats) float64 { return float64(s.MaxOpenConnections) }),
		metric("open_connections", "Connections open, in use or idle.", prometheus.GaugeValue,
			func(s sql.DBStats) float64 { return float64(s.OpenConnections) }),
		metric("in_use_connections", "Connections running a query or transaction.", prometheus.GaugeValue,
			func(s sql.DBStats) float64 { return float64(s.InUse) }),
		metric("idle_connections", "Connections open and idle.", prometheus.GaugeValue,
			func(s sql.DBStats) float64 { return float64(s.Idle) }),
		metric("wait_count_total", "Times a query waited for a free connection.", prometheus.CounterValue,
			func(s sql.DBStats) float64 { return float64(s.WaitCount) }),
		metric("wait_duration_seconds_total", "Time spent waiting for a free connection.", prometheus.CounterValue,
			func(s sql.DBStats) float64 { return s.WaitDuration.Seconds() }),
		metric("max_idle_closed_total", "Connections closed because too many were idle.", prometheus.CounterValue,
			func(s sql.DBStats) float64 { return float64(s.MaxIdleClosed) }),
		metric("max_idle_time_closed_total", "Connections closed after idling too long.", prometheus.CounterValue,
			func(s sql.DBStats) float64 { return float64(s.MaxIdleTimeClosed) }),
		metric("max_lifetime_closed_total", "Connections closed at the end of their lifetime.", prometheus.CounterValue,
			func(s sql.DBStats) float64 { return float64(s.MaxLifetimeClosed) }),
	}}
}

func (p *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range p.metrics {
		ch <- m.desc
	}
}

func (p *poolCollector) Collect(ch chan<- prometheus.Metric) {
	stats := p.stats()
	for _, m := range p.metrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(stats))
	}
}
