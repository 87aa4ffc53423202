package cluster_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// deskEditor is the account the desk tests' instances make an editor.
const deskEditor = "deskeditor"

// saveRules saves r's desk rules (one word) through base, as the rules
// form does without JavaScript.
func saveRules(t *testing.T, base string, r reader, word string) {
	t.Helper()
	client := r.client(base)
	res, err := client.Get(base + "/desk/rules")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	tok, sub := tokenField.FindSubmatch(body), submissionField.FindSubmatch(body)
	if res.StatusCode != http.StatusOK || tok == nil || sub == nil {
		t.Fatalf("GET /desk/rules as %s: %d, no form", r.name, res.StatusCode)
	}
	form := url.Values{"_token": {string(tok[1])}, "_submission": {string(sub[1])}, "words": {word}}
	res, err = client.PostForm(base+"/desk/rules", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /desk/rules: %d", res.StatusCode)
	}
}

// TestDeskAcrossInstances checks the moderation desk in Chromium, two
// instances behind Redis and PostgreSQL: the editor's desk on B shows a
// comment posted on A that matches their rules, and not one that does
// not; hiding it on B takes it off a reader's open article on A; pinning
// another moves it to the top of that reader's list; and a reader whose
// page was loaded before the hide and connects after it does not see the
// hidden comment again.
func TestDeskAcrossInstances(t *testing.T) {
	c := newCluster(t)
	ins := c.add(2, "-editors", deskEditor)
	c.startAll(t)
	a, b := ins[0], ins[1]
	slug := articleSlug(t, a)
	editor := signUp(t, b.base(), deskEditor)
	saveRules(t, b.base(), editor, "zeppelin")

	desk := readerTab(t, "editor's desk on B", editor)
	desk.open(t, b.base()+"/desk")
	reader := newTab(t, "reader on A")
	reader.open(t, a.base()+"/article/"+slug)
	late := newTab(t, "reader on A, connecting late")

	matching, plain := newPoster(t, a, slug), newPoster(t, a, slug)
	matching.text, plain.text = "A zeppelin over the harbour!", "Nothing to see."
	quiet := plain.post(t, a.base())
	hot := matching.post(t, a.base())
	other := matching.post(t, a.base())
	item := func(id string) string { return fmt.Sprintf(`#desk li[data-live-key=%q]`, id) }
	for _, id := range []string{hot, other} {
		if err := desk.Poll(desk.Ctx, fmt.Sprintf(`!!document.querySelector(%q)`, item(id))); err != nil {
			t.Fatalf("the desk does not show matching comment %s: %v", id, err)
		}
	}
	if n := count(t, desk, item(quiet)); n != 0 || framesWith(t, desk, "Nothing to see.") != 0 {
		t.Errorf("the desk shows (or was sent) the comment that matches no rule")
	}
	if n := count(t, desk, item(hot)+` mark`); n == 0 {
		t.Errorf("the matched word is not highlighted on the desk")
	}
	shown := func(id string) string {
		return fmt.Sprintf(`!!document.querySelector('#comments [data-live-key=%q]')`, id)
	}
	if err := reader.Poll(reader.Ctx, shown(hot)); err != nil {
		t.Fatalf("the reader's article does not show comment %s: %v", hot, err)
	}
	// The late reader's page, loaded before the comments, fetches them
	// afresh so that it shows the comment the hide will take away.
	late.Navigate(t, a.base()+"/article/"+slug+"?bigpipe_live_hold=1")
	if err := late.Poll(late.Ctx, `!!(window.bigPipe && window.bigPipe.done && window.bigPipe.liveState && window.bigPipe.liveState.hold) && `+shown(hot)); err != nil {
		t.Fatalf("the late reader's page does not show comment %s before the hide: %v", hot, err)
	}

	hidden := time.Now()
	// The button posts the desk's form: a navigation, whose answer is the
	// desk again. The old document is marked, so that the new one is
	// waited for below (navigating meanwhile would race it: one of the
	// two is aborted).
	if _, err := chromedp.Run(desk.Ctx, chromedp.Evaluate[bool](`window.deskBeforeHide = true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(desk.Ctx, chromedp.Click(item(hot)+` .desk-hide`)); err != nil {
		t.Fatal(err)
	}
	if err := reader.Poll(reader.Ctx, `!`+shown(hot)); err != nil {
		t.Fatalf("the hidden comment is still on the reader's article: %v", err)
	}
	t.Logf("hidden on B → gone from the reader's tab on A in %v", time.Since(hidden).Round(time.Millisecond))

	answered, cancel := context.WithTimeout(desk.Ctx, openTimeout)
	defer cancel()
	if err := desk.Poll(answered, `!window.deskBeforeHide && !!(window.bigPipe && window.bigPipe.done && window.bigPipe.liveState && window.bigPipe.liveState.connects > 0)`); err != nil {
		t.Fatalf("the desk after the hide (the action's answer): %v", err)
	}
	if err := chromedp.Do(desk.Ctx, chromedp.Click(item(other)+` .desk-pin`)); err != nil {
		t.Fatal(err)
	}
	first := `((document.querySelector('#comments [data-live-key]') || {dataset: {}}).dataset.liveKey || '')`
	if err := reader.Poll(reader.Ctx, first+fmt.Sprintf(` === %q`, other)); err != nil {
		t.Fatalf("the pinned comment is not first on the reader's article: first is %q: %v", eval[string](t, reader, first), err)
	}
	if count(t, reader, fmt.Sprintf(`#comments [data-live-key=%q][data-live-pinned]`, other)) != 1 {
		t.Errorf("the pinned comment is not marked data-live-pinned")
	}

	// The late reader's page showed the comment; it connects now, after
	// the hide, and recovers what it missed: the comment goes, for good.
	if _, err := chromedp.Run(late.Ctx, chromedp.Evaluate[bool](`window.bigPipe.liveConnect(), true`)); err != nil {
		t.Fatal(err)
	}
	if err := late.Poll(late.Ctx, `window.bigPipe.liveState.connects > 0 && !`+shown(hot)); err != nil {
		t.Fatalf("the late reader still shows the hidden comment after connecting: %v", err)
	}
	keys := eval[[]string](t, late, `Array.from(document.querySelectorAll('#comments [data-live-key]')).map((e) => e.dataset.liveKey)`)
	if slices.Contains(keys, hot) || !strings.EqualFold(keys[0], other) {
		t.Errorf("the late reader shows %v: want %s gone and %s first", keys, hot, other)
	}
}
