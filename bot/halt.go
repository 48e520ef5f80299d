package bot

import "sync"

// halt is why the bot stopped serving for good: Slack revoked the bot
// token or turned Socket Mode off, and no reconnect can help. The first
// reason wins. It is usable at its zero value and safe from any
// goroutine, since revocation may be noticed by any Web API call.
type halt struct {
	mu     sync.Mutex
	err    error
	closed chan struct{} // closed when err is set
}

// set records err unless a reason is already there, and reports whether
// it did.
func (h *halt) set(err error) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return false
	}
	h.err = err
	if h.closed == nil {
		h.closed = make(chan struct{})
	}
	close(h.closed)
	return true
}

// done is closed once a reason is set.
func (h *halt) done() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed == nil {
		h.closed = make(chan struct{})
	}
	return h.closed
}

// reason is the reason set, nil while the bot may serve.
func (h *halt) reason() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// SlackFault says why the bot can no longer serve, whatever happens next
// (Slack revoked its bot token, or turned Socket Mode off), and nil while
// it can. /readyz shows it; Run returns it.
func (b *Bot) SlackFault() error { return b.halt.reason() }

// stopFor ends the bot's Slack session for good with err: Run stops
// reading envelopes and returns err. Only the first reason is logged, at
// error level, as msg with attrs; later ones are dropped, so that one
// cause makes one log line however many calls notice it.
func (b *Bot) stopFor(err error, msg string, attrs ...any) {
	if !b.halt.set(err) {
		return
	}
	b.setConnected(false)
	b.log.Error(msg, attrs...)
}
