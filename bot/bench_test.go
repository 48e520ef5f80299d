package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// phloLatency is how long the fake PHLO runner takes per request in the
// benchmarks, about what a real round trip to Plivo costs.
const phloLatency = 50 * time.Millisecond

// BenchmarkBurst pushes a burst of slash commands through the fake Slack
// into the real bot, each burst from rest (a fresh bot, so the client-side
// Plivo limiter starts full), and reports how long acks wait (they must not
// wait behind the work) and how long until every PHLO request is out.
func BenchmarkBurst(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("commands=%d", n), func(b *testing.B) { benchmarkBurst(b, n) })
	}
}

func benchmarkBurst(b *testing.B, burst int) {
	var acks, allOut, endToEnd []time.Duration
	for range b.N {
		b.StopTimer()
		// One caller sends the whole burst, so lift the per-user limit: this
		// measures the bot, not the policy.
		h := newHarness(b, func(s *setup) { s.Service.MaxQueued = 10 * burst; s.Service.DialsPerMinute = 1 << 20 })
		for range burst {
			h.phlo.Enqueue(phlotest.Response{Status: http.StatusCreated, Delay: phloLatency})
		}
		b.StartTimer()
		start := time.Now()
		envs := sendBurst(b, h.slack, burst)
		// Past a burst of 100, Plivo's limit (300 per 5 s) paces the rest.
		wctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if err := h.phlo.Wait(wctx, burst); err != nil {
			b.Fatalf("PHLO requests: %v", err)
		}
		cancel()
		allOut = append(allOut, time.Since(start))
		acks = append(acks, ackLatencies(b, h.slack, envs)...)
		wctx, cancel = context.WithTimeout(context.Background(), time.Minute)
		if err := h.slack.Wait(wctx, func() bool { _, r := h.thread(publicChan); return len(r) == burst }); err != nil {
			b.Fatalf("replies: %v", err)
		}
		cancel()
		b.StopTimer()
		endToEnd = append(endToEnd, replyLatencies(b, h, envs)...)
		h.shutdown()
	}
	reportBurst(b, acks, allOut)
	slices.Sort(endToEnd)
	b.ReportMetric(ms(endToEnd[len(endToEnd)/2]), "add-p50-ms")
	b.ReportMetric(ms(endToEnd[len(endToEnd)*99/100]), "add-p99-ms")
}

// replyLatencies is, per command of a burst, the time from its envelope
// leaving the fake Slack to its outcome reply arriving there: what a
// person waits to see their add's result.
func replyLatencies(b *testing.B, h *harness, envs []string) []time.Duration {
	sent := map[string]time.Time{}
	for i, env := range envs {
		at, _ := h.slack.SentAt(env)
		sent[burstNumber(i)] = at
	}
	var out []time.Duration
	_, replies := h.thread(publicChan)
	for _, r := range replies {
		for num, at := range sent {
			if strings.Contains(r.Text, num) {
				out = append(out, r.At.Sub(at))
				break
			}
		}
	}
	if len(out) != len(envs) {
		b.Fatalf("matched %d replies to %d commands", len(out), len(envs))
	}
	return out
}

// BenchmarkMemoryPerInFlightAdd holds n adds in flight at once (PHLO does
// not answer until the bot gives up) and reports the heap and goroutines
// each costs.
func BenchmarkMemoryPerInFlightAdd(b *testing.B) {
	const n = 500
	for range b.N {
		b.StopTimer()
		h := newHarness(b, func(s *setup) {
			s.Service.MaxPreparing, s.Service.MaxQueued, s.Service.MaxSending, s.Service.DialsPerMinute = n, n, n, 1<<20
			s.Service.ShutdownTimeout = 100 * time.Millisecond
			s.PHLO.Pacer = unlimitedPacer(b)
			s.PHLO.Timeout = time.Minute
		})
		for range n {
			h.phlo.Enqueue(phlotest.Response{Status: http.StatusCreated, Delay: time.Minute})
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		goroutines := runtime.NumGoroutine()
		b.StartTimer()
		sendBurst(b, h.slack, n)
		if err := h.phlo.Wait(h.ctx(), n); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/n, "heap-bytes/add")
		b.ReportMetric(float64(runtime.NumGoroutine()-goroutines)/n, "goroutines/add")
		h.shutdown()
	}
}

