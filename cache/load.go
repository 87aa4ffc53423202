package cache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// Fill is what the cache needs to know of a pagelet to find and load its
// fragment. The renderer makes one per cached pagelet and request; a Fill
// costs no allocation until a load is needed.
type Fill struct {
	// Name is the pagelet's id: part of the fragment's key, and the
	// metrics' label.
	Name string

	// Policy is the pagelet's cache policy. Policy.Key, with Name, is the
	// fragment's key (the renderer puts the route there when the pagelet
	// gives none); Policy.Tags are its tags.
	Policy pagelet.Cache

	// Personal scopes the fragment to Reader (the reader's id, "" for the
	// anonymous reader): it is stored under the key and the reader, and
	// served to no one else.
	Personal bool
	Reader   string

	// Channel is the pagelet's live channel: a publication on it
	// replaces (state) or invalidates (stream) the fragment. Empty: none.
	Channel string

	// Timeout bounds the load.
	Timeout time.Duration

	// Source loads the fragment when it must be.
	Source Source
}

// Source loads a fragment for the cache.
type Source interface {
	// Values returns the context whose values (not its cancellation or
	// deadline) the load's context carries. It is called only when a load
	// starts: a load serves many requests, and none of them ends it.
	Values() context.Context

	// Load renders the fragment. ctx ends at the Fill's Timeout, or when
	// the cache is closed.
	Load(ctx context.Context) (Fragment, error)
}

// Fragment is what a Source loads: the markup, where its live channel
// stood before its data was read (nil if not live), and what it decided
// of the document's head (nil: nothing).
type Fragment struct {
	HTML []byte
	Live *Position
	Head *pagelet.Head
}

// key is where a fragment is stored: its policy's key, its pagelet, and
// for a personal one its reader.
type key struct {
	base, name string
	personal   bool
	reader     string
}

func (f *Fill) key() key {
	k := key{base: f.Policy.Key, name: f.Name, personal: f.Personal}
	if f.Personal {
		k.reader = f.Reader
	}
	return k
}

// String is the key as singleflight names it.
func (k key) String() string {
	s := k.base + "\x00" + k.name
	if k.personal {
		s += "\x00reader\x00" + k.reader
	}
	return s
}

// ErrClosed is the error of a load asked of a closed cache.
var ErrClosed = errors.New("cache: closed")

// PanicError is the error of a Load that panicked: every request waiting
// for it gets it, and the process goes on.
type PanicError struct {
	Key   string // the fragment's key, its parts joined by NUL
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
	return c.peek(fill, time.Time{})
}

// PeekAt is [Cache.Peek] with the time now read by the caller, who looks
// several fragments up at once (a page's): one reading of the clock for
// them all.
func (c *Cache) PeekAt(fill *Fill, now time.Time) (*Entry, Outcome, bool) {
	return c.peek(fill, now)
}

// peek is Peek at now; zero: the cache's clock.
func (c *Cache) peek(fill *Fill, now time.Time) (*Entry, Outcome, bool) {
	key := fill.key()
	e, ok := c.get(key)
	if !ok {
		return nil, "", false
	}
	if now.IsZero() {
		now = c.now()
	}
	switch e.state(now) {
	case Fresh:
		if e.hits != nil {
			e.hits.Inc()
		} else {
			c.m.lookup(fill.Name, Hit)
		}
		return e, Hit, true
	case Stale:
		c.group.DoChan(key.String(), c.load(key, fill, nil)) // nobody waits: the result is stored
		c.m.lookup(fill.Name, StaleHit)
		return e, StaleHit, true
	}
	return nil, "", false
}

// readSample is how many of Peek's reads tell the eviction policy, one
// in readSample (see Cache.get).
const readSample = 8

// get returns what key holds. One read in readSample, drawn at random,
// counts for the eviction policy (otter's read buffer, whose draining and
// upkeep run on the reading goroutine, see New); the others read quietly.
// Every cached pagelet of every page is such a read: at a few lookups per
// page, the policy's bookkeeping was a tenth of a fully cached page's
// work, and what it keeps (how often and how lately each key is read)
// keeps its proportions when every key's reads are sampled alike.
func (c *Cache) get(k key) (*Entry, bool) {
	if rand.Uint32()%readSample == 0 {
		return c.frags.GetIfPresent(k)
	}
	e, ok := c.frags.GetEntryQuietly(k)
	return e.Value, ok
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
	o := Coalesced // unless the load is this call's, which sets it: read only after it has returned
	ch := c.group.DoChan(key.String(), c.load(key, fill, &o))
	var err error
	select {
	case r := <-ch:
		if r.Err == nil {
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
// its fragment stored on success. A panic in it is its error. out, if not
// nil, is set to how the caller whose function it is was served: Miss, or
// Hit if a load that ended meanwhile left nothing to do.
func (c *Cache) load(key key, fill *Fill, out *Outcome) func() (any, error) {
	return func() (v any, err error) {
		// Stored fresh since the caller looked (by a load that ended
		// between its look and this one): nothing to load.
		if e, ok := c.frags.GetIfPresent(key); ok && e.state(c.now()) == Fresh {
			if out != nil {
				*out = Hit
			}
			return e, nil
		}
		if out != nil {
			*out = Miss
		}
		if !c.begin() {
			return nil, ErrClosed
		}
		defer c.wg.Done()
		fl := c.fly(key, fill)
		defer c.land(key, fl)
		t0 := c.now()
		vals := fill.Source.Values()
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
				pe := &PanicError{Key: key.String(), Value: p, Stack: debug.Stack()}
				v, err = nil, pe
				c.log.Error("cache: load panicked", "pagelet", fill.Name, "key", fill.Policy.Key, "panic", p, "stack", string(pe.Stack))
			} else if err != nil && out == nil {
				c.log.Warn("cache: refresh failed", "pagelet", fill.Name, "key", fill.Policy.Key, "err", err)
			}
			if err != nil {
				c.m.refresh(fill.Name, false, c.now().Sub(t0))
			}
		}()
		frag, err := fill.Source.Load(ctx)
		if err != nil {
			return nil, err
		}
		e := c.put(key, fill, fl, frag, t0)
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
func (c *Cache) put(key key, fill *Fill, fl *flight, frag Fragment, loaded time.Time) *Entry {
	html, pos := frag.HTML, frag.Live
	e := &Entry{Head: frag.Head, channel: fill.Channel, tags: fill.Policy.Tags, policy: fill.Policy, base: fill.Policy.Key, stored: loaded,
		hits: c.m.hitCounter(fill.Name)}
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
	c.changed()
	if kept == nil {
		return e
	}
	return kept
}

// LoadFunc is a Source of a function alone: its load's context carries no
// values.
type LoadFunc func(ctx context.Context) (html []byte, live *Position, err error)

// Values returns nil: no values.
func (f LoadFunc) Values() context.Context { return nil }

// Load calls f.
func (f LoadFunc) Load(ctx context.Context) (Fragment, error) {
	html, live, err := f(ctx)
	return Fragment{HTML: html, Live: live}, err
}
