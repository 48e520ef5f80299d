package slacktest

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// writeTimeout bounds every websocket write, so a stuck client cannot wedge
// a writer goroutine.
const writeTimeout = 10 * time.Second

// frame is a text frame queued for a socket.
type frame struct {
	data       []byte
	envelopeID string // "" for hello and disconnect frames
}

// wsConn is one Socket Mode websocket. Only its writer goroutine writes to
// ws; its queue is guarded by Server.mu.
type wsConn struct {
	ws       *websocket.Conn
	queue    []frame
	wake     chan struct{} // capacity 1: "the queue is not empty"
	done     chan struct{} // closed by shutdown
	doneOnce sync.Once
}

// shutdown closes the socket abruptly (no close frame) and stops its writer.
func (c *wsConn) shutdown() {
	c.doneOnce.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

// enqueueLocked appends f to c's write queue. s.mu must be held.
func (c *wsConn) enqueueLocked(f frame) {
	c.queue = append(c.queue, f)
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
// Each URL (ticket) works once; others get 401 before the upgrade.
func (s *Server) handleSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	ok := s.tickets[ticket] && !s.closed
	delete(s.tickets, ticket)
	s.mu.Unlock()
	if !ok {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &wsConn{ws: ws, wake: make(chan struct{}, 1), done: make(chan struct{})}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
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

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.writeLoop(c)
	}()
	s.readLoop(c)
	c.shutdown()
	<-writerDone

	s.mu.Lock()
	s.conns = slices.DeleteFunc(s.conns, func(x *wsConn) bool { return x == c })
	s.removeActiveLocked(c)
	// Envelopes that never made it out go to another socket or wait.
	for _, f := range c.queue {
		if f.envelopeID != "" {
			s.routeLocked(f)
		}
	}
	c.queue = nil
	s.notifyLocked()
	s.mu.Unlock()
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
		batch := c.queue
		c.queue = nil
		s.mu.Unlock()

		for i, f := range batch {
			if f.envelopeID != "" {
				s.mu.Lock()
				s.sentAt[f.envelopeID] = time.Now()
				s.notifyLocked()
				s.mu.Unlock()
			}
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
			if err := c.ws.WriteMessage(websocket.TextMessage, f.data); err != nil {
				s.mu.Lock()
				c.queue = append(slices.Clone(batch[i:]), c.queue...)
				s.mu.Unlock()
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

// Disconnect writes {"type":"disconnect","reason":reason,…} to every open
// socket, after the frames already queued for it. From then on no envelopes
// are routed to those sockets; they wait for the socket slack-go opens next.
func (s *Server) Disconnect(reason string) {
	data, _ := json.Marshal(map[string]any{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": map[string]any{"host": "applink-fake"},
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.enqueueLocked(frame{data: data})
	}
	s.active = nil
	s.rr = 0
}

// DropConnections closes every open socket abruptly, without a close frame.
// Envelopes still queued for them are routed to the next socket.
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

// ConnectionsOpened returns how many websocket sessions were ever established.
func (s *Server) ConnectionsOpened() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// OpenConnections returns how many websockets are open now, including ones
// that were sent a disconnect and are not closed yet.
func (s *Server) OpenConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
