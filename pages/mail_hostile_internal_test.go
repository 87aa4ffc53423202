package pages

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// mailHostile are strings that break out of some context when written
// raw: fragments of the e2e hostile corpus (e2e/hostile_test.go) that a
// message, a name or a notification can hold.
var mailHostile = []string{
	"</script>", "</SCRIPT >", "<script>window.__pwned=1</script>", "<!--", "-->", "<!-- <script>window.__pwned=1</script> -->",
	"<![CDATA[<script>window.__pwned=1</script>]]>", "\u2028", "a\u2028b\u2029c", "</div></div></div>", "</body></html>",
	"<template shadowrootmode=open><img src=x onerror=window.__pwned=1>", "<plaintext>", "</xmp><img src=x onerror=window.__pwned=1>",
	"</style><img src=x onerror=window.__pwned=1>", "</textarea><img src=x onerror=window.__pwned=1>", "</title>",
	"<iframe srcdoc=\"<script>parent.__pwned=1</script>\">", "javascript:window.__pwned=1", `"><img src=x onerror=window.__pwned=1>`,
	`'><img src=x onerror=window.__pwned=1>`, "<svg onload=window.__pwned=1>", "<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=1>",
	"<a href=\"javascript:window.__pwned=1\">x</a>", "<base href=\"http://192.0.2.1/\">", "<form><button formaction=javascript:window.__pwned=1>",
	`"});window.__pwned=1;//`, "${window.__pwned=1}", "`;window.__pwned=1;`", "{{constructor.constructor('window.__pwned=1')()}}",
	"&lt;script&gt;", "&amp;", "&#60;script&#62;", "&NotANamedRef;", "\ufeff<script>", "\U0001F600", "%3Cscript%3E", "+ADw-script+AD4-", "<<script>>",
	"line one\n<script>two</script>",
}

// TestMailViewsEscape renders every view of readers' mail with each
// hostile string in every field a reader controls, and with a benign
// marker instead: the two outputs differ only by the string, escaped
// where the marker was. So a publication (rendered by these views) and a
// page show it as text, and nowhere else.
func TestMailViewsEscape(t *testing.T) {
	const marker = "BENIGNMARKER"
	now := time.Date(2026, 12, 7, 10, 42, 0, 0, time.UTC)
	views := map[string]func(s string) templ.Component{
		"message text": func(s string) templ.Component {
			return messageItem(store.Message{ID: "m-0000001", From: "ada", To: "bob", FromName: "Ada", Text: s, Posted: now, Seq: 1})
		},
		"message name": func(s string) templ.Component {
			return messageItem(store.Message{ID: "m-0000001", From: "ada", To: "bob", FromName: s, Text: "hi", Posted: now, Seq: 1})
		},
		"conversations": func(s string) templ.Component {
			m := store.Message{ID: "m-0000001", From: "eve", To: "ada", FromName: s, ToName: "Ada", Text: s, Posted: now, Seq: 1}
			return conversationsView(convsData{List: []store.ConversationSummary{{With: "eve", WithName: s, Last: m, Unread: 1}}, Now: now})
		},
		"seen": func(s string) templ.Component {
			return seenView(seenData{Seq: 3, By: "bob", ByName: s, At: now})
		},
		"notifications": func(s string) templ.Component {
			return noticesView(noticesData{Unread: 1, Now: now, List: []store.Notification{{ID: "reply:c-0000001", To: "ada", Kind: KindReply,
				From: s, Slug: "a-story", Title: s, CommentID: "c-0000001", Text: s, Posted: now, Seq: 1}}})
		},
		"conversation page": func(s string) templ.Component {
			return messagesView(messagesData{With: person{ID: "eve", Name: s}, List: []store.Message{{ID: "m-0000002", From: "eve", To: "ada", FromName: s, Text: s, Posted: now, Seq: 2}}})
		},
	}
	render := func(c templ.Component) string {
		var b bytes.Buffer
		if err := c.Render(t.Context(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for name, view := range views {
		benign := render(view(marker))
		for _, s := range mailHostile {
			if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 100 {
				t.Fatalf("corpus string %q: the views take valid text of at most 100 runes here", s)
			}
			want := strings.ReplaceAll(benign, marker, templ.EscapeString(s))
			if got := render(view(s)); got != want {
				t.Errorf("%s with %q:\n got %s\nwant %s", name, s, got, want)
			}
		}
	}
}
