package bot

import (
	"context"
	"time"

	"github.com/mpc-bot/mpc-bot/store"
)

// Claimer makes an action happen once across re-deliveries, double clicks
// and replicas: the first Claim of a key wins.
type Claimer interface {
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Store is what the bot keeps in its database; *store.Store satisfies it.
// Claims and the audit trail live in the database, not in memory, so that
// several replicas sharing it act once and a killed bot leaves a record.
type Store interface {
	Claimer
	Registry
	Register(ctx context.Context, teamID, userID, address string) error
	Unregister(ctx context.Context, teamID, userID string) (existed bool, err error)
	BeginAdd(ctx context.Context, a store.Add) error
	FinishAdd(ctx context.Context, requestID string, status store.AddStatus, apiID, errMsg string) error
	RecentAdds(ctx context.Context, teamID, channelID string, limit int) ([]store.Add, error)
	FindAdd(ctx context.Context, requestID string) (store.Add, error)
}

// claimTTL outlasts Slack's re-deliveries (minutes) and any double click.
const claimTTL = time.Hour
