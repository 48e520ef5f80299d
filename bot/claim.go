package bot

import (
	"context"
	"sync"
	"time"
)

// Claimer makes an action happen once across re-deliveries, double clicks
// and replicas: the first Claim of a key wins. The in-memory claimer serves
// one process; *store.Store serves several sharing a database.
type Claimer interface {
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// claimTTL outlasts Slack's re-deliveries (minutes) and any double click.
const claimTTL = time.Hour

// memoryClaimer is the Claimer of a single process.
type memoryClaimer struct {
	mu   sync.Mutex
	keys map[string]time.Time // key → expiry
	next time.Time            // when to sweep expired keys
}

func newMemoryClaimer() *memoryClaimer {
	return &memoryClaimer{keys: make(map[string]time.Time)}
}

func (m *memoryClaimer) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.After(m.next) {
		for k, exp := range m.keys {
			if now.After(exp) {
				delete(m.keys, k)
			}
		}
		m.next = now.Add(time.Minute)
	}
	if exp, ok := m.keys[key]; ok && now.Before(exp) {
		return false, nil
	}
	m.keys[key] = now.Add(ttl)
	return true, nil
}
