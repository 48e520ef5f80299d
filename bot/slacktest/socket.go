package slacktest

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// writeTimeout bounds every websocket write and the upgrade handshake, so a
// stuck client cannot wedge a goroutine of the fake.
const writeTimeout = 10 * time.Second

// SocketModeDisabledError is the error apps.connections.open answers while
// Socket Mode is turned off (DisableSocketMode). Slack does not document
// which code real Slack sends then; this one is a plausible stand-in. It is
// not one of the codes slack-go treats as fatal, so slack-go keeps retrying
// with backoff until EnableSocketMode.
const SocketModeDisabledError = "socket_mode_disabled"

// frame is a frame queued for a socket.
type frame struct {
	data       []byte
	envelopeID string // "" for hello and disconnect frames
	close      bool   // write a close frame and close the socket
}

// wsConn is one Socket Mode websocket, registered from the moment the fake
// accepts the upgrade request. Only its writer goroutine writes to ws; its
// queue is guarded by Server.mu.
type wsConn struct {
	queue    []frame
	wake     chan struct{} // capacity 1: "the queue is not empty"
	done     chan struct{} // closed by shutdown
	doneOnce sync.Once

	wsMu sync.Mutex
	ws   *websocket.Conn // nil until the upgrade is done
}

func newWSConn() *wsConn {
	return &wsConn{wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// attach hands c the upgraded socket. It reports false, and leaves closing
// ws to the caller, if c was shut down during the handshake.
func (c *wsConn) attach(ws *websocket.Conn) bool {
	c.wsMu.Lock()
	defer c.wsMu.Unlock()
	select {
	case <-c.done:
		return false
	default:
	}
	c.ws = ws
	return true
}

// shutdown closes the socket abruptly (no close frame) and stops its
// writer. During the handshake it makes attach fail instead.
func (c *wsConn) shutdown() {
	c.doneOnce.Do(func() { close(c.done) })
	c.wsMu.Lock()
	ws := c.ws
	c.wsMu.Unlock()
	if ws != nil {
		_ = ws.Close()
	}
}

// enqueueLocked appends f to c's write queue. s.mu must be held.
func (c *wsConn) enqueueLocked(f frame) {
	c.queue = append(c.queue, f)
	c.wakeLocked()
}

// wakeLocked tells c's writer to look at its queue. s.mu must be held.
func (c *wsConn) wakeLocked() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// routeLocked hands an envelope frame to one routable socket (round robin),
// or queues it for the next socket. s.mu must be held.
func (s *Server) routeLocked(f frame) {
	if len(s.active) == 0 {
		s.pending = append(s.pending, f)
		return
	}
	s.rr = (s.rr + 1) % len(s.active)
	s.active[s.rr].enqueueLocked(f)
}

// handleSocket serves the websocket URL that apps.connections.open issued.
// Each URL (ticket) works once; others get 401 before the upgrade, and
// every URL gets 403 while Socket Mode is disabled.
//
// The socket is registered (counted, routable, hello queued) before the
// 101 answer is written, so a client that has seen its connection open is
// always covered by Disconnect, DropConnections and DisableSocketMode.
func (s *Server) handleSocket(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		http.Error(w, "not a websocket upgrade", http.StatusBadRequest)
		return
	}
	ticket := r.URL.Query().Get("ticket")
	c := newWSConn()
	s.mu.Lock()
	valid := s.tickets[ticket]
	delete(s.tickets, ticket)
	switch {
	case s.closed:
		s.mu.Unlock()
		http.Error(w, "server closed", http.StatusServiceUnavailable)
		return
	case s.socketModeOff:
		s.mu.Unlock()
		http.Error(w, "socket mode is disabled", http.StatusForbidden)
		return
	case !valid:
		s.mu.Unlock()
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	s.opened++
	s.conns = append(s.conns, c)
	s.active = append(s.active, c)
	// hello first, then everything that waited for a socket
	c.enqueueLocked(frame{data: helloFrame(len(s.conns))})
	for _, f := range s.pending {
		c.enqueueLocked(f)
	}
	s.pending = nil
	s.notifyLocked()
	s.mu.Unlock()

	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// The client never saw this socket open.
		s.forget(c, true)
		return // the upgrader has answered
	}
	if s.upgraded != nil {
		s.upgraded()
	}
	if !c.attach(ws) { // dropped or closed during the handshake
		_ = ws.Close()
		s.forget(c, false)
		return
	}

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.writeLoop(c)
	}()
	s.readLoop(c)
	c.shutdown()
	<-writerDone
	s.forget(c, false)
}

// forget unregisters a socket that is gone. Envelopes that never made it
// out go to another socket or wait for the next one. uncount takes it out
// of ConnectionsOpened too (the upgrade failed).
func (s *Server) forget(c *wsConn, uncount bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if uncount {
		s.opened--
	}
	s.conns = slices.DeleteFunc(s.conns, func(x *wsConn) bool { return x == c })
	s.removeActiveLocked(c)
	for _, f := range c.queue {
		if f.envelopeID != "" {
			s.routeLocked(f)
		}
	}
	c.queue = nil
	s.notifyLocked()
}

