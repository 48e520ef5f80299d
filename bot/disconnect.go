package bot

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/websocket"
)

// Why this file exists: slack-go v0.35's Socket Mode client reads Slack's
// {"type":"disconnect","reason":…} message but drops the reason; every
// disconnect becomes "reconnect now", and the message never reaches
// Events. When someone turns Socket Mode off in the app's settings, Slack
// sends reason link_disabled and refuses new connections, and slack-go
// would retry apps.connections.open for ever. So socketmode dials through
// the websocket.Dialer below, whose connections hand every byte they read
// to a frameScanner as well, which watches the server's small text
// messages go by. It never changes a byte; anything it does not expect
// (compression, a masked frame, a handshake other than 101) makes it stop
// looking at that connection, which then works as it would without it.
// Delete this file once slack-go passes disconnect reasons on.

// Slack's disconnect reasons (api.slack.com/apis/socket-mode): warning
// and refresh_requested ask for a reconnect, which slack-go does;
// link_disabled means Socket Mode was turned off, so the bot stops.
const reasonLinkDisabled = "link_disabled"

// socketDialer is the dialer for socketmode.OptionDialer: slack-go's own
// settings (45 s handshake, 32 KiB write buffer, a proxy from the
// environment) on connections that call onDisconnect with the reason of
// each disconnect message, on the goroutine reading the socket, before
// slack-go sees the message.
func socketDialer(onDisconnect func(reason string)) *websocket.Dialer {
	return watchDialer{
		proxy: http.ProxyFromEnvironment,
		onText: func(msg []byte) {
			if reason, ok := disconnectReason(msg); ok {
				onDisconnect(reason)
			}
		},
	}.dialer()
}

// watchDialer dials websockets whose server messages it watches.
type watchDialer struct {
	proxy  func(*http.Request) (*url.URL, error)
	tls    *tls.Config // nil for the system's roots; tests set their own
	onText func(msg []byte)
}

func (w watchDialer) dialer() *websocket.Dialer {
	return &websocket.Dialer{
		HandshakeTimeout: 45 * time.Second,
		WriteBufferSize:  32 << 10,
		// Proxy stays nil: the dial functions go through a proxy
		// themselves, so that what they wrap is the websocket stream,
		// not TLS records or a proxy's answer.
		NetDialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return w.dial(ctx, addr, false)
		},
		NetDialTLSContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return w.dial(ctx, addr, true)
		},
	}
}

// dial connects to addr (host:port of a ws:// or, when secure, a wss://
// URL), directly or through the proxy named for it, and returns a
// connection whose reads go through a frameScanner.
func (w watchDialer) dial(ctx context.Context, addr string, secure bool) (net.Conn, error) {
	scheme := "http"
	if secure {
		scheme = "https"
	}
	proxy, err := w.proxy(&http.Request{URL: &url.URL{Scheme: scheme, Host: addr}})
	if err != nil {
		return nil, fmt.Errorf("proxy settings: %w", err)
	}
	var conn net.Conn
	if proxy == nil {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", addr)
	} else {
		conn, err = w.connectThrough(ctx, proxy, addr)
	}
	if err != nil {
		return nil, err
	}
	if secure {
		host, _, _ := net.SplitHostPort(addr)
		if conn, err = w.handshake(ctx, conn, host); err != nil {
			return nil, err
		}
	}
	return &watchedConn{Conn: conn, scan: frameScanner{onText: w.onText}}, nil
}

