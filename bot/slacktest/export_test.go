package slacktest

// WithUpgradeHook makes the server call f after it has answered a
// websocket upgrade (the client sees the socket open) and before it serves
// the socket, to test what happens in that window.
func WithUpgradeHook(f func()) Option {
	return func(s *Server) { s.upgraded = f }
}
