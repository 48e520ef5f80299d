package phlo_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mpc-bot/mpc-bot/phlo"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// admissions counts, per number, the calls the fake PHLO accepted.
func admissions(srv *phlotest.Server) (perNumber map[string]int, rejected429 int) {
	perNumber = map[string]int{}
	for _, r := range srv.Requests() {
		switch r.Status {
		case http.StatusCreated:
			perNumber[r.To]++
		case http.StatusTooManyRequests:
			rejected429++
		}
	}
	return perNumber, rejected429
}

func number(i int) string { return fmt.Sprintf("+1415555%04d", i) }

// TestTwoPacersShareOneAccount: two replicas, each with its own pacer set
// to the whole account budget, overshoot together. Every call must still
// go through exactly once: the 429s are retried (Plivo did nothing). How
// a pacer slows down after a 429 is TestPacerSlowsDownAfter429's subject.
func TestTwoPacersShareOneAccount(t *testing.T) {
	t.Parallel()
	// A window of a second: the two pacers' first 20 each land inside it
	// even on a loaded machine, so the account limit is overshot.
	budget := phlo.Budget{Requests: 20, Per: time.Second}
	srv := phlotest.NewServer(phlotest.Config{AccountLimit: phlotest.Limit(budget)})
	t.Cleanup(srv.Close)
	const perClient = 30
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	var wg sync.WaitGroup
	errs := make(chan error, 2*perClient)
	for ci := range 2 {
		c := newClient(t, srv, func(c *phlo.Config) {
			c.Pacer = newPacer(t, budget)
			c.MaxAttempts = 50 // convergence, not the attempt count, is under test
		})
		for i := range perClient {
			wg.Go(func() {
				_, err := c.AddMember(ctx, testNode(), phlo.Call{To: number(ci*perClient + i), TriggerSource: testTrigger})
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	perNumber, rejected := admissions(srv)
	for i := range 2 * perClient {
		if n := perNumber[number(i)]; n != 1 {
			t.Errorf("%s admitted %d times", number(i), n)
		}
	}
	if rejected == 0 {
		t.Errorf("no 429 in %d requests: the two pacers never overshot, so the retries went untested", len(srv.Requests()))
	}
}

// BenchmarkBurstAtAccountLimit sends 500 adds at once through one client
// with the default pacer to a fake PHLO enforcing Plivo's 300 per 5 s.
// Plivo's limit allows the last of them 5 s after the first; the target is
// 5.5 s, with no 429 and no number admitted twice.
func BenchmarkBurstAtAccountLimit(b *testing.B) {
	const calls = 500
	var succeeded, dups, rejected int
	var last time.Duration
	for b.Loop() {
		srv := phlotest.NewServer(phlotest.Config{AccountLimit: phlotest.Limit{Requests: 300, Per: 5 * time.Second}})
		sc := srv.Config()
		c, err := phlo.New(phlo.Config{BaseURL: srv.URL(), AuthID: sc.AuthID, AuthToken: sc.AuthToken})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(b.Context(), time.Minute)
		var (
			mu     sync.Mutex
			ok     int
			lastOK time.Duration
			wg     sync.WaitGroup
		)
		start := time.Now()
		for i := range calls {
			wg.Go(func() {
				_, err := c.AddMember(ctx, testNode(), phlo.Call{To: number(i), TriggerSource: testTrigger})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					b.Error(err)
					return
				}
				ok++
				lastOK = max(lastOK, time.Since(start))
			})
		}
		wg.Wait()
		cancel()
		perNumber, r := admissions(srv)
		for _, n := range perNumber {
			if n > 1 {
				dups++
			}
		}
		succeeded, rejected, last = succeeded+ok, rejected+r, last+lastOK
		c.CloseIdleConnections()
		srv.Close()
	}
	n := float64(b.N)
	b.ReportMetric(float64(succeeded)/n, "succeeded")
	b.ReportMetric(float64(dups)/n, "admitted_twice")
	b.ReportMetric(float64(rejected)/n, "429s")
	b.ReportMetric(last.Seconds()/n, "s_to_last_success")
}
