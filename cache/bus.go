package cache

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// Bus carries a cache's invalidations and publications to the caches of
// the site's other instances, each of which hands what it receives to its
// [Cache.Receive]. The live engine is one (live.WithCache joins it to the
// cache): its broker reaches every instance, through Redis with several.
type Bus interface {
	// Broadcast sends msg to every other instance's cache.
	Broadcast(ctx context.Context, msg []byte) error
}

// Join makes c send its invalidations and publications on b. A cache joins
// one bus, before it serves; a second Join replaces the first.
func (c *Cache) Join(b Bus) {
	c.busMu.Lock()
	c.bus = b
	c.busMu.Unlock()
}

// Receive applies a message another instance's cache sent on the bus. A
// message of c's own is ignored: c applied it when it sent it.
func (c *Cache) Receive(msg []byte) error {
	m, err := decode(msg)
	if err != nil {
		return err
	}
	if m.Origin == c.origin {
		return nil
	}
	c.apply(m)
	by := "tag"
	switch {
	case m.Op == opPublish || (len(m.Names) == 1 && len(m.Names[0]) > 0 && m.Names[0][0] == 'c'):
		by = "publication"
	case len(m.Names) > 0 && m.Names[0][0] == 'k':
		by = "key"
	}
	c.m.invalidations.WithLabelValues(by, "peer").Add(float64(max(len(m.Names), 1)))
	return nil
}

// send broadcasts m, with c's origin, if c has joined a bus, in messages
// every peer accepts (see decode), since one it refused would leave its
// fragments stale: names split over several messages (see chunk); a
// publication too large for one message sent as the invalidation of its
// channel (the peers load the fragments again). A name too long for a
// peer is not sent, and the error says so; the others are.
func (c *Cache) send(ctx context.Context, m *message) error {
	c.busMu.RLock()
	b := c.bus
	c.busMu.RUnlock()
	if b == nil {
		return nil
	}
	var errs []error
	names := make([]string, 0, len(m.Names))
	for _, n := range m.Names {
		if len(n) > maxName {
			errs = append(errs, fmt.Errorf("cache: %s %.32q…: %d bytes, over the %d the other instances accept: not sent to them",
				nameKind(n), n[1:], len(n)-1, maxName-1))
			continue
		}
		names = append(names, n)
	}
	for len(names) > 0 {
		part := *m
		part.Origin, part.Names = c.origin, names[:chunk(names)]
		names = names[len(part.Names):]
		data, err := json.Marshal(&part)
		if err == nil && len(data) > maxMessages && part.Op == opPublish {
			part.Op, part.HTML, part.Pos = opInvalidate, nil, nil
			data, err = json.Marshal(&part)
		}
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("cache: encode %s: %w", part.Op, err))...)
		}
		if err := b.Broadcast(ctx, data); err != nil {
			return errors.Join(append(errs, fmt.Errorf("cache: broadcast %s: %w", part.Op, err))...)
		}
	}
	return errors.Join(errs...)
}

// chunk is how many of names, at least one, one message carries: at most
// maxNames, and few enough bytes that, each escaped by JSON at worst (six
// bytes for one), they stay well within maxMessages.
func chunk(names []string) int {
	size := 0
	for i, n := range names {
		size += len(n) + 3 // its quotes and comma
		if i == maxNames || (i > 0 && 6*size > maxMessages/2) {
			return i
		}
	}
	return len(names)
}

// nameKind says what an index name names.
func nameKind(n string) string {
	switch n[0] {
	case 't':
		return "tag"
	case 'c':
		return "channel"
	}
	return "key"
}

// message is what caches send each other: an invalidation of index
// names, or a state publication's content for a channel's.
type message struct {
	Origin string    `json:"o"`
	Op     string    `json:"op"`
	Names  []string  `json:"n"`
	HTML   []byte    `json:"h,omitempty"`
	Pos    *Position `json:"p,omitempty"`
}

const (
	opInvalidate = "invalidate"
	opPublish    = "publish"
)

// Limits on a message received: more is not one a cache sent.
const (
	maxNames    = 1024
	maxName     = 1024
	maxMessages = 4 << 20
)

// errMessage is the error of a message no cache sent.
var errMessage = errors.New("cache: bad bus message")

// decode parses and checks a message received from the bus.
func decode(msg []byte) (*message, error) {
	if len(msg) > maxMessages {
		return nil, fmt.Errorf("%w: %d bytes", errMessage, len(msg))
	}
	var m message
	if err := json.Unmarshal(msg, &m); err != nil {
		return nil, fmt.Errorf("%w: %w", errMessage, err)
	}
	switch {
	case m.Op != opInvalidate && m.Op != opPublish:
		return nil, fmt.Errorf("%w: op %q", errMessage, m.Op)
	case len(m.Names) == 0 || len(m.Names) > maxNames:
		return nil, fmt.Errorf("%w: %d names", errMessage, len(m.Names))
	}
	for _, n := range m.Names { // before the names are read: none is empty
		if n == "" || len(n) > maxName || (n[0] != 't' && n[0] != 'c' && n[0] != 'k') {
			return nil, fmt.Errorf("%w: name %q", errMessage, n)
		}
	}
	if m.Op == opPublish && (m.Pos == nil || len(m.Names) != 1 || m.Names[0][0] != 'c') {
		return nil, fmt.Errorf("%w: a publication needs one channel and a position", errMessage)
	}
	return &m, nil
}

// newOrigin returns a random id for a cache on the bus.
func newOrigin() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}
