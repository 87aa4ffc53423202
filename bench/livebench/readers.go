package livebench

// The readers section (issue 22's figures): signed-in readers, each with a
// private channel, against anonymous pages (readershold.go); "reading
// now" across two instances through Redis (readerspresence.go); a message
// posted on one instance → visible in the recipient's tab on another, next
// to a socket.io + Redis adapter server doing per-user emits
// (readersmsg.go, socketio.go).
//
// Everything is bounded in time and stops by itself: servers, clients,
// redis-server, Node.js and Chromium are children stopped when their part
// ends, or when the bench dies (their standard input closes).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// The readers section's defaults, and -quick's.
const (
	ReadersDefault        = 20_000
	ReaderPubsDefault     = 1_000
	PresenceDefault       = 1_000
	MessagesDefault       = 250
	readersFew            = 100 // PublishTo with this many readers connected, then with all
	readersTransport      = "sse"
	readerPrefix          = "r"
	readersRSSRatioTarget = 1.2
)

// ReadersOptions is what the flags ask of the readers section.
type ReadersOptions struct {
	Readers  int  // signed-in readers held on one instance, and as many anonymous connections
	Pubs     int  // PublishTo timed with readersFew readers connected, then with Readers
	Presence int  // readers joining the article, over two instances
	Messages int  // messages posted → visible in Chromium, on each stack
	Browser  bool // measure messages in Chromium
	SocketIO bool // and through socket.io beside them
}

// LiveReaders is the readers section's figures.
type LiveReaders struct {
	Held     *ReadersHeld     `json:"held,omitempty"`
	Presence *ReadersPresence `json:"presence,omitempty"`
	Messages *ReadersMessages `json:"messages,omitempty"`
	Redis    string           `json:"redis,omitempty"` // the redis-server version
	Errors   []string         `json:"errors,omitempty"`
	Elapsed  time.Duration    `json:"elapsed"`
}

// MeasureReaders runs the readers section. A part that fails is noted in
// the result's Errors and the rest goes on; the error returned joins them.
func MeasureReaders(ctx context.Context, rig liveRig, o ReadersOptions) (*LiveReaders, error) {
	start := time.Now()
	res := &LiveReaders{}
	defer func() { res.Elapsed = time.Since(start).Round(time.Millisecond) }()
	var errs []error
	fail := func(what string, err error) {
		err = fmt.Errorf("readers %s: %w", what, err)
		errs = append(errs, err)
		res.Errors = append(res.Errors, err.Error())
	}
	held, err := readersHeld(ctx, rig, o)
	res.Held = held
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if err != nil {
		fail("held", err)
	}
	rig.progress("readers: starting redis-server")
	rd, err := measure.StartRedis()
	if err != nil {
		fail("across instances", err)
		return res, errors.Join(errs...)
	}
	defer rd.Stop()
	res.Redis = rd.Version
	if err := readersCluster(ctx, rig, rd, o, res, fail); err != nil {
		return res, err
	}
	if m := res.Messages; m != nil && m.Skipped == "" {
		m.SocketIO, err = socketIOVisible(ctx, rig, rd, o)
		if m.SocketIO != nil {
			m.SocketIOVersion = SocketIOVersion()
		}
		m.ratios()
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if err != nil {
			m.SocketIOSkipped = err.Error()
			if o.SocketIO {
				fail("socket.io messages", err)
			}
		}
	}
	return res, errors.Join(errs...)
}

// readersCluster runs the parts on two instances of ours through rd:
// presence, then messages; it returns only ctx's error.
func readersCluster(ctx context.Context, rig liveRig, rd *measure.Redis, o ReadersOptions, res *LiveReaders, fail func(string, error)) error {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	env := []string{liveRedisEnv + "=" + rd.URL, liveSecretEnv + "=" + hex.EncodeToString(key)}
	rig.progress("readers: starting instances A and B on one Redis")
	var srvs []*liveServer
	defer func() {
		for _, s := range srvs {
			s.stop()
		}
	}()
	for range 2 {
		s, err := startLiveServer(ctx, rig.exe, env...)
		if err != nil {
			fail("start the instances", err)
			return ctx.Err()
		}
		srvs = append(srvs, s)
	}
	p, err := readersPresence(ctx, rig, srvs, o.Presence)
	res.Presence = p
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		fail("presence", err)
	}
	res.Messages = &ReadersMessages{Messages: o.Messages}
	if !o.Browser {
		res.Messages.Skipped = "-no-browser"
		return nil
	}
	res.Messages.BigPipe, err = bigpipeVisible(ctx, rig, srvs, o.Messages)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		fail("messages", err)
	}
	return nil
}
