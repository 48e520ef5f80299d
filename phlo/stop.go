package phlo

import (
	"context"
	"errors"
)

// ErrStopped is wrapped by the *RequestError (Sent false) of a call whose
// wait before sending (the pacer, a retry back-off) ended because the stop
// channel given to WithStop was closed. Nothing was sent for that attempt.
var ErrStopped = errors.New("stopped before sending")

type stopKey struct{}

// WithStop returns a context whose calls also give up waiting to send when
// stop is closed, e.g. when the process starts draining: requests not yet
// sent end with ErrStopped, while an attempt already in flight still runs
// until its answer or until ctx ends, because abandoning it would leave its
// outcome unknown. A nil stop never fires.
func WithStop(ctx context.Context, stop <-chan struct{}) context.Context {
	return context.WithValue(ctx, stopKey{}, stop)
}

// stopFrom returns the stop channel WithStop stored in ctx, or nil.
func stopFrom(ctx context.Context) <-chan struct{} {
	stop, _ := ctx.Value(stopKey{}).(<-chan struct{})
	return stop
}
