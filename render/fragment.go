package render

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// Fragment is one pagelet's content outside the page stream: a live
// publication, or what the fragment endpoint answers (see [FragmentParam]).
// [AppendFragment] encodes it exactly as a payload of the page stream is
// encoded, so content that is safe in one is safe in the other.
type Fragment struct {
	ID      string   // the pagelet; "" in a publication, which the client places by channel
	Content []byte   // HTML, inserted inert (scripts in it do not run)
	CSS     []string // stylesheet URLs the client applies before showing Content
	Key     string   // a stream item's key: the client shows an item whose key it shows already only once
	// Order places a stream item among the others (0: at the end, or the
	// start): the client puts it before the first item whose
	// data-live-order is greater, so that items published out of order
	// (a retried publication, two instances racing) show in the order a
	// reload shows them.
	Order uint64
	// Op is what a stream publication does with the item of its Key: ""
	// adds it (once), "replace" replaces the item the page shows with that
	// key in place (or adds it if it shows none), "remove" removes it.
	Op string
	// Pin, when set, pins (true) or unpins (false) a stream item: pinned
	// items stay at the top of the list, marked data-live-pinned. Nil
	// keeps the item's pin as it is.
	Pin *bool

	// Channel, Live and Token are set in a fragment endpoint's answer for
	// a live pagelet: the position its content was read at, and a fresh
	// token for the page's channels.
	Channel string
	Live    *LivePosition
	Token   string
}

// AppendFragment appends f to dst as a JSON object. Every string goes
// through the payload encoding of the page stream: valid JSON, with '<' and
// U+2028/U+2029 escaped and invalid UTF-8 replaced.
func AppendFragment(dst []byte, f *Fragment) []byte {
	dst = append(dst, `{"content":`...)
	dst = appendJSString(dst, f.Content)
	if f.ID != "" {
		dst = append(dst, `,"id":`...)
		dst = appendJSString(dst, f.ID)
	}
	if len(f.CSS) > 0 {
		dst = append(dst, `,"css":[`...)
		for i, u := range f.CSS {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSString(dst, u)
		}
		dst = append(dst, ']')
	}
	if f.Key != "" {
		dst = append(dst, `,"key":`...)
		dst = appendJSString(dst, f.Key)
	}
	if f.Order != 0 {
		dst = append(dst, `,"order":`...)
		dst = strconv.AppendUint(dst, f.Order, 10)
	}
	if f.Op != "" {
		dst = append(dst, `,"op":`...)
		dst = appendJSString(dst, f.Op)
	}
	if f.Pin != nil {
		dst = append(dst, `,"pin":`...)
		dst = strconv.AppendBool(dst, *f.Pin)
	}
	if f.Live != nil {
		dst = appendLive(dst, f.Channel, f.Live)
	}
	if f.Token != "" {
		dst = append(dst, `,"token":`...)
		dst = appendJSString(dst, f.Token)
	}
	return append(dst, '}')
}

// fragment answers a fragment request: the page's pagelet id alone, loaded
// (after its live position is read) and rendered as a [Fragment] in JSON.
// A pagelet that fails is a 503, not its fallback, and so is a live
// pagelet whose position cannot be read: the client keeps what it shows
// and tries again later. An unknown id is a 404.
func (x *response) fragment(id string) error {
	page, err := x.preflight()
	if page == nil || err != nil {
		return err
	}
	i := slices.IndexFunc(page.Pagelets, func(p pagelet.Pagelet) bool { return p.ID == id })
	if i < 0 {
		x.settle(Rejected, http.StatusNotFound)
		http.Error(x.w, fmt.Sprintf("404 page has no pagelet %q", id), http.StatusNotFound)
		return nil
	}
	p := &page.Pagelets[i]
	f := Fragment{ID: p.ID, Channel: p.Channel}
	for _, name := range p.CSS {
		a, err := x.h.rd.assets.Get(name)
		if err != nil {
			return fmt.Errorf("render: page assets: %w", err)
		}
		f.CSS = append(f.CSS, a.URL)
	}
	x.mode = Pipelined // the client that asks is a pipelined page's
	x.grantLive(page)
	if x.grant != nil {
		f.Token = x.grant.Token
	}
	ctx, cancel := context.WithTimeout(x.ctx, p.EffectiveTimeout())
	defer cancel()
	var perr error
	f.Live, perr = x.position(ctx, p)
	if perr != nil {
		// A live pagelet's content without its position would leave the
		// client unable to tell what it has shown from what it has not
		// (after a new epoch, say): it tries again instead.
		x.settle(Failed, http.StatusServiceUnavailable)
		x.w.Header().Set("Retry-After", "1")
		http.Error(x.w, fmt.Sprintf("503 pagelet %q: its live position is unknown (the live broker is unreachable)", p.ID), http.StatusServiceUnavailable)
		return nil
	}
	if o, ok := x.h.rd.live.(interface{ Refetched(channel string) }); ok && f.Live != nil {
		o.Refetched(p.Channel)
	}
	var sp trace.Span // nil without tracing
	if t := x.h.rd.tracer; t != nil {
		sp = startPageletSpan(ctx, t, p, time.Now())
		ctx = trace.ContextWithSpan(ctx, sp)
	}
	res := load(ctx, 0, p, sp)
	if sp != nil {
		endPageletSpan(sp, &res, failure(res.err))
	}
	defer putBuf(res.html)
	if res.err != nil {
		x.h.rd.log.LogAttrs(x.ctx, slog.LevelWarn, "fragment failed", slog.String("request_id", x.id),
			slog.String("pagelet", p.ID), slog.Any("err", res.err))
		x.settle(Failed, http.StatusServiceUnavailable)
		http.Error(x.w, fmt.Sprintf("503 pagelet %q could not be loaded", p.ID), http.StatusServiceUnavailable)
		return nil
	}
	f.Content = res.html.Bytes()
	body := AppendFragment(nil, &f)
	hdr := x.w.Header()
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr["X-Content-Type-Options"] = headerNoSniff
	x.bytes = int64(len(body))
	_, err = x.w.Write(body)
	if err != nil {
		return errClientGone
	}
	return nil
}
