package bot

import (
	"context"
	"sync"
)

// workQueue bounds the adds worked on at once (slots) and the adds accepted
// but not yet finished (limit). Every accepted add is either done or told
// why not; none is dropped.
type workQueue struct {
	slots chan struct{}
	limit int

	mu      sync.Mutex
	waiting int // accepted, not finished
}

func newWorkQueue(inFlight, limit int) *workQueue {
	return &workQueue{slots: make(chan struct{}, inFlight), limit: limit}
}

// admit accounts for one more add. It reports the add's place in the queue
// (0 when a slot is free, so it starts at once), and false when the queue
// is full (then nothing was accounted and position is the queue's length).
func (q *workQueue) admit() (position int, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.waiting >= q.limit {
		return q.waiting, false
	}
	position = max(0, q.waiting-cap(q.slots)+1)
	q.waiting++
	return position, true
}

// acquire waits for a slot; false means ctx ended first.
func (q *workQueue) acquire(ctx context.Context) bool {
	select {
	case q.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (q *workQueue) release() { <-q.slots }

// done releases what admit accounted.
func (q *workQueue) done() {
	q.mu.Lock()
	q.waiting--
	q.mu.Unlock()
}

func (q *workQueue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting
}

// admit takes one more request into the queue, telling the observer; see
// workQueue.admit.
func (b *Bot) admit() (position int, ok bool) {
	position, ok = b.queue.admit()
	if ok {
		b.obs.QueueDepth(b.queue.pending())
	} else {
		b.obs.Denied("queue_full")
	}
	return position, ok
}

// finish releases what admit took.
func (b *Bot) finish() {
	b.queue.done()
	b.obs.QueueDepth(b.queue.pending())
}
