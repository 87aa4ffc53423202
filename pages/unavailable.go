package pages

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/accounts"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

// What a post waits for the store, and when it tells the client to try
// again.
const (
	// postStoreTimeout bounds what a comment or message post waits for
	// the store in all (the database stalled, say): it is answered 503
	// after that rather than held.
	postStoreTimeout = 3 * time.Second
	// retryAfter is the Retry-After of a post refused because the store
	// is away, in seconds.
	retryAfter = 5
)

// storeAway returns the refusal of a post whose store call failed with err
// because the store is away (err matches [store.ErrUnavailable], or the
// post's bound ran out): 503 with Retry-After, saying that nothing was
// lost and what to do; what refers to the thing posted ("comment"). Any
// other err is returned as it is. The form (no JavaScript: the page shown
// again with the text; the enhancer: the text left in the box) keeps the
// same submission id, so a post whose answer was lost after it was stored
// is found again on the retry, not stored twice.
func storeAway(what string, err error) error {
	if !errors.Is(err, store.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &form.Error{
		Status: http.StatusServiceUnavailable,
		Header: http.Header{"Retry-After": {strconv.Itoa(retryAfter)}},
		Message: fmt.Sprintf("Your %s was not sent: the site cannot reach its database just now. "+
			"What you wrote is kept here: send it again in a few seconds (it will not be posted twice).", what),
		Err: err,
	}
}

// sessionAway is the refusal of a post by a reader whose session could not
// be checked because the store is away ([accounts.SessionUnknown]): posted
// now, the post would be anonymous.
func sessionAway(what string) error {
	return storeAway(what, fmt.Errorf("session: %w", store.ErrUnavailable))
}

// sessionUnknown reports whether ctx's request carried a session the store
// could not check.
func sessionUnknown(ctx context.Context) bool { return accounts.SessionUnknown(ctx) }
