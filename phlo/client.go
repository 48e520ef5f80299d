package phlo

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultBaseURL      = "https://phlorunner.plivo.com"
	DefaultTimeout      = 10 * time.Second
	DefaultMaxAttempts  = 4
	DefaultMaxRetryWait = 20 * time.Second
)

// DefaultLimit and DefaultBurst configure the default client-side limiter.
// Plivo allows 300 requests per 5 s per account. A token bucket lets through
// at most burst + rate*window requests in any window, so 40/s with a burst
// of 100 can never exceed 100 + 5*40 = 300 in any 5 s. (The naive
// translation, 60/s with a burst of 300, would allow 600.) The burst of 100
// lets an incident's burst of adds out at once, which matters more than
// sustained rate: measured with BenchmarkBurst, 100 adds went out in ~2 s
// with 50/s and a burst of 50, and in ~0.35 s with this. Share one Limiter
// (Config.Limiter) between all clients of an account, and pass a stricter
// one if other systems use the same account.
const (
	DefaultLimit rate.Limit = 40
	DefaultBurst int        = 100
)

// userAgent identifies the bot in Plivo's logs.
const userAgent = "mpc-bot"

// maxResponseBody bounds how much of a response is read. Real PHLO
// responses are under 200 bytes; anything near this size is not PHLO.
const maxResponseBody = 64 << 10

// Config configures a Client. AuthID, AuthToken, PhloID and NodeID are
// required; the rest have defaults.
type Config struct {
	// BaseURL is the PHLO runner's scheme and host, plus an optional path
	// prefix, WITHOUT "/v1" (the client adds "/v1/phlo/..."). Default
	// DefaultBaseURL. Tests point it at phlotest.
	BaseURL string
	// AuthID and AuthToken are the Plivo account credentials (HTTP basic
	// auth). They never appear in error strings.
	AuthID, AuthToken string
	// PhloID and NodeID identify the deployed PHLO and its MPC node.
	PhloID, NodeID string
	// HTTPClient sends the requests. Default: a client with its own clone
	// of http.DefaultTransport that does not follow redirects (a redirected
	// POST is not something PHLO does). Never http.DefaultClient, so other
	// code cannot change its behaviour. Keep its Timeout zero or larger
	// than Timeout; per-attempt timeouts are done with contexts.
	HTTPClient *http.Client
	// Timeout bounds each attempt (connect, send, response and body).
	// Default DefaultTimeout. The caller's context bounds the whole call.
	Timeout time.Duration
	// MaxAttempts bounds the attempts for requests that provably did
	// nothing: 429 responses and connection failures before the request
	// was handed to a connection. Default DefaultMaxAttempts; 1 disables
	// retries.
	MaxAttempts int
	// MaxRetryWait caps one wait between attempts, whether it comes from
	// Retry-After or from backoff. Default DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// Limiter throttles requests client-side (one token per attempt).
	// Default: rate.NewLimiter(DefaultLimit, DefaultBurst). Pass
	// rate.NewLimiter(rate.Inf, 0) to disable.
	Limiter *rate.Limiter
}

// Client sends MPC actions to one PHLO node. It is safe for concurrent use.
type Client struct {
	base         string // scheme://host[/prefix], no trailing slash
	nodePath     string // escaped "/v1/phlo/{phlo}/multi_party_call/{node}"
	authID       string
	authToken    string
	hc           *http.Client
	timeout      time.Duration
	maxAttempts  int
	maxRetryWait time.Duration
	limiter      *rate.Limiter
}

// New validates cfg, applies defaults and returns a Client. Errors name
// every missing or invalid field at once, but never echo credentials.
func New(cfg Config) (*Client, error) {
	var problems []string
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"AuthID", cfg.AuthID}, {"AuthToken", cfg.AuthToken},
		{"PhloID", cfg.PhloID}, {"NodeID", cfg.NodeID},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "missing "+strings.Join(missing, ", "))
	}
	for _, f := range []struct{ name, v string }{{"PhloID", cfg.PhloID}, {"NodeID", cfg.NodeID}} {
		if f.v == "." || f.v == ".." {
			// PathEscape leaves dots alone, and a dot segment would be
			// resolved away by proxies, hitting a different URL.
			problems = append(problems, f.name+" must not be a dot segment")
		}
	}
	base, err := parseBaseURL(cmp.Or(cfg.BaseURL, DefaultBaseURL))
	if err != nil {
		problems = append(problems, err.Error())
	}
	if cfg.Timeout < 0 {
		problems = append(problems, "negative Timeout")
	}
	if cfg.MaxAttempts < 0 {
		problems = append(problems, "negative MaxAttempts")
	}
	if cfg.MaxRetryWait < 0 {
		problems = append(problems, "negative MaxRetryWait")
	}
	if l := cfg.Limiter; l != nil && l.Limit() != rate.Inf && l.Burst() < 1 {
		// Such a limiter makes every Wait fail.
		problems = append(problems, "Limiter has burst < 1")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("phlo: invalid config: %s", strings.Join(problems, "; "))
	}

	c := &Client{
		base:         base,
		nodePath:     "/v1/phlo/" + url.PathEscape(cfg.PhloID) + "/multi_party_call/" + url.PathEscape(cfg.NodeID),
		authID:       cfg.AuthID,
		authToken:    cfg.AuthToken,
		hc:           cfg.HTTPClient,
		timeout:      cmp.Or(cfg.Timeout, DefaultTimeout),
		maxAttempts:  cmp.Or(cfg.MaxAttempts, DefaultMaxAttempts),
		maxRetryWait: cmp.Or(cfg.MaxRetryWait, DefaultMaxRetryWait),
		limiter:      cfg.Limiter,
	}
	if c.hc == nil {
		c.hc = defaultHTTPClient()
	}
	if c.limiter == nil {
		c.limiter = rate.NewLimiter(DefaultLimit, DefaultBurst)
	}
	return c, nil
}

func parseBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the input; BaseURL may embed credentials, so
		// keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("BaseURL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("BaseURL: scheme must be http or https")
	case u.Host == "":
		return "", errors.New("BaseURL: missing host")
	case u.User != nil:
		return "", errors.New("BaseURL: must not contain credentials (use AuthID/AuthToken)")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", errors.New("BaseURL: must not contain a query or fragment")
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	if p == "/v1" || strings.HasSuffix(p, "/v1") {
		return "", errors.New(`BaseURL: must not end in "/v1" (the client adds it)`)
	}
	return u.Scheme + "://" + u.Host + p, nil
}

// defaultHTTPClient builds a client that shares nothing with
// http.DefaultClient: its own transport (proxy from environment, HTTP/2,
// idle pool) and no redirect following, so a 3xx surfaces as an APIError
// instead of being replayed elsewhere.
func defaultHTTPClient() *http.Client {
	var tr *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		tr = dt.Clone()
	} else {
		tr = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// CloseIdleConnections closes idle keep-alive connections of the
// underlying HTTP client, e.g. on shutdown.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }
