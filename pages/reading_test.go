package pages_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/bigpipe-go/bigpipe/pages"
)

// TestReadingNow checks an article's "readers now": its pagelet is live
// on the article's reading channel and shows the pages open on it, and
// pages that come and go are published as a new count.
func TestReadingNow(t *testing.T) {
	ls := newLiveSite(t)
	slug := firstSlug(t, ls.st, "sports")
	req, _ := http.NewRequest(http.MethodGet, ls.srv.URL+"/article/"+slug, nil)
	req.Header.Set("User-Agent", chromeUA)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"channel":"`+pages.ReadingChannel(slug)+`"`) {
		t.Fatalf("the article page does not make its reading pagelet live on %q", pages.ReadingChannel(slug))
	}
	watcher := subscribe(t, ls, pages.ReadingChannel(slug))
	subscribe(t, ls, pages.CommentsChannel(slug))
	if p := watcher.next(t, pages.ReadingChannel(slug)); !strings.Contains(p.Content, "1 reader now") {
		t.Errorf("after one page opened: %q", p.Content)
	}
	reader2 := subscribe(t, ls, pages.CommentsChannel(slug))
	if p := watcher.next(t, pages.ReadingChannel(slug)); !strings.Contains(p.Content, "2 readers now") {
		t.Errorf("after two pages opened: %q", p.Content)
	}
	reader2.close()
	if p := watcher.next(t, pages.ReadingChannel(slug)); !strings.Contains(p.Content, "1 reader now") {
		t.Errorf("after one page closed: %q", p.Content)
	}
	n, err := ls.eng.Presence(context.Background(), pages.CommentsChannel(slug))
	if err != nil || n != 1 {
		t.Errorf("Presence: %d, %v; want 1", n, err)
	}
}