func (s *Server) removeActiveLocked(c *wsConn) {
	s.active = slices.DeleteFunc(s.active, func(x *wsConn) bool { return x == c })
	if s.rr >= len(s.active) {
		s.rr = 0
	}
}

// readLoop records acks until the socket fails. gorilla answers pings and
// processes pongs and close frames while reading.
func (s *Server) readLoop(c *wsConn) {
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if typ != websocket.TextMessage {
			continue
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil {
			continue
		}
		s.recordAck(Ack{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload, At: time.Now()})
	}
}

// writeLoop is the only writer of c.ws: queued frames in order, and a ping
// control frame every pingInterval.
func (s *Server) writeLoop(c *wsConn) {
	var tick <-chan time.Time
	if s.pingInterval > 0 {
		t := time.NewTicker(s.pingInterval)
		defer t.Stop()
		tick = t.C
	}
	ping := func() bool {
		return c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(writeTimeout)) == nil
	}
	for {
		select {
		case <-c.done:
			return
		case <-tick:
			if !ping() {
				c.shutdown()
				return
			}
		default:
		}

		s.mu.Lock()
		var batch []frame
		if !s.envelopesHeld {
			batch, c.queue = c.queue, nil
		}
		s.mu.Unlock()

		for i, f := range batch {
			if f.close {
				msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "link_disabled")
				_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeTimeout))
				s.requeue(c, batch[i+1:])
				c.shutdown()
				return
			}
			if f.envelopeID != "" {
				s.mu.Lock()
				s.sentAt[f.envelopeID] = time.Now()
				s.notifyLocked()
				s.mu.Unlock()
			}
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
			if err := c.ws.WriteMessage(websocket.TextMessage, f.data); err != nil {
				s.requeue(c, batch[i:])
				c.shutdown()
				return
			}
		}
		if len(batch) > 0 {
			continue
		}

		select {
		case <-c.done:
			return
		case <-c.wake:
		case <-tick:
			if !ping() {
				c.shutdown()
				return
			}
		}
	}
}

// requeue puts frames that were not written back at the head of c's queue,
// for forget to route elsewhere.
func (s *Server) requeue(c *wsConn, frames []frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.queue = append(slices.Clone(frames), c.queue...)
}

func helloFrame(numConnections int) []byte {
	data, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": numConnections,
		"debug_info": map[string]any{
			"host":                        "applink-fake",
			"build_number":                1,
			"approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": AppID},
	})
	return data
}

func disconnectFrame(reason string) []byte {
	data, _ := json.Marshal(map[string]any{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": map[string]any{"host": "applink-fake"},
	})
	return data
}

// Disconnect writes {"type":"disconnect","reason":reason,…} to every open
// socket, after the frames already queued for it; a socket whose upgrade is
// still being answered gets it right after its hello. From then on no
// envelopes are routed to those sockets; they wait for the socket slack-go
// opens next.
func (s *Server) Disconnect(reason string) {
	data := disconnectFrame(reason)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.enqueueLocked(frame{data: data})
	}
	s.active = nil
	s.rr = 0
}

// DropConnections closes every open socket abruptly, without a close frame
// (a socket whose upgrade is still being answered is closed right after
// it). Envelopes still queued for them are routed to the next socket.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	s.active = nil
	s.rr = 0
	s.mu.Unlock()
	for _, c := range conns {
		c.shutdown()
	}
}

// DisableSocketMode turns Socket Mode off for the app, as an admin does in
// the app settings: every open socket gets
// {"type":"disconnect","reason":"link_disabled",…} after the frames already
// queued for it and is then closed (close code 1000). Until
// EnableSocketMode, apps.connections.open answers ok:false with
// SocketModeDisabledError and websocket URLs answer 403 instead of
// upgrading; envelopes sent meanwhile wait for the next socket.
func (s *Server) DisableSocketMode() {
	data := disconnectFrame("link_disabled")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.socketModeOff = true
	clear(s.tickets)
	for _, c := range s.conns {
		c.enqueueLocked(frame{data: data})
		c.enqueueLocked(frame{close: true})
	}
	s.active = nil
	s.rr = 0
}

// EnableSocketMode undoes DisableSocketMode: apps.connections.open issues
// websocket URLs again.
func (s *Server) EnableSocketMode() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.socketModeOff = false
}

// ConnectionsOpened returns how many websocket sessions were ever
// established. A socket is counted when the fake accepts its upgrade
// request, before it answers 101, so a client never sees a connection open
// that is not counted yet.
func (s *Server) ConnectionsOpened() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// OpenConnections returns how many websockets are open now, counted as in
// ConnectionsOpened, including ones that were sent a disconnect and are not
// closed yet.
func (s *Server) OpenConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// HoldEnvelopes keeps every envelope sent from then on in the sockets'
// queues, encoded and routed, until release writes them all back to back:
// a burst then leaves the fake as it would leave Slack, without the fake
// encoding envelopes on the machine's CPU while the bot reads the first
// ones. Frames written before the hold are not affected.
func (s *Server) HoldEnvelopes() (release func()) {
	s.mu.Lock()
	s.envelopesHeld = true
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.envelopesHeld = false
			for _, c := range s.conns {
				c.wakeLocked()
			}
		})
	}
}
