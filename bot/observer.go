package bot

import "time"

// Observer is told what happens on the Slack side, for metrics;
// *telemetry.Metrics satisfies it. Calls must be cheap and must not block:
// some come from the event loop.
type Observer interface {
	// Acked reports how long an envelope waited for its ack.
	Acked(envelopeType string, d time.Duration)
	Connected()
	Disconnected()
}

type nopObserver struct{}

func (nopObserver) Acked(string, time.Duration) {}
func (nopObserver) Connected()                  {}
func (nopObserver) Disconnected()               {}
