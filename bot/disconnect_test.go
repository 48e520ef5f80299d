package bot

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// serverFrame is one unmasked frame as a server writes it (RFC 6455 §5.2).
func serverFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n <= 125:
		out = append(out, byte(n))
	case n <= 0xffff:
		out = append(out, 126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, 127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	return append(out, payload...)
}

const upgradeAnswer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"

// scanAll feeds stream to a frameScanner in chunks of size and returns
// the text messages it reported.
func scanAll(stream []byte, size int) []string {
	var got []string
	s := frameScanner{onText: func(msg []byte) { got = append(got, string(msg)) }}
	for len(stream) > 0 {
		n := min(size, len(stream))
		s.feed(stream[:n])
		stream = stream[n:]
	}
	return got
}

func TestFrameScannerFindsTheDisconnectReason(t *testing.T) {
	hello := `{"type":"hello","num_connections":1}`
	disconnect := `{"type":"disconnect","reason":"link_disabled","debug_info":{"host":"applink-1"}}`
	envelope := `{"type":"slash_commands","payload":{"text":"` + strings.Repeat("x", 70000) + `"}}`
	medium := `{"type":"events_api","payload":{"text":"` + strings.Repeat("y", 300) + `"}}`

	var stream []byte
	stream = append(stream, upgradeAnswer...)
	stream = append(stream, serverFrame(true, websocket.TextMessage, []byte(hello))...)
	stream = append(stream, serverFrame(true, websocket.PingMessage, []byte("ping"))...)
	stream = append(stream, serverFrame(true, websocket.TextMessage, []byte(envelope))...) // 64-bit length, too long to keep
	stream = append(stream, serverFrame(true, websocket.TextMessage, []byte(medium))...)   // 16-bit length
	stream = append(stream, serverFrame(true, websocket.BinaryMessage, []byte(disconnect))...)
	// A fragmented message with a ping between its fragments.
	stream = append(stream, serverFrame(false, websocket.TextMessage, []byte(disconnect[:20]))...)
	stream = append(stream, serverFrame(true, websocket.PingMessage, nil)...)
	stream = append(stream, serverFrame(true, 0, []byte(disconnect[20:]))...)
	stream = append(stream, serverFrame(true, websocket.CloseMessage, []byte{0x03, 0xe8})...)
	stream = append(stream, serverFrame(true, websocket.TextMessage, []byte(`{"type":"after close"}`))...)

	want := []string{hello, medium, disconnect}
	for _, size := range []int{1, 2, 3, 7, 100, 4096, len(stream)} {
		if got := scanAll(stream, size); !slices.Equal(got, want) {
			t.Errorf("chunks of %d: got %.200q, want %.200q", size, got, want)
		}
	}
	if reason, ok := disconnectReason([]byte(disconnect)); !ok || reason != "link_disabled" {
		t.Errorf("disconnectReason = %q, %v", reason, ok)
	}
	if _, ok := disconnectReason([]byte(hello)); ok {
		t.Error("hello taken for a disconnect")
	}
	if _, ok := disconnectReason([]byte(`{"type":"events_api","payload":{"text":"disconnect"}}`)); ok {
		t.Error("an envelope mentioning \"disconnect\" taken for a disconnect")
	}
}

// TestFrameScannerStopsOnWhatItCannotFollow: compression, masked frames
// and a refused upgrade make it look away instead of misreading.
func TestFrameScannerStopsOnWhatItCannotFollow(t *testing.T) {
	disconnect := serverFrame(true, websocket.TextMessage, []byte(`{"type":"disconnect","reason":"link_disabled"}`))
	compressed := slices.Clone(disconnect)
	compressed[0] |= 0x40 // RSV1: permessage-deflate
	masked := slices.Clone(disconnect)
	masked[1] |= 0x80
	for name, stream := range map[string][]byte{
		"compressed": append([]byte(upgradeAnswer), append(compressed, disconnect...)...),
		"masked":     append([]byte(upgradeAnswer), append(masked, disconnect...)...),
		"refused":    append([]byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 20\r\n\r\n"), disconnect...),
		"reserved":   append([]byte(upgradeAnswer), append(serverFrame(true, 3, nil), disconnect...)...),
	} {
		if got := scanAll(stream, 5); len(got) != 0 {
			t.Errorf("%s: reported %q", name, got)
		}
	}
}

// wsServer is a TLS websocket server that sends msgs then waits for the
// client to close.
func wsServer(t *testing.T, msgs ...string) *httptest.Server {
	t.Helper()
	up := websocket.Upgrader{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for _, m := range msgs {
			if err := c.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
				return
			}
		}
		_, _, _ = c.ReadMessage()
	}))
	t.Cleanup(srv.Close)
	return srv
}

// connectProxy is an HTTP proxy that serves CONNECT only, and counts the
// tunnels it opened.
type connectProxy struct {
	mu      sync.Mutex
	tunnels int
}

func (p *connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	up, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer up.Close()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	p.mu.Lock()
	p.tunnels++
	p.mu.Unlock()
	_, _ = io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, conn); done <- struct{}{} }()
	go func() { _, _ = io.Copy(conn, up); done <- struct{}{} }()
	<-done
}

// TestSocketDialerOverTLSAndProxy: with TLS, and through a proxy, the
// messages still reach the client unchanged and the reason is seen.
func TestSocketDialerOverTLSAndProxy(t *testing.T) {
	disconnect := `{"type":"disconnect","reason":"link_disabled"}`
	hello := `{"type":"hello"}`
	srv := wsServer(t, hello, disconnect)
	proxy := &connectProxy{}
	proxySrv := httptest.NewServer(proxy)
	t.Cleanup(proxySrv.Close)
	proxyURL, _ := url.Parse(proxySrv.URL)

	for name, viaProxy := range map[string]bool{"direct": false, "proxy": true} {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var seen []string
			w := watchDialer{
				proxy: func(*http.Request) (*url.URL, error) {
					if viaProxy {
						return proxyURL, nil
					}
					return nil, nil
				},
				tls: &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs},
				onText: func(msg []byte) {
					if reason, ok := disconnectReason(msg); ok {
						mu.Lock()
						seen = append(seen, reason)
						mu.Unlock()
					}
				},
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, _, err := w.dialer().DialContext(ctx, "wss"+strings.TrimPrefix(srv.URL, "https")+"/link", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, want := range []string{hello, disconnect} {
				_, got, err := c.ReadMessage()
				if err != nil || !bytes.Equal(got, []byte(want)) {
					t.Fatalf("read %q, %v; want %q", got, err, want)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(seen, []string{"link_disabled"}) {
				t.Errorf("reasons seen: %q", seen)
			}
		})
	}
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	if proxy.tunnels != 1 {
		t.Errorf("the proxy opened %d tunnels, want 1", proxy.tunnels)
	}
}