// BenchmarkBurstAckAfterWork is the baseline we hold ourselves against: a
// plain slack-go loop that does the job (PHLO request, post the outcome)
// and only then acks, as many bots do. Its acks wait behind the work.
func BenchmarkBurstAckAfterWork(b *testing.B) {
	const burst = 100
	var acks, allOut []time.Duration
	for range b.N {
		b.StopTimer()
		fs := slacktest.NewServer()
		fs.AddChannel(slacktest.Channel{ID: publicChan, BotIsMember: true})
		fp := phlotest.NewServer(phlotest.Config{})
		pc, err := phlo.New(phlo.Config{BaseURL: fp.URL(), AuthID: phlotest.DefaultAuthID, AuthToken: phlotest.DefaultAuthToken})
		if err != nil {
			b.Fatal(err)
		}
		for range burst {
			fp.Enqueue(phlotest.Response{Status: http.StatusCreated, Delay: phloLatency})
		}
		api := slack.New(slacktest.BotToken, slack.OptionAppLevelToken(slacktest.AppToken), slack.OptionAPIURL(fs.APIURL()))
		smc := socketmode.New(api)
		ctx, cancel := context.WithCancel(context.Background())
		go smc.RunContext(ctx)
		go func() {
			for evt := range smc.Events {
				if evt.Type != socketmode.EventTypeSlashCommand {
					continue
				}
				sc := evt.Data.(slack.SlashCommand)
				res, err := pc.AddMember(ctx, phlo.Node{PhloID: phlotest.DefaultPhloID, NodeID: phlotest.DefaultNodeID}, phlo.Call{To: sc.Text, Role: phlo.RoleAgent, TriggerSource: callerNumber})
				_, _, _ = smc.PostMessageContext(ctx, sc.ChannelID, slack.MsgOptionText(fmt.Sprint(res.APIID, err), false))
				_ = smc.Ack(*evt.Request)
			}
		}()
		b.StartTimer()
		start := time.Now()
		envs := sendBurst(b, fs, burst)
		wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
		if err := fp.Wait(wctx, burst); err != nil {
			b.Fatal(err)
		}
		allOut = append(allOut, time.Since(start))
		acks = append(acks, ackLatencies(b, fs, envs)...)
		b.StopTimer()
		wcancel()
		cancel()
		fs.Close()
		fp.Close()
	}
	reportBurst(b, acks, allOut)
}

// burstNumber is the i-th number a burst dials, distinct from every
// fixture's own number.
func burstNumber(i int) string { return fmt.Sprintf("+1212555%04d", i%10000) }

func sendBurst(b *testing.B, fs *slacktest.Server, n int) []string {
	envs := make([]string, 0, n)
	for i := range n {
		env, _, _, err := fs.SendSlashCommand(slacktest.SlashCommand{
			Text: burstNumber(i), UserID: callerID, ChannelID: publicChan,
		})
		if err != nil {
			b.Fatal(err)
		}
		envs = append(envs, env)
	}
	return envs
}

// ackLatencies is, per envelope, the time from the fake writing it to the
// socket to the bot's ack arriving.
func ackLatencies(b *testing.B, fs *slacktest.Server, envs []string) []time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := make([]time.Duration, 0, len(envs))
	for _, env := range envs {
		ack, err := fs.WaitAck(ctx, env)
		if err != nil {
			b.Fatal(err)
		}
		at, _ := fs.SentAt(env)
		out = append(out, ack.At.Sub(at))
	}
	return out
}

func reportBurst(b *testing.B, acks, allOut []time.Duration) {
	slices.Sort(acks)
	slices.Sort(allOut)
	b.ReportMetric(ms(acks[len(acks)/2]), "ack-p50-ms")
	b.ReportMetric(ms(acks[len(acks)*99/100]), "ack-p99-ms")
	b.ReportMetric(ms(allOut[len(allOut)/2]), "all-phlo-out-ms")
}

// unlimitedPacer lets every request through at once, to measure the bot
// rather than Plivo's limit.
func unlimitedPacer(b *testing.B) *phlo.Pacer {
	p, err := phlo.NewPacer(phlo.Budget{Requests: 1_000_000, Per: time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
