// Package telemetry is mpc-bot's operational surface: Prometheus metrics
// and the HTTP endpoints an orchestrator probes (/healthz, /readyz,
// /metrics). The bot and the conference service report to it through
// their Observer interfaces, so neither knows Prometheus.
package telemetry

import (
	"time"

	"github.com/mpc-bot/mpc-bot/conference"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds mpc-bot's collectors on a registry of its own, so tests and
// several instances in one process never collide on a global one.
type Metrics struct {
	Registry *prometheus.Registry

	adds        *prometheus.CounterVec
	actions     *prometheus.CounterVec
	phloLatency prometheus.Histogram
	ackLatency  *prometheus.HistogramVec
	reconnects  prometheus.Counter
	queueDepth  prometheus.Gauge
	denials     *prometheus.CounterVec
	connected   prometheus.Gauge
}

// NewMetrics registers the collectors, and Go runtime and process metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		adds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mpcbot_adds_total",
			Help: "People the bot asked PHLO to dial, by outcome (dialled, failed, unknown) and role.",
		}, []string{"outcome", "role"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mpcbot_actions_total",
			Help: "Member actions and transfers sent to PHLO, by verb (hold, unhold, hangup, warm_transfer, cold_transfer, abort_transfer) and outcome (accepted, failed, unknown).",
		}, []string{"verb", "outcome"}),
		phloLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mpcbot_phlo_request_duration_seconds",
			Help:    "Time for one PHLO request, including pacing and 429 back-off.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}),
		ackLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mpcbot_slack_ack_duration_seconds",
			Help:    "Time from reading a Socket Mode envelope to queueing its ack, by envelope type.",
			Buckets: []float64{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 3},
		}, []string{"type"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mpcbot_slack_connections_total",
			Help: "Socket Mode connections established; more than one means reconnects.",
		}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mpcbot_queue_depth",
			Help: "Requests accepted and not finished (in flight plus waiting).",
		}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mpcbot_denials_total",
			Help: "Requests refused, by reason.",
		}, []string{"reason"}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mpcbot_slack_connected",
			Help: "1 while the Socket Mode connection is up.",
		}),
	}
	m.Registry.MustRegister(m.adds, m.actions, m.phloLatency, m.ackLatency, m.reconnects, m.queueDepth, m.denials, m.connected,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Acked records how long an envelope waited for its ack.
func (m *Metrics) Acked(envelopeType string, d time.Duration) {
	m.ackLatency.WithLabelValues(envelopeType).Observe(d.Seconds())
}

// Connected records a (re)connection.
func (m *Metrics) Connected() {
	m.reconnects.Inc()
	m.connected.Set(1)
}

// Disconnected records the connection going down.
func (m *Metrics) Disconnected() { m.connected.Set(0) }

// Sent records one PHLO request and how long it took: adds by outcome
// (dialled, failed, unknown) and role, other actions by verb and outcome.
func (m *Metrics) Sent(v conference.Verb, r conference.Role, o conference.Outcome, d time.Duration) {
	m.phloLatency.Observe(d.Seconds())
	if v != conference.VerbCall {
		m.actions.WithLabelValues(string(v), string(o.Status)).Inc()
		return
	}
	outcome := string(o.Status)
	if o.Accepted() {
		// The label value predates actions; dashboards count on it.
		outcome = "dialled"
	}
	m.adds.WithLabelValues(outcome, string(r)).Inc()
}

// QueueDepth records the requests accepted and not finished.
func (m *Metrics) QueueDepth(n int) { m.queueDepth.Set(float64(n)) }

// Denied records a refused request.
func (m *Metrics) Denied(reason string) { m.denials.WithLabelValues(reason).Inc() }
