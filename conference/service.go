package conference

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// Config is what a Service needs. Store, Calls and Bridges are required;
// the rest have defaults. The Replies come with Run, since the front end
// that speaks for requests is usually built with the service in hand.
type Config struct {
	Store   Store
	Calls   CallControl
	Bridges *Bridges
	// Policy holds the allow-lists; nil allows everyone (premium-rate and
	// emergency numbers are refused all the same).
	Policy *Policy
	// Directory, Profiles and Groups may be nil: then nobody is found
	// there.
	Directory Directory
	Profiles  Profiles
	Groups    Groups
	Clock     Clock
	Logger    *slog.Logger
	Observer  Observer
	// Instance names this process among replicas; default random.
	Instance string
	// DefaultRegion is the region for numbers in profiles written without
	// a country code; default "US".
	DefaultRegion string

	// DialsPerMinute bounds each person's dials, in bursts of up to
	// MaxPeople; more wait, with a note saying so. Default 30.
	DialsPerMinute int
	// MaxPreparing bounds the requests being prepared (rules, look-ups)
	// at once; default 16. Waiting for one's own limit holds no slot.
	MaxPreparing int
	// MaxQueued bounds the requests accepted and not finished; past it
	// Submit refuses with *QueueFullError. Default 1000.
	MaxQueued int
	// MaxSending bounds the PHLO requests in flight; default 16.
	MaxSending int
	// RequestTimeout bounds one request from acceptance to its last PHLO
	// answer; default 60 s.
	RequestTimeout time.Duration
	// ShutdownTimeout bounds how long Run waits, once its context ends,
	// for PHLO requests already sent; default 25 s (Kubernetes gives 30).
	ShutdownTimeout time.Duration
	// HeartbeatEvery, DeadAfter and AdoptEvery govern how soon a live
	// instance takes over the requests of a dead one: it is declared dead
	// DeadAfter after its last heartbeat and found at the next adoption
	// scan. Defaults 5 s, 20 s and 10 s: within 35 s.
	HeartbeatEvery, DeadAfter, AdoptEvery time.Duration
	// Retention and PruneEvery govern what the store keeps; defaults 90
	// days of audit, 7 of denials, pruned hourly.
	Retention  Retention
	PruneEvery time.Duration
	// RosterWindow is how far back the roster looks; default 12 h.
	RosterWindow time.Duration
}

// Service runs requests: it owns the rules, the limits, the once-only
// keys and the audit trail, and reports through the request's Reporter.
// Create it with New and start it with Run.
type Service struct {
	cfg      Config
	log      *slog.Logger
	store    Store
	calls    CallControl
	replies  Replies
	bridges  *Bridges
	policy   *Policy
	clock    Clock
	obs      Observer
	instance string

	preparing *semaphore.Weighted
	sending   *semaphore.Weighted

	// queued counts requests accepted and not finished, for MaxQueued;
	// unprepared those not yet past preparing, for places in line.
	queued     atomic.Int64
	unprepared atomic.Int64
	// submissions feeds the intake's group commit; intake gives it
	// priority over the work.
	submissions chan submission
	intake      intakeFirst

	// running is set by Run; stop is closed when Run's context ends: no
	// new work, and every wait before a PHLO request ends. hardCtx ends
	// the PHLO requests themselves once ShutdownTimeout has passed.
	running  atomic.Bool
	started  chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	// stopCtx ends with stop, so that a request's contexts can follow it
	// without a goroutine each.
	stopCtx, hardCtx       context.Context
	stopCancel, hardCancel context.CancelFunc
	jobs                   sync.WaitGroup
	active                 atomic.Int64
	storeFault             atomic.Pointer[storeFault]
}

type storeFault struct {
	err error
	at  time.Time
}

