package cache

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// Fill is what the cache needs to know of a pagelet to load its fragment.
type Fill struct {
	// Name is the pagelet's id, for the metrics.
	Name string

	// Policy is the pagelet's cache policy; Policy.Key is the key. Policy.Tags
	// are the fragment's tags.
	Policy pagelet.Cache

	// Reader scopes the fragment to one reader (a personal pagelet): it is
	// stored under the key and the reader, and served to no one else.
	// Empty: shared.
	Reader string

	// Channel is the pagelet's live channel: a publication on it
	// replaces (state) or invalidates (stream) the fragment. Empty: none.
	Channel string

	// Timeout bounds the Load.
	Timeout time.Duration

	// Values is the context whose values the Load's context carries. Its
	// cancellation and deadline are not: a Load serves many requests, and
	// none of them ends it. Nil: none.
	Values context.Context

	// Load renders the fragment: its markup, and where its live channel
	// stood before its data was read (nil if not live).
	Load func(ctx context.Context) (html []byte, live *Position, err error)
}

// key is where the fragment is stored.
func (f *Fill) key() string {
	if f.Reader == "" {
		return f.Policy.Key
	}
	return f.Policy.Key + "\x00reader\x00" + f.Reader
}

// ErrClosed is the error of a load asked of a closed cache.
var ErrClosed = errors.New("cache: closed")

// PanicError is the error of a Load that panicked: every request waiting
// for it gets it, and the process goes on.
type PanicError struct {
	Key   string
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("cache: load of %q panicked: %v", e.Key, e.Value)
}

// Peek returns the fragment for fill if it can be served at once: fresh,
// or stale within its policy's Stale bound, in which case it starts one
// refresh in the background (unless a load of the key runs already).
// Otherwise it returns false, and the caller should [Cache.Get] it.
func (c *Cache) Peek(fill *Fill) (*Entry, Outcome, bool) {
	key := fill.key()
	e, ok := c.frags.GetIfPresent(key)
	if !ok {
		return nil, "", false
	}
	switch e.state(c.now()) {
	case Fresh:
		c.m.lookup(fill.Name, Hit)
		return e, Hit, true
	case Stale:
		c.group.DoChan(key, c.load(key, fill, nil)) // nobody waits: the result is stored
		c.m.lookup(fill.Name, StaleHit)
		return e, StaleHit, true
	}
	return nil, "", false
}

// Get returns the fragment for fill: at once if [Cache.Peek] would serve
// it, otherwise once it is loaded. Every Get of a key while its load runs
// waits for that one load (singleflight), which runs detached from all of
// them (see [Fill].Values), bounded by fill.Timeout.
//
// Get waits until ctx ends. If the load fails, or ctx ends first, it
// returns the error with the old fragment, if its policy's StaleIfError
// still covers it (outcome [StaleOnError]: serve it), or with none
// ([Failed]); a failed load stores nothing, so the next Get loads again.
func (c *Cache) Get(ctx context.Context, fill *Fill) (*Entry, Outcome, error) {
	if e, o, ok := c.Peek(fill); ok {
		return e, o, nil
	}
	key := fill.key()
	old, _ := c.frags.GetIfPresent(key)
	if old != nil && old.state(c.now()) != Expired {
		old = nil
	}
	var leader bool // set by the load if it is this call's: read only after it has returned
	ch := c.group.DoChan(key, c.load(key, fill, &leader))
	var err error
	select {
	case r := <-ch:
		if r.Err == nil {
			o := Coalesced
			if leader {
				o = Miss
			}
			c.m.lookup(fill.Name, o)
			return r.Val.(*Entry), o, nil
		}
		err = r.Err
	case <-ctx.Done():
		err = context.Cause(ctx)
	}
	if old != nil {
		c.m.lookup(fill.Name, StaleOnError)
		return old, StaleOnError, err
	}
	c.m.lookup(fill.Name, Failed)
	return nil, Failed, err
}

// load returns the function singleflight runs to load key: fill's Load,
// detached from every request and bounded by fill's timeout and by Close,
// its fragment stored on success. A panic in it is its error. leader, if
// not nil, is set as it begins.
func (c *Cache) load(key string, fill *Fill, leader *bool) func() (any, error) {
	return func() (v any, err error) {
		if leader != nil {
			*leader = true
		}
		if !c.begin() {
			return nil, ErrClosed
		}
		defer c.wg.Done()
		fl := c.fly(key, fill)
		defer c.land(key, fl)
		t0 := c.now()
		vals := fill.Values
		if vals == nil {
			vals = context.Background() // context.WithoutCancel(nil) panics, where nothing recovers it
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(vals), fill.Timeout)
		defer cancel()
		stop := context.AfterFunc(c.ctx, cancel)
		defer stop()
		defer func() {
			// Logged: what nobody else is told (a panic is a bug; a
			// background refresh has no request to report its error). The
			// key logged is the policy's: a personal one's names no reader.
			if p := recover(); p != nil {
				pe := &PanicError{Key: key, Value: p, Stack: debug.Stack()}
				v, err = nil, pe
				c.log.Error("cache: load panicked", "pagelet", fill.Name, "key", fill.Policy.Key, "panic", p, "stack", string(pe.Stack))
			} else if err != nil && leader == nil {
				c.log.Warn("cache: refresh failed", "pagelet", fill.Name, "key", fill.Policy.Key, "err", err)
			}
			if err != nil {
				c.m.refresh(fill.Name, false, c.now().Sub(t0))
			}
		}()
		html, pos, err := fill.Load(ctx)
		if err != nil {
			return nil, err
		}
		e := c.put(key, fill, fl, html, pos, t0)
		c.m.refresh(fill.Name, true, c.now().Sub(t0))
		return e, nil
	}
}

// begin counts a load in, unless the cache is closed.
func (c *Cache) begin() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx.Err() != nil {
		return false
	}
	c.wg.Add(1)
	return true
}

// put puts a loaded fragment under key, unless what the key holds came
// from a publication newer than the position the fragment was read at (it
// is newer content). If its tags or channel were invalidated while it
// loaded (fl), it is stored as invalid: served only on error; if its
// channel published meanwhile, the publication is stored instead (invalid
// if an invalidation came after it).
//
// What happened to the load is read in the same hold of c.mu as the key is
// indexed, and with the key locked: an invalidation or a publication either
// comes before, and is in fl, or after, and finds the key in the index and
// waits for the key's lock to change what is stored.
func (c *Cache) put(key string, fill *Fill, fl *flight, html []byte, pos *Position, loaded time.Time) *Entry {
	e := &Entry{channel: fill.Channel, tags: fill.Policy.Tags, policy: fill.Policy, base: fill.Policy.Key, stored: loaded}
	kept, _ := c.frags.Compute(key, func(old *Entry, found bool) (*Entry, otter.ComputeOp) {
		c.mu.Lock()
		defer c.mu.Unlock()
		e.HTML, e.Live, e.invalid = html, pos, fl.invalidated
		if p := fl.published; p != nil && p.Live.newer(pos) {
			e.HTML, e.Live, e.invalid = p.HTML, p.Live, p.invalid
		}
		if found && !old.invalid && old.Live != nil && e.Live != nil && old.Live.newer(e.Live) {
			return old, otter.CancelOp
		}
		if found {
			c.unindex(key, old, e)
		}
		c.index(key, e)
		return e, otter.WriteOp
	})
	if kept == nil {
		return e
	}
	return kept
}
