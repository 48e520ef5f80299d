package phlo

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by New to zero Config fields.
//
// DefaultMaxAttempts is 6 rather than 4 because a 429 costs nothing but
// time (Plivo did nothing) and the pacer already slows every caller down
// after one: six attempts span more than two 5 s windows, enough to ride
// out a burst from another replica. The caller's context still bounds the
// whole call.
const (
	DefaultBaseURL      = "https://phlorunner.plivo.com"
	DefaultTimeout      = 10 * time.Second
	DefaultMaxAttempts  = 6
	DefaultMaxRetryWait = 20 * time.Second
)

// userAgent identifies the bot in Plivo's logs.
const userAgent = "mpc-bot"

// maxResponseBody bounds how much of a response is read. Real PHLO
// responses are under 200 bytes; anything near this size is not PHLO.
const maxResponseBody = 64 << 10

// Config configures a Client, which stands for one Plivo account. AuthID
// and AuthToken are required; the rest have defaults. The PHLO and node
// are not part of it: every node method takes a Node, so one Client (and
// one Pacer) serves every bridge of the account.
type Config struct {
	// BaseURL is the PHLO runner's scheme and host, plus an optional path
	// prefix, WITHOUT "/v1" (the client adds "/v1/phlo/..."). Default
	// DefaultBaseURL. Tests point it at phlotest.
	BaseURL string
	// AuthID and AuthToken are the Plivo account credentials (HTTP basic
	// auth). They never appear in error strings.
	AuthID, AuthToken string
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
	// nothing (429 responses, connection failures before the request was
	// handed to a connection) and for GETs, which change nothing. Default
	// DefaultMaxAttempts; 1 disables retries.
	MaxAttempts int
	// MaxRetryWait caps one wait between attempts, whether it comes from
	// Retry-After or from backoff. Default DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// Pacer spaces attempts to the account's request budget; every attempt
	// (retries and GETs too) takes a slot. Plivo counts per account, so
	// give every Client of one account the same Pacer. Default: a pacer of
	// its own with DefaultBudget.
	Pacer *Pacer
	// NumberFormat is how phone numbers are written in "to",
	// "trigger_source" and member addresses. Default NumberE164.
	NumberFormat NumberFormat
}

// Client sends PHLO requests for one Plivo account. It is safe for
// concurrent use.
type Client struct {
	base         string // scheme://host[/prefix], no trailing slash
	authID       string
	authToken    string
	hc           *http.Client
	timeout      time.Duration
	maxAttempts  int
	maxRetryWait time.Duration
	pacer        *Pacer
	numbers      NumberFormat
}

// New validates cfg, applies defaults and returns a Client. Errors name
// every missing or invalid field at once, but never echo credentials.
func New(cfg Config) (*Client, error) {
	var problems []string
	var missing []string
	for _, f := range []struct{ name, v string }{{"AuthID", cfg.AuthID}, {"AuthToken", cfg.AuthToken}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "missing "+strings.Join(missing, ", "))
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
	numbers := cmp.Or(cfg.NumberFormat, NumberE164)
	if !numbers.Valid() {
		problems = append(problems, fmt.Sprintf("NumberFormat must be %q or %q", NumberE164, NumberDigits))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("phlo: invalid config: %s", strings.Join(problems, "; "))
	}

	c := &Client{
		base:         base,
		authID:       cfg.AuthID,
		authToken:    cfg.AuthToken,
		hc:           cfg.HTTPClient,
		timeout:      cmp.Or(cfg.Timeout, DefaultTimeout),
		maxAttempts:  cmp.Or(cfg.MaxAttempts, DefaultMaxAttempts),
		maxRetryWait: cmp.Or(cfg.MaxRetryWait, DefaultMaxRetryWait),
		pacer:        cfg.Pacer,
		numbers:      numbers,
	}
	if c.hc == nil {
		c.hc = defaultHTTPClient()
	}
	if c.pacer == nil {
		c.pacer, _ = NewPacer(DefaultBudget()) // valid by construction
	}
	return c, nil
}

// CheckBaseURL reports why raw would not do as Config.BaseURL, so that
// settings can be checked before a Client is built; nil when it would.
func CheckBaseURL(raw string) error {
	_, err := parseBaseURL(raw)
	return err
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