// handshake starts TLS with host on conn, and closes conn if that fails.
func (w watchDialer) handshake(ctx context.Context, conn net.Conn, host string) (net.Conn, error) {
	cfg := &tls.Config{}
	if w.tls != nil {
		cfg = w.tls.Clone()
	}
	cfg.ServerName = host
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// connectThrough opens a tunnel to addr through an HTTP(S) proxy with
// CONNECT, as gorilla/websocket would.
func (w watchDialer) connectThrough(ctx context.Context, proxy *url.URL, addr string) (net.Conn, error) {
	port := "80"
	switch proxy.Scheme {
	case "http":
	case "https":
		port = "443"
	default:
		return nil, fmt.Errorf("proxy scheme %q: Socket Mode goes through http and https proxies only", proxy.Scheme)
	}
	if proxy.Port() != "" {
		port = proxy.Port()
	}
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", net.JoinHostPort(proxy.Hostname(), port))
	if err != nil {
		return nil, err
	}
	// The proxy's answer is awaited under ctx as well.
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (net.Conn, error) {
		stop()
		raw.Close()
		return nil, err
	}
	conn := raw
	if proxy.Scheme == "https" {
		if conn, err = w.handshake(ctx, raw, proxy.Hostname()); err != nil {
			return fail(err)
		}
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if u := proxy.User; u != nil {
		if pw, ok := u.Password(); ok {
			req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
		}
	}
	if err := req.Write(conn); err != nil {
		return fail(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return fail(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || br.Buffered() > 0 {
		return fail(fmt.Errorf("proxy answered CONNECT with %s", resp.Status))
	}
	if !stop() {
		return fail(ctx.Err())
	}
	_ = raw.SetDeadline(time.Time{})
	return conn, nil
}

// watchedConn hands every byte read to its scanner. gorilla/websocket
// reads a connection from one goroutine at a time, so scan needs no lock.
type watchedConn struct {
	net.Conn
	scan frameScanner
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.scan.feed(p[:n])
	return n, err
}

// disconnectReason is the reason of a Socket Mode disconnect message.
func disconnectReason(msg []byte) (string, bool) {
	if !bytes.Contains(msg, []byte(`"disconnect"`)) {
		return "", false
	}
	var m struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal(msg, &m) != nil || m.Type != "disconnect" {
		return "", false
	}
	return m.Reason, true
}

// maxWatched bounds the text messages a frameScanner keeps: a disconnect
// message is about 100 bytes, and envelopes, which can be large, are
// skipped without being copied.
const maxWatched = 4 << 10

// maxHandshake bounds the HTTP answer to the websocket upgrade.
const maxHandshake = 16 << 10

// frameScanner follows a websocket stream as a client reads it (RFC 6455
// §5): the server's 101 answer, then frames, unmasked since they come
// from the server. It calls onText with each whole text message of at
// most maxWatched bytes.
type frameScanner struct {
	onText func(msg []byte)
	state  scanState

	answer []byte // the upgrade answer so far

	head    [14]byte // the frame header so far
	headLen int      // bytes of head filled
	need    int      // header length, known after 2 bytes

	op   byte   // opcode of the current frame
	fin  bool   // the current frame ends its message
	left uint64 // payload bytes of the current frame still to come

	text bool   // the message being read is text
	msg  []byte // its bytes so far
	over bool   // it is longer than maxWatched
}

type scanState int

const (
	scanAnswer scanState = iota
	scanHeader
	scanPayload
	scanOff
)

func (s *frameScanner) feed(p []byte) {
	for len(p) > 0 {
		switch s.state {
		case scanAnswer:
			p = s.readAnswer(p)
		case scanHeader:
			p = s.readHeader(p)
		case scanPayload:
			p = s.readPayload(p)
		default:
			return
		}
	}
}

// readAnswer skips the HTTP answer to the upgrade; frames follow it.
func (s *frameScanner) readAnswer(p []byte) []byte {
	s.answer = append(s.answer, p...)
	end := bytes.Index(s.answer, []byte("\r\n\r\n"))
	switch {
	case end < 0 && len(s.answer) > maxHandshake:
		s.stop()
		return nil
	case end < 0:
		return nil
	case !bytes.HasPrefix(s.answer, []byte("HTTP/1.1 101 ")):
		s.stop()
		return nil
	}
	rest := s.answer[end+4:]
	s.answer = nil
	s.state = scanHeader
	return rest
}

func (s *frameScanner) readHeader(p []byte) []byte {
	for len(p) > 0 && (s.headLen < 2 || s.headLen < s.need) {
		s.head[s.headLen] = p[0]
		s.headLen++
		p = p[1:]
		if s.headLen == 2 && !s.startHeader() {
			s.stop()
			return nil
		}
	}
	if s.headLen < 2 || s.headLen < s.need {
		return p
	}
	switch s.need - 2 {
	case 0:
		s.left = uint64(s.head[1] & 0x7f)
	case 2:
		s.left = uint64(s.head[2])<<8 | uint64(s.head[3])
	case 8:
		s.left = 0
		for _, c := range s.head[2:10] {
			s.left = s.left<<8 | uint64(c)
		}
	}
	s.headLen = 0
	if s.op < 8 {
		if s.op != 0 { // text or binary: a new message; 0 continues one
			s.text, s.msg, s.over = s.op == 1, s.msg[:0], false
		}
	}
	s.state = scanPayload
	if s.left == 0 {
		s.endFrame()
	}
	return p
}

// startHeader reads a header's first two bytes and reports whether the
// frame is one the scanner can follow.
func (s *frameScanner) startHeader() bool {
	b0, b1 := s.head[0], s.head[1]
	s.fin, s.op = b0&0x80 != 0, b0&0x0f
	if b0&0x70 != 0 || b1&0x80 != 0 {
		return false // an extension (compression) is in use, or a masked frame
	}
	switch {
	case s.op >= 3 && s.op <= 7 || s.op >= 11:
		return false // reserved opcodes
	case s.op >= 8 && (!s.fin || b1&0x7f > 125):
		return false // control frames are short and whole
	}
	s.need = 2
	switch b1 & 0x7f {
	case 126:
		s.need += 2
	case 127:
		s.need += 8
	}
	return true
}

func (s *frameScanner) readPayload(p []byte) []byte {
	n := uint64(len(p))
	if n > s.left {
		n = s.left
	}
	if s.op < 8 && s.text && !s.over {
		if len(s.msg)+int(n) > maxWatched {
			s.over, s.msg = true, s.msg[:0]
		} else {
			s.msg = append(s.msg, p[:n]...)
		}
	}
	s.left -= n
	if s.left == 0 {
		s.endFrame()
	}
	return p[n:]
}

func (s *frameScanner) endFrame() {
	s.state = scanHeader
	switch {
	case s.op == websocket.CloseMessage:
		s.stop()
	case s.op < 8 && s.fin:
		if s.text && !s.over {
			s.onText(s.msg)
		}
		s.text = false
	}
}

// stop gives up on the connection: what follows is not followed.
func (s *frameScanner) stop() {
	s.state, s.answer, s.msg = scanOff, nil, nil
}
