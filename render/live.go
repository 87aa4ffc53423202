package render

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/query"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// Live is a live engine: what the renderer needs to keep a page's live
// pagelets (those with a [pagelet.Pagelet].Channel) current after the page
// has loaded. Package live implements it; [WithLive] gives it to a
// Renderer. Without one, a pagelet's Channel is ignored.
type Live interface {
	// Position returns where channel's stream stands now. The renderer
	// calls it in the pagelet's goroutine before the pagelet's Load runs
	// and sends it with the pagelet, and the client subscribes from there:
	// whatever is published after the data was read reaches the page.
	// When it cannot read the position (a broker down), it returns an
	// error and, if it knows it, the channel's Kind: the pagelet is then
	// sent with an unknown position (see [LivePosition]) instead of
	// static.
	Position(ctx context.Context, channel string) (LivePosition, error)

	// Grant returns what a page showing channels needs to connect for
	// them: the client's URL, the endpoint and a signed token granting
	// exactly those channels.
	Grant(ctx context.Context, channels []string) (LiveGrant, error)
}

// LivePosition is a live channel's kind and its place in the channel's
// stream. An empty Epoch is an unknown position (the position could not be
// read): the client connects anyway and, once connected, refetches the
// pagelet through [FragmentParam] before following its channel.
type LivePosition struct {
	// Kind is "state" (each publication replaces the pagelet's content) or
	// "stream" (each publication adds an item).
	Kind   string
	Offset uint64
	Epoch  string
}

// LiveGrant is what a page's client needs to connect: see [Live].Grant.
type LiveGrant struct {
	Script string // URL of the live client, loaded after every pagelet is shown
	URL    string // the engine's endpoint prefix, such as "/_live/"
	Token  string // signed, expiring; grants the page's channels
	// Transport is the client's transport: "sse" or "" (the default), or
	// "websocket".
	Transport string
}

// LivePositionTimeout bounds reading a live channel's position before a
// pagelet's Load: a live engine that cannot answer by then (a broker down,
// say) does not hold the page up. The pagelet is then sent with an unknown
// position if the engine tells its kind (its client refetches it once
// connected), without live updates otherwise, and the renderer logs why.
const LivePositionTimeout = 250 * time.Millisecond

// WithLive makes the Renderer's pipelined pages keep their live pagelets
// current through l: it reads each live channel's position before the
// pagelet's Load, sends it with the pagelet, and has the runtime load l's
// client once every pagelet is shown. Crawlers and plain HTML get no live
// updates: their page is current when served.
func WithLive(l Live) Option { return rendererOption(func(c *config) { c.live = l }) }

// FragmentParam is the query parameter that asks a page handler for one
// pagelet of the page instead of the whole page: the live client refetches
// a pagelet that way when it cannot recover what it missed. The answer is
// a [Fragment] in JSON. A Live with a method Refetched(channel string) is
// told of each such refetch of a live pagelet, to count it.
const FragmentParam = "bigpipe_fragment"

// fragmentID is the pagelet r asks for with [FragmentParam]; "" for a
// whole page. It reads the one parameter, without parsing the query into
// a map: it runs for every page.
func fragmentID(r *http.Request) string {
	id, _ := query.Get(r.URL.RawQuery, FragmentParam)
	return id
}

// position reads the live position of pagelet p, if it is live and the page
// has a live engine: nil, nil otherwise. A failure is logged and returned,
// with an unknown position (an empty Epoch) when the engine tells the
// channel's kind: the page's client refetches the pagelet once it connects.
// Without a kind the pagelet is static for this page.
func (x *response) position(ctx context.Context, p *pagelet.Pagelet) (*LivePosition, error) {
	live := x.h.rd.live
	if live == nil || p.Channel == "" || x.grant == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, LivePositionTimeout)
	defer cancel()
	pos, err := live.Position(ctx, p.Channel)
	if err == nil {
		return &pos, nil
	}
	x.logUnknown(ctx, p.ID, p.Channel, pos.Kind, err)
	return unknownPosition(pos.Kind), err
}

// unknownPosition is the position a pagelet of a channel of kind is sent
// with when its position could not be read: nil (static) without a kind.
func unknownPosition(kind string) *LivePosition {
	if kind == "" {
		return nil
	}
	return &LivePosition{Kind: kind}
}

// logUnknown logs that pagelet id's position on channel could not be read,
// and what the page does about it.
func (x *response) logUnknown(ctx context.Context, id, channel, kind string, err error) {
	msg := "live pagelet rendered without live updates: position unknown"
	if kind != "" {
		msg = "live pagelet position unknown: refetched once its client connects"
	}
	x.h.rd.log.LogAttrs(ctx, slog.LevelWarn, msg,
		slog.String("request_id", x.id), slog.String("pagelet", id), slog.String("channel", channel), slog.Any("err", err))
}

// grantLive asks the live engine for the grant of page's channels, if it
// has any and the page is pipelined. A failure is logged and leaves the
// page without live updates.
func (x *response) grantLive(page *pagelet.Page) {
	live := x.h.rd.live
	if live == nil {
		for i := range page.Pagelets {
			if page.Pagelets[i].Channel != "" { // a mistake Check reports: say so, once
				x.report(slog.LevelWarn, "page rendered without live updates (logged once)", x.h.rd.liveProblems(page))
				break
			}
		}
		return
	}
	var channels []string
	for i := range page.Pagelets {
		if ch := page.Pagelets[i].Channel; ch != "" {
			channels = append(channels, ch)
		}
	}
	if len(channels) == 0 {
		return
	}
	g, err := live.Grant(x.ctx, channels)
	if err != nil {
		if probs := x.h.rd.liveProblems(page); len(probs) > 0 { // a mistake, the same for every request
			x.report(slog.LevelWarn, "page rendered without live updates: no grant (logged once)", probs)
			return
		}
		x.h.rd.log.LogAttrs(x.ctx, slog.LevelWarn, "page rendered without live updates: no grant",
			slog.String("request_id", x.id), slog.Any("err", err))
		return
	}
	x.grant = &g
}

// appendLive writes a payload's "live" member: the pagelet's channel, its
// kind and the position its content was read at.
func appendLive(dst []byte, channel string, pos *LivePosition) []byte {
	dst = append(dst, `,"live":{"channel":`...)
	dst = appendJSString(dst, channel)
	dst = append(dst, `,"kind":`...)
	dst = appendJSString(dst, pos.Kind)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendUint(dst, pos.Offset, 10)
	dst = append(dst, `,"epoch":`...)
	dst = appendJSString(dst, pos.Epoch)
	return append(dst, '}')
}

// appendGrant writes the setup's "live" member: what the runtime hands the
// live client.
func appendGrant(dst []byte, g *LiveGrant) []byte {
	dst = append(dst, `,"live":{"src":`...)
	dst = appendJSString(dst, g.Script)
	dst = append(dst, `,"url":`...)
	dst = appendJSString(dst, g.URL)
	dst = append(dst, `,"token":`...)
	dst = appendJSString(dst, g.Token)
	if g.Transport != "" {
		dst = append(dst, `,"transport":`...)
		dst = appendJSString(dst, g.Transport)
	}
	return append(dst, '}')
}
