package phlo

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// baseBackoff is the first backoff step when a 429 carries no Retry-After
// or a connection failed. Plivo advises exponential backoff but gives no
// numbers; 500ms doubles to 4s by the fourth attempt, which matches its
// "300 requests per 5 s" window.
const baseBackoff = 500 * time.Millisecond

// parseRetryAfter reads a Retry-After header: delay-seconds or an
// HTTP-date. It reports ok == false when the header is absent or
// unparsable, so the caller falls back to backoff. A date in the past means
// "now" (0).
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Clamp absurd values instead of overflowing time.Duration.
		const maxSecs = int64((1<<63 - 1) / time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// backoff returns the wait before retry number n (n >= 1, so the wait after
// the first failed attempt is backoff(1)): baseBackoff doubled per retry,
// capped at limit, with "equal jitter" (half fixed, half random) so that
// several bot instances hit by the same 429 do not retry in lockstep while
// still waiting at least half the step.
func backoff(n int, limit time.Duration) time.Duration {
	d := baseBackoff
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	if d <= 0 {
		return 0
	}
	half := d / 2
	// math/rand/v2's top-level functions are safe for concurrent use and
	// need no seeding, so no jitter state is kept anywhere.
	return half + rand.N(d-half+1)
}
