package render_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// readerHeader is how this test's stand-in for a site's session
// middleware learns the reader; a site reads its session cookie instead.
const readerHeader = "X-Test-Reader"

// withReader is a session middleware: it puts the request's reader in its
// context, as a site's does before the renderer runs.
func withReader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get(readerHeader); id != "" {
			r = r.WithContext(pagelet.WithReader(r.Context(), pagelet.Reader{ID: id, Session: "s-" + id}))
		}
		next.ServeHTTP(w, r)
	})
}

// greeting is a personal pagelet: it shows its reader, after a short
// random wait so that concurrent pages finish in any order.
func greeting(id string) pagelet.Pagelet {
	return pagelet.Pagelet{
		ID:       id,
		Personal: true,
		Load: func(ctx context.Context) (templ.Component, error) {
			time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
			r := pagelet.ReaderFrom(ctx)
			if r.Anonymous() {
				return text("hello, stranger"), nil
			}
			return text("hello, reader " + r.ID + "!"), nil
		},
	}
}

// readerLive is a live engine whose token names the reader it was
// granted for, as package live's binds it.
type readerLive struct{}

func (readerLive) Position(context.Context, string) (render.LivePosition, error) {
	return render.LivePosition{Kind: "state"}, nil
}

func (readerLive) Grant(ctx context.Context, _ []string) (render.LiveGrant, error) {
	return render.LiveGrant{Script: "/_live/live.js", URL: "/_live/", Token: "token-of-" + pagelet.ReaderFrom(ctx).ID + "-end"}, nil
}

// serveReaders serves page behind withReader.
func serveReaders(t *testing.T, page *pagelet.Page, opts ...render.Option) string {
	t.Helper()
	opts = append([]render.Option{render.WithLogger(discard()), render.WithRuntime("bigpipe.js")}, opts...)
	rd, err := render.New(testAssets(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", withReader(rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil })))
	mux.Handle(rd.Path(), rd)
	return httptestServer(t, mux).URL
}

// TestPersonalPage checks that a page holding a personal pagelet is for
// its reader's browser alone, in every mode and for HEAD, and that a page
// without one says nothing of caching.
func TestPersonalPage(t *testing.T) {
	personal := serveReaders(t, pageOf(greeting("me"), delayed("news", 0)))
	public := serveReaders(t, pageOf(delayed("news", 0)))
	for _, tc := range []struct {
		name, url, method, ua, want string
	}{
		{"browser", personal, http.MethodGet, chromeUA, "private, no-store"},
		{"crawler", personal, http.MethodGet, googlebotUA, "private, no-store"},
		{"head", personal, http.MethodHead, chromeUA, "private, no-store"},
		{"not personal", public, http.MethodGet, chromeUA, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.url, nil)
			req.Header.Set("User-Agent", tc.ua)
			req.Header.Set(readerHeader, "ada")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = res.Body.Close()
			if got := res.Header.Get("Cache-Control"); got != tc.want {
				t.Errorf("Cache-Control %q, want %q", got, tc.want)
			}
		})
	}
}

// TestReadersNeverMix renders one personal page for many readers at once,
// in both the pipelined and the plain mode: each page shows its own reader
// and carries a live token bound to them, never another's. Run with -race.
func TestReadersNeverMix(t *testing.T) {
	page := pageOf(greeting("me"), greeting("also-me"), delayed("news", time.Millisecond))
	page.Pagelets[0].Channel = "inbox#"
	url := serveReaders(t, page, render.WithLive(readerLive{}))
	const readers, rounds = 40, 3
	var wg sync.WaitGroup
	errs := make(chan error, readers*rounds)
	for i := range readers {
		wg.Go(func() {
			id := fmt.Sprintf("r%02d", i)
			ua := chromeUA
			if i%4 == 0 {
				ua = googlebotUA
			}
			for range rounds {
				errs <- readOwnPage(url, id, ua)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	// Without a session the same page is the anonymous one.
	s := get(t, url, googlebotUA)
	if body := string(s.Body()); !strings.Contains(body, "hello, stranger") || strings.Contains(body, "hello, reader") {
		t.Errorf("anonymous page: %s", body)
	}
}

// readOwnPage fetches url as reader id and checks it holds id's greeting
// (twice) and, pipelined, id's token, and no other reader's.
func readOwnPage(url, id, ua string) error {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("User-Agent", ua)
	req.Header.Set(readerHeader, id)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("reader %s: %w", id, err)
	}
	body := string(raw)
	if n := strings.Count(body, "hello, reader "); n != 2 || strings.Count(body, "hello, reader "+id+"!") != 2 {
		return fmt.Errorf("reader %s (%s): %d greetings, want 2 of their own", id, ua, n)
	}
	if ua == chromeUA && (strings.Count(body, "token-of-") != 1 || !strings.Contains(body, "token-of-"+id+"-end")) {
		return fmt.Errorf("reader %s: the page's token is not theirs alone", id)
	}
	return nil
}
