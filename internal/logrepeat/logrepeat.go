// Package logrepeat keeps a server's log readable while one failure
// repeats: with Redis down, say, the engine, the simulator and the cache
// each report the same error every second or so, and what else happens is
// lost among those lines. A [Handler] passes a warning or an error the
// first time it is seen, and then at most once per window, saying how
// many like it it held back meanwhile (the attribute "repeated"). Records
// are alike when everything in them but the time is the same: level,
// message and every attribute, the error's text included, so that a
// different failure is never held back as a repeat of another.
package logrepeat

import (
	"context"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"
)

// maxKinds bounds the kinds of records a Handler remembers: past it, a
// new kind passes unremembered (lines whose attributes vary per record,
// each its own kind, are never held back anyway).
const maxKinds = 1024

// RepeatedKey is the attribute that counts the records held back since the
// last one like it was passed.
const RepeatedKey = "repeated"

// Handler is a slog.Handler that holds back repeats of warnings and errors
// (see the package doc); records below slog.LevelWarn all pass.
type Handler struct {
	next   slog.Handler
	prefix string // the attributes and groups WithAttrs and WithGroup added: part of every record's kind
	st     *state // shared by the handlers WithAttrs and WithGroup derive
}

// state is what a Handler and those derived from it remember.
type state struct {
	window time.Duration
	seed   maphash.Seed
	mu     sync.Mutex
	kinds  map[uint64]*kind
}

// kind is one kind of record: when the last one passed, and how many were
// held back since.
type kind struct {
	passed time.Time
	held   int
}

// New returns a Handler that passes to next a warning or error, then the
// next one like it only once window has passed since. A window of 0 or
// less holds nothing back.
func New(next slog.Handler, window time.Duration) *Handler {
	return &Handler{next: next, st: &state{window: window, seed: maphash.MakeSeed(), kinds: map[uint64]*kind{}}}
}

// Enabled reports whether next handles records at level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle passes r to next unless it repeats a record passed less than the
// window ago; a record passed after some were held back carries their
// number.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn || h.st.window <= 0 {
		return h.next.Handle(ctx, r)
	}
	now := r.Time
	if now.IsZero() {
		now = time.Now()
	}
	held, pass := h.st.admit(h.kindOf(r), now)
	if !pass {
		return nil
	}
	if held > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int(RepeatedKey, held))
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a Handler for next.WithAttrs(as) that remembers with h.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	p := h.prefix
	for _, a := range as {
		p += a.String() + "\x00"
	}
	return &Handler{next: h.next.WithAttrs(as), prefix: p, st: h.st}
}

// WithGroup returns a Handler for next.WithGroup(name) that remembers
// with h.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &Handler{next: h.next.WithGroup(name), prefix: h.prefix + "\x01" + name + "\x00", st: h.st}
}

// kindOf hashes everything in r but its time.
func (h *Handler) kindOf(r slog.Record) uint64 {
	var m maphash.Hash
	m.SetSeed(h.st.seed)
	m.WriteString(r.Level.String())
	m.WriteByte(0)
	m.WriteString(h.prefix)
	m.WriteByte(0)
	m.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		m.WriteByte(0)
		m.WriteString(a.Key)
		m.WriteByte('=')
		m.WriteString(a.Value.Resolve().String())
		return true
	})
	return m.Sum64()
}

// admit reports whether a record of kind k, at now, passes, and if so how
// many of its kind were held back since the last one passed.
func (s *state) admit(k uint64, now time.Time) (held int, pass bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.kinds[k]
	if e == nil {
		if len(s.kinds) >= maxKinds {
			s.forget(now)
		}
		if len(s.kinds) < maxKinds {
			s.kinds[k] = &kind{passed: now}
		}
		return 0, true
	}
	if now.Sub(e.passed) < s.window {
		e.held++
		return 0, false
	}
	held = e.held
	e.passed, e.held = now, 0
	return held, true
}

// forget drops the kinds whose window has passed with nothing held back:
// the next one of them passes as new, as it would anyway.
func (s *state) forget(now time.Time) {
	for k, e := range s.kinds {
		if e.held == 0 && now.Sub(e.passed) >= s.window {
			delete(s.kinds, k)
		}
	}
}
