package bot

import (
	"sync"
	"time"
)

// seenSet remembers envelope IDs for a while, so a re-delivered envelope is
// recognised. Slack re-delivers within minutes; ten is ample.
type seenSet struct {
	ttl time.Duration

	mu   sync.Mutex
	ids  map[string]time.Time
	next time.Time // when to sweep expired IDs
}

func newSeenSet(ttl time.Duration) *seenSet {
	return &seenSet{ttl: ttl, ids: make(map[string]time.Time)}
}

// add records id and reports whether it is new. An empty id is always new.
func (s *seenSet) add(id string) bool {
	if id == "" {
		return true
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.After(s.next) {
		for k, t := range s.ids {
			if now.Sub(t) > s.ttl {
				delete(s.ids, k)
			}
		}
		s.next = now.Add(s.ttl / 10)
	}
	if _, ok := s.ids[id]; ok {
		return false
	}
	s.ids[id] = now
	return true
}