// New checks cfg and returns a Service ready to Run.
func New(cfg Config) (*Service, error) {
	var missing []string
	if cfg.Store == nil {
		missing = append(missing, "Store")
	}
	if cfg.Calls == nil {
		missing = append(missing, "Calls")
	}
	if cfg.Bridges == nil {
		missing = append(missing, "Bridges")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("conference: config lacks %v", missing)
	}
	if cfg.Policy == nil {
		cfg.Policy, _ = NewPolicy(PolicyConfig{})
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.DefaultRegion == "" {
		cfg.DefaultRegion = "US"
	}
	if cfg.Instance == "" {
		cfg.Instance = "i-" + NewRequestID()
	}
	defaults := []struct {
		v *int
		d int
	}{{&cfg.DialsPerMinute, 30}, {&cfg.MaxPreparing, 16}, {&cfg.MaxQueued, 1000}, {&cfg.MaxSending, 16}}
	for _, f := range defaults {
		if *f.v <= 0 {
			*f.v = f.d
		}
	}
	durations := []struct {
		v *time.Duration
		d time.Duration
	}{
		{&cfg.RequestTimeout, time.Minute}, {&cfg.ShutdownTimeout, 25 * time.Second},
		{&cfg.HeartbeatEvery, 5 * time.Second}, {&cfg.DeadAfter, 20 * time.Second}, {&cfg.AdoptEvery, 10 * time.Second},
		{&cfg.Retention.Audit, 90 * 24 * time.Hour}, {&cfg.Retention.Denials, 7 * 24 * time.Hour},
		{&cfg.PruneEvery, time.Hour}, {&cfg.RosterWindow, 12 * time.Hour},
	}
	for _, f := range durations {
		if *f.v <= 0 {
			*f.v = f.d
		}
	}
	if cfg.DeadAfter <= cfg.HeartbeatEvery {
		return nil, errors.New("conference: DeadAfter must be longer than HeartbeatEvery, or live instances look dead")
	}
	stopCtx, stopCancel := context.WithCancel(context.Background())
	hardCtx, hardCancel := context.WithCancel(context.Background())
	return &Service{
		stopCtx: stopCtx, stopCancel: stopCancel, hardCtx: hardCtx, hardCancel: hardCancel,
		cfg:         cfg,
		log:         cfg.Logger.With("instance", cfg.Instance),
		store:       cfg.Store,
		calls:       cfg.Calls,
		bridges:     cfg.Bridges,
		policy:      cfg.Policy,
		clock:       cfg.Clock,
		obs:         cfg.Observer,
		instance:    cfg.Instance,
		preparing:   semaphore.NewWeighted(int64(cfg.MaxPreparing)),
		sending:     semaphore.NewWeighted(int64(cfg.MaxSending)),
		submissions: make(chan submission, cfg.MaxQueued),
		started:     make(chan struct{}),
		stop:        make(chan struct{}),
	}, nil
}

// Started is closed once Run has started and Submit takes requests, so a
// front end can wait for it before it lets people in.
func (s *Service) Started() <-chan struct{} { return s.started }

// Instance names this process among replicas.
func (s *Service) Instance() string { return s.instance }

// Bridges is the set of bridges the service knows.
func (s *Service) Bridges() *Bridges { return s.bridges }

// Policy is the service's rules, for front ends that describe them.
func (s *Service) Policy() *Policy { return s.policy }

// DialsPerMinute is each person's limit.
func (s *Service) DialsPerMinute() int { return s.cfg.DialsPerMinute }

// Busy reports how many requests are accepted and not finished, plus the
// background work that reports on them; 0 means idle, which tests wait
// for before they count.
func (s *Service) Busy() int { return int(s.active.Load()) }

// StoreFault returns the last failure to write to the store if it
// happened within the last minute and nothing has been written since, for
// the readiness probe.
func (s *Service) StoreFault() error {
	f := s.storeFault.Load()
	if f == nil || s.clock.Now().Sub(f.at) > time.Minute {
		return nil
	}
	return f.err
}

// noteStore records the result of a store write for StoreFault. A
// refusal the database itself gave (a duplicate, a row not found) shows it
// working, not failing.
func (s *Service) noteStore(err error) {
	if err == nil || errors.Is(err, ErrDuplicate) || errors.Is(err, ErrNotFound) {
		if s.storeFault.Load() != nil {
			s.storeFault.Store(nil)
		}
		return
	}
	s.storeFault.Store(&storeFault{err: err, at: s.clock.Now()})
}

// stopping reports whether Run's context has ended.
func (s *Service) stopping() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// track runs f as tracked background work: shutdown waits for it and
// Busy counts it.
func (s *Service) track(f func()) {
	s.jobs.Add(1)
	s.active.Add(1)
	go func() {
		defer s.jobs.Done()
		defer s.active.Add(-1)
		f()
	}()
}
