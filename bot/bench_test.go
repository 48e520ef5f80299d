package bot_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/bot"
	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// BenchmarkBurst pushes a burst of slash commands through the fake Slack
// into the real bot, with a PHLO runner that takes 50 ms per request, and
// reports how long acks wait (they must not wait behind the work) and how
// long until every PHLO request is out.
func BenchmarkBurst(b *testing.B) {
	for _, n := range []int{100} {
		b.Run(fmt.Sprintf("commands=%d", n), func(b *testing.B) { benchmarkBurst(b, n) })
	}
}

func benchmarkBurst(b *testing.B, burst int) {
	h := newHarness(b, func(c *bot.Config, p *phlo.Config) { c.MaxQueued = 10 * burst })
	var acks, allOut []time.Duration
	sent := 0
	b.ResetTimer()
	for range b.N {
		for range burst {
			h.phlo.Enqueue(phlotest.Response{Status: http.StatusCreated, Delay: 50 * time.Millisecond})
		}
		start := time.Now()
		envs := make([]string, 0, burst)
		for i := range burst {
			env, _, _, err := h.slack.SendSlashCommand(slacktest.SlashCommand{
				Text: fmt.Sprintf("+1415555%04d", i%10000), UserID: callerID, ChannelID: publicChan,
			})
			if err != nil {
				b.Fatal(err)
			}
			envs = append(envs, env)
		}
		sent += burst
		if err := h.phlo.Wait(h.ctx(), sent); err != nil {
			b.Fatalf("PHLO requests: %v", err)
		}
		allOut = append(allOut, time.Since(start))
		for _, env := range envs {
			ack, err := h.slack.WaitAck(h.ctx(), env)
			if err != nil {
				b.Fatal(err)
			}
			at, _ := h.slack.SentAt(env)
			acks = append(acks, ack.At.Sub(at))
		}
		h.waitFor("every reply", func() bool { _, r := h.thread(publicChan); return len(r) == sent })
	}
	b.StopTimer()
	slices.Sort(acks)
	slices.Sort(allOut)
	b.ReportMetric(ms(acks[len(acks)/2]), "ack-p50-ms")
	b.ReportMetric(ms(acks[len(acks)*99/100]), "ack-p99-ms")
	b.ReportMetric(ms(allOut[len(allOut)/2]), "all-phlo-out-ms")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
