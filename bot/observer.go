package bot

import "time"

// Observer is told what the bot does, for metrics; *telemetry.Metrics
// satisfies it. Calls must be cheap and must not block: some come from the
// event loop.
type Observer interface {
	// Acked reports how long an envelope waited for its ack.
	Acked(envelopeType string, d time.Duration)
	Connected()
	Disconnected()
	// Dialled reports one PHLO add: its outcome, role and duration.
	Dialled(outcome, role string, d time.Duration)
	// QueueDepth reports requests accepted and not finished.
	QueueDepth(n int)
	// Denied reports a refused request and why.
	Denied(reason string)
}

type nopObserver struct{}

func (nopObserver) Acked(string, time.Duration)           {}
func (nopObserver) Connected()                            {}
func (nopObserver) Disconnected()                         {}
func (nopObserver) Dialled(string, string, time.Duration) {}
func (nopObserver) QueueDepth(int)                        {}
func (nopObserver) Denied(string)                         {}
